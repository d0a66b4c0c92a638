"""Tables of the agent desk: calls (from the switch) and their transcripts, utterance by utterance."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table, Text, text

from rexian.adapters.db.tables import UTCDateTime, metadata

calls = Table(
    "calls", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("caller_number", String(40), nullable=True, index=True),
    Column("agent", String(100), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # live, submitted, answered, transferred
    Column("elderly", Boolean, nullable=False, default=False),  # flagged by the switch (elderly line, registry)
    Column("edits", JSON, nullable=False, default=dict),  # draft fields the agent set by hand
    Column("order_id", Integer, ForeignKey("work_orders.id"), nullable=True, index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    # bumped by every change (utterances, edits, the end): a process's warm draft is current when equal
    Column("version", Integer, nullable=False, server_default=text("0")),
)

call_utterances = Table(
    "call_utterances", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", Integer, ForeignKey("calls.id"), nullable=False, index=True),
    Column("speaker", String(16), nullable=False),  # caller or agent
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
