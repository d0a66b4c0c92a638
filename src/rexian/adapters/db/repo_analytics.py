"""Reads and writes for analytics: grouped aggregates over work orders (indexed, never row by row
in Python), reply scores, surge alerts and stored hotspot runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, select, update

from rexian.adapters.db.tables import work_orders as wo
from rexian.adapters.db.tables_analytics import hotspot_runs, reply_scores, surge_alerts


def local_day(conn: Connection, column: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC timestamp column, in SQL."""
    if conn.dialect.name == "sqlite":
        return func.date(column, "+8 hours")
    return func.date(func.timezone("Asia/Shanghai", column))


class AnalyticsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- orders as the engines see them ----------------------------------------------------------

    def open_orders(self, statuses: Iterable[str], since: datetime, after_id: int = 0) -> Iterator[Any]:
        """Open orders received since `since` with an id above `after_id` (the duplicate index)."""
        query = select(wo.c.id, wo.c.title, wo.c.content, wo.c.district, wo.c.street, wo.c.received_at).where(
            wo.c.id > after_id, wo.c.received_at >= since, wo.c.status.in_(list(statuses))
        ).order_by(wo.c.id)
        yield from self.conn.execute(query)

    def statuses(self, ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
        """id → (status, code, title) for the given orders."""
        rows = self.conn.execute(select(wo.c.id, wo.c.status, wo.c.code, wo.c.title).where(wo.c.id.in_(ids)))
        return {r.id: (r.status, r.code, r.title) for r in rows}

    def messages(self, start: datetime | None, end: datetime | None) -> Iterator[Any]:
        """Orders received in [start, end) with what the hotspot engine needs."""
        query = select(wo.c.id, wo.c.code, wo.c.external_ref, wo.c.title, wo.c.content, wo.c.caller_name,
                       wo.c.caller_phone, wo.c.district, wo.c.received_at)
        if start is not None:
            query = query.where(wo.c.received_at >= start)
        if end is not None:
            query = query.where(wo.c.received_at < end)
        yield from self.conn.execution_options(yield_per=5000).execute(query)

    def surge_events(self, since: datetime, until: datetime) -> Iterator[Any]:
        query = select(wo.c.code, wo.c.category, wo.c.district, wo.c.title, wo.c.received_at).where(
            wo.c.received_at >= since, wo.c.received_at < until)
        yield from self.conn.execution_options(yield_per=5000).execute(query)

    # -- aggregates -----------------------------------------------------------------------------

    def _period(self, start: datetime, end: datetime) -> Any:
        return and_(wo.c.received_at >= start, wo.c.received_at < end)

    def volume_by_day_and_channel(self, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
        day = local_day(self.conn, wo.c.received_at).label("day")
        rows = self.conn.execute(select(day, wo.c.channel, func.count()).where(self._period(start, end))
                                 .group_by(day, wo.c.channel).order_by(day))
        return [(str(d), c, n) for d, c, n in rows]

    def count_by(self, column_name: str, start: datetime, end: datetime) -> dict[str | None, int]:
        column = wo.c[column_name]
        rows = self.conn.execute(select(column, func.count()).where(self._period(start, end)).group_by(column))
        return {k: n for k, n in rows}

    def timeliness(self, start: datetime, end: datetime, now: datetime) -> tuple[int, int]:
        """(replied on time, orders whose reply deadline has passed or been met) in the period."""
        on_time = func.sum(case((and_(wo.c.replied_at.is_not(None), wo.c.replied_at <= wo.c.reply_due), 1),
                                else_=0))
        due = func.sum(case((wo.c.replied_at.is_not(None), 1), (wo.c.reply_due < now, 1), else_=0))
        row = self.conn.execute(select(on_time, due).where(self._period(start, end),
                                                           wo.c.reply_due.is_not(None))).one()
        return int(row[0] or 0), int(row[1] or 0)

    def unit_performance(self, start: datetime, end: datetime, now: datetime) -> list[dict[str, Any]]:
        on_time = func.sum(case((and_(wo.c.replied_at.is_not(None), wo.c.replied_at <= wo.c.reply_due), 1),
                                else_=0))
        late = func.sum(case((and_(wo.c.replied_at.is_(None), wo.c.reply_due < now), 1),
                             (wo.c.replied_at > wo.c.reply_due, 1), else_=0))
        satisfied = func.sum(case((wo.c.satisfaction.in_(["satisfied", "basically_satisfied"]), 1), else_=0))
        rated = func.sum(case((wo.c.satisfaction.is_not(None), 1), else_=0))
        rows = self.conn.execute(
            select(wo.c.unit_code, func.count(), on_time, late, satisfied, rated, func.sum(wo.c.return_count))
            .where(self._period(start, end), wo.c.unit_code.is_not(None)).group_by(wo.c.unit_code)
            .order_by(func.count().desc()))
        return [{"unit_code": u, "orders": n, "on_time": int(o or 0), "late": int(la or 0),
                 "satisfied": int(s or 0), "rated": int(r or 0), "returns": int(ret or 0)}
                for u, n, o, la, s, r, ret in rows]

    # -- reply scores ---------------------------------------------------------------------------

    def save_reply_score(self, order_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(delete(reply_scores).where(reply_scores.c.order_id == order_id))
        self.conn.execute(insert(reply_scores).values(order_id=order_id, **values))

    def reply_score(self, order_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(reply_scores).where(reply_scores.c.order_id == order_id)).first()
        return dict(row._mapping) if row else None

    def low_quality_replies(self, below: float, statuses: Iterable[str], limit: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(reply_scores, wo.c.code, wo.c.title, wo.c.unit_code, wo.c.status, wo.c.callback_due)
            .join(wo, wo.c.id == reply_scores.c.order_id)
            .where(reply_scores.c.total < below, wo.c.status.in_(list(statuses)))
            .order_by(reply_scores.c.total).limit(limit))
        return [dict(r._mapping) for r in rows]

    # -- surge alerts ---------------------------------------------------------------------------

    def open_alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(surge_alerts).where(surge_alerts.c.status == "open")
                                 .order_by(surge_alerts.c.p_value).limit(limit))
        return [dict(r._mapping) for r in rows]

    def alerts_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(surge_alerts).where(surge_alerts.c.window_end >= start,
                                                            surge_alerts.c.window_end < end)
                                 .order_by(surge_alerts.c.p_value))
        return [dict(r._mapping) for r in rows]

    def upsert_alert(self, values: dict[str, Any]) -> bool:
        """Store a firing alert; True when it is new (no open alert for the same key)."""
        existing = self.conn.execute(select(surge_alerts.c.id).where(
            surge_alerts.c.kind == values["kind"], surge_alerts.c.key == values["key"],
            surge_alerts.c.status == "open")).scalar()
        if existing is not None:
            fields = {k: v for k, v in values.items() if k not in ("kind", "key", "created_at")}
            self.conn.execute(update(surge_alerts).where(surge_alerts.c.id == existing).values(**fields))
            return False
        self.conn.execute(insert(surge_alerts).values(status="open", **values))
        return True

    def close_alerts_except(self, firing: set[tuple[str, str]]) -> int:
        closed = 0
        for alert in self.open_alerts(limit=10_000):
            if (alert["kind"], alert["key"]) not in firing:
                self.conn.execute(update(surge_alerts).where(surge_alerts.c.id == alert["id"])
                                  .values(status="closed"))
                closed += 1
        return closed

    # -- hotspot runs ---------------------------------------------------------------------------

    def save_hotspot_run(self, at: datetime, start: datetime | None, end: datetime | None,
                         hotspots: list[dict[str, Any]]) -> None:
        self.conn.execute(insert(hotspot_runs).values(computed_at=at, period_from=start, period_to=end,
                                                      hotspots=hotspots, note=""))

    def latest_hotspot_run(self) -> dict[str, Any] | None:
        row = self.conn.execute(select(hotspot_runs).order_by(hotspot_runs.c.id.desc()).limit(1)).first()
        return dict(row._mapping) if row else None
