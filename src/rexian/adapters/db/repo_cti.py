"""Reads and writes for the call centre: registered callers, and a phone's open work orders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, exists, insert, literal, select

from rexian.adapters.db.tables import work_orders
from rexian.adapters.db.tables_cti import cti_registered_callers
from rexian.domain.workorder import OPEN

# asked for every offered call: one prepared statement, the open statuses as plain bound values
# (an expanding IN is re-rendered on each execution)
_CALLER = select(
    select(cti_registered_callers.c.flag)
    .where(cti_registered_callers.c.phone == bindparam("phone")).scalar_subquery(),
    exists().where(work_orders.c.caller_phone == bindparam("phone"),
                   work_orders.c.status.in_([literal(s.value) for s in sorted(OPEN)])),
)


class CtiRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def registered_flag(self, phone: str) -> str | None:
        c = cti_registered_callers.c
        return self.conn.execute(select(c.flag).where(c.phone == phone)).scalar()

    def caller(self, phone: str) -> tuple[str | None, bool]:
        """The caller's registered flag, and whether they have an open work order (one query)."""
        flag, open_order = self.conn.execute(_CALLER, {"phone": phone}).one()
        return flag, bool(open_order)

    def replace_registered(self, rows: Iterable[tuple[str, str, str | None]], at: datetime) -> int:
        """Replace the whole register with `rows` of (phone, flag, note); returns how many."""
        items = [{"phone": p, "flag": f, "note": n, "registered_at": at} for p, f, n in rows]
        self.conn.execute(delete(cti_registered_callers))
        if items:
            self.conn.execute(insert(cti_registered_callers), items)
        return len(items)
