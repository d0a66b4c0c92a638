"""Tables of the call centre: callers the operator registers for the no-queue line (older or disabled)."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from rexian.adapters.db.tables import UTCDateTime, metadata

cti_registered_callers = Table(
    "cti_registered_callers", metadata,
    Column("phone", String(40), primary_key=True),  # digits only, as the switch reports the caller
    Column("flag", String(16), nullable=False),  # elderly or disabled (CallerFlag)
    Column("note", String(200), nullable=True),
    Column("registered_at", UTCDateTime, nullable=False),
)
