"""Repository of calls and their utterances, on the transaction's connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from rexian.adapters.db.tables_calls import call_utterances, calls


@dataclass(frozen=True)
class Utterance:
    speaker: str  # "caller" or "agent"
    text: str
    at: datetime


@dataclass
class CallRecord:
    id: int
    caller_number: str | None
    agent: str
    status: str
    elderly: bool
    edits: dict[str, Any]
    order_id: int | None
    started_at: datetime
    ended_at: datetime | None
    version: int = 0
    utterances: list[Utterance] = field(default_factory=list)


class CallRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, caller_number: str | None, agent: str, elderly: bool, at: datetime) -> int:
        return self.conn.execute(insert(calls).returning(calls.c.id).values(
            caller_number=caller_number, agent=agent, status="live", elderly=elderly, edits={},
            started_at=at)).scalar_one()

    def get(self, call_id: int, with_utterances: bool = True) -> CallRecord | None:
        row = self.conn.execute(select(calls).where(calls.c.id == call_id)).first()
        if row is None:
            return None
        record = CallRecord(row.id, row.caller_number, row.agent, row.status, row.elderly, dict(row.edits or {}),
                            row.order_id, row.started_at, row.ended_at, row.version)
        if with_utterances:
            record.utterances = [
                Utterance(u.speaker, u.text, u.at) for u in self.conn.execute(
                    select(call_utterances).where(call_utterances.c.call_id == call_id)
                    .order_by(call_utterances.c.id))
            ]
        return record

    def version(self, call_id: int, lock: bool = False) -> int | None:
        """The call's stored version (None: no such call). `lock`: hold the call's row to the end of the
        transaction (PostgreSQL; SQLite has one writer anyway), so that changes to one call made on several
        app processes queue instead of overwriting each other."""
        statement = select(calls.c.version).where(calls.c.id == call_id)
        return self.conn.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()

    def add_utterances(self, call_id: int, utterances: list[Utterance]) -> None:
        self.conn.execute(insert(call_utterances), [
            {"call_id": call_id, "speaker": u.speaker, "text": u.text, "at": u.at} for u in utterances])
        self.conn.execute(update(calls).where(calls.c.id == call_id).values(version=calls.c.version + 1))

    def set_edits(self, call_id: int, edits: dict[str, Any]) -> None:
        self.conn.execute(update(calls).where(calls.c.id == call_id).values(edits=edits,
                                                                             version=calls.c.version + 1))

    def finish(self, call_id: int, status: str, order_id: int, at: datetime) -> None:
        self.conn.execute(update(calls).where(calls.c.id == call_id).values(
            status=status, order_id=order_id, ended_at=at, version=calls.c.version + 1))
