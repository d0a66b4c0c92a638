"""Open311 storage: client keys, a request's extras, orders by code and the public event feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select

from rexian.adapters.db.repositories import event_to_dict, order_from_row
from rexian.adapters.db.tables import work_order_events, work_orders
from rexian.adapters.db.tables_open311 import open311_keys, open311_requests
from rexian.domain.workorder import WorkOrder

EXTRA_FIELDS = ("attributes", "address_id", "media_url", "device_id", "account_id", "email")


@dataclass(frozen=True)
class ClientKey:
    id: int
    name: str


class Open311Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_key(self, name: str, key_hash: str, at: datetime) -> int:
        return self.conn.execute(insert(open311_keys).values(name=name, key_hash=key_hash, created_at=at,
                                                             revoked=False).returning(open311_keys.c.id)).scalar_one()

    def key_by_hash(self, key_hash: str) -> ClientKey | None:
        k = open311_keys.c
        row = self.conn.execute(select(k.id, k.name).where(and_(k.key_hash == key_hash, k.revoked.is_(False)))).first()
        return ClientKey(row.id, row.name) if row else None

    def add_request_once(self, order_id: int, key_id: int, extras: dict[str, Any]) -> None:
        """Record what the request carried beyond the order, unless its order already has it."""
        if self.conn.execute(select(open311_requests.c.order_id).where(
                open311_requests.c.order_id == order_id)).first() is None:
            self.conn.execute(insert(open311_requests).values(order_id=order_id, key_id=key_id,
                                                              **{f: extras.get(f) for f in EXTRA_FIELDS}))

    def extras(self, order_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """What Open311 requests carried beyond the order, by order id (absent for other channels)."""
        if not order_ids:
            return {}
        rows = self.conn.execute(select(open311_requests).where(open311_requests.c.order_id.in_(list(order_ids))))
        return {r.order_id: {f: getattr(r, f) for f in EXTRA_FIELDS} for r in rows}

    def orders_by_codes(self, codes: Sequence[str]) -> list[WorkOrder]:
        rows = self.conn.execute(select(work_orders).where(work_orders.c.code.in_(list(codes)))
                                 .order_by(work_orders.c.id.desc()))
        return [order_from_row(r) for r in rows]

    def status_events(self, start: datetime, end: datetime | None, limit: int, offset: int
                      ) -> list[tuple[str, dict[str, Any]]]:
        """(order code, event) for every status change in the window, oldest first."""
        e = work_order_events.c
        conditions = [e.at >= start, or_(e.from_status.is_(None), e.from_status != e.to_status)]
        if end is not None:
            conditions.append(e.at <= end)
        stmt = (select(work_orders.c.code, work_order_events).join(work_orders, work_orders.c.id == e.order_id)
                .where(and_(*conditions)).order_by(e.id).limit(limit).offset(offset))
        return [(r.code, event_to_dict(r)) for r in self.conn.execute(stmt)]

    def latest_event_id(self, order_id: int) -> int:
        e = work_order_events.c
        return self.conn.execute(select(e.id).where(e.order_id == order_id).order_by(e.id.desc()).limit(1)
                                 ).scalar_one()
