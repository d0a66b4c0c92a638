"""Reads and writes for analytics: the order counts the dashboard sums (kept current with every order
change, rebuilt by one grouped pass), reply scores, surge alerts and stored hotspot runs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    SmallInteger,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement, Select

from rexian.adapters.db.tables import work_orders as wo
from rexian.adapters.db.tables_analytics import hotspot_runs, order_counts, reply_scores, surge_alerts
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.vocabulary import Satisfaction


def local_day(conn: Connection, column: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC timestamp column, in SQL."""
    return _local_day(conn.dialect.name, column)


def _local_day(dialect_name: str, column: Any) -> Any:
    if dialect_name == "sqlite":
        return func.date(column, "+8 hours")
    return func.date(func.timezone("Asia/Shanghai", column))


# -- order counts: what each order adds to the dashboard, kept current and rebuilt from the same SQL --

DIMENSIONS = {"channel": wo.c.channel, "category": wo.c.category, "district": wo.c.district,
              "satisfaction": wo.c.satisfaction, "unit": wo.c.unit_code}
MEASURES = ("orders", "replied_on_time", "replied_late", "rated", "satisfied", "returns")
# the work_orders columns an order's contribution is made of (_contributions): a change to none of them moves
# nothing in order_counts
COUNTED = ("received_at", "channel", "category", "district", "satisfaction", "unit_code", "replied_at", "reply_due",
           "return_count")
SATISFIED = [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value]


def contributions(conn: Connection) -> Select[Any]:
    """One row per order: its local day of receipt, its value of each dimension ('' for none) and
    what it adds to each measure. Replies count against the reply deadline where there is one."""
    return _contributions(conn.dialect.name)


@cache  # built once: constructing it costs more than running it for one order
def _contributions(dialect_name: str) -> Select[Any]:
    return select(
        type_coerce(_local_day(dialect_name, wo.c.received_at), Date).label("day"),
        *(func.coalesce(column, "").label(name) for name, column in DIMENSIONS.items()),
        literal(1).label("orders"),
        case((wo.c.replied_at <= wo.c.reply_due, 1), else_=0).label("replied_on_time"),
        case((wo.c.replied_at > wo.c.reply_due, 1), else_=0).label("replied_late"),
        case((wo.c.satisfaction.is_not(None), 1), else_=0).label("rated"),
        case((wo.c.satisfaction.in_(SATISFIED), 1), else_=0).label("satisfied"),
        wo.c.return_count.label("returns"),
    )


def grouped_counts(conn: Connection, where: ColumnElement[bool]) -> Select[Any]:
    """order_counts rows (day, dimension, value, measures) for the orders matching `where`, in one scan."""
    return _grouped_counts(conn.dialect.name, where)


def _grouped_counts(dialect_name: str, where: ColumnElement[bool]) -> Select[Any]:
    base = _contributions(dialect_name).where(where).subquery()
    names = select(literal("channel", String).label("dimension")).union_all(
        *(select(literal(name, String)) for name in list(DIMENSIONS)[1:])).subquery()
    value = case(*((names.c.dimension == name, base.c[name]) for name in DIMENSIONS)).label("value")
    return (select(base.c.day, names.c.dimension, value, *(func.sum(base.c[m]).label(m) for m in MEASURES))
            .select_from(base.join(names, true())).group_by(base.c.day, names.c.dimension, value))


def recount(conn: Connection) -> int:
    """Rebuild order_counts from the orders (the migration's backfill, `rexian db recount`)."""
    conn.execute(delete(order_counts))
    conn.execute(insert(order_counts).from_select(["day", "dimension", "value", *MEASURES],
                                                  grouped_counts(conn, true())))
    return conn.execute(select(func.count()).select_from(order_counts)).scalar_one()


# Stripes per (day, dimension, value) where writers run side by side; an order's changes go to stripe
# id % STRIPES. SQLite has one writer at a time: one stripe.
STRIPES = {"postgresql": 16}


def stripes(conn: Connection) -> int:
    return STRIPES.get(conn.dialect.name, 1)


class OrderCounts:
    """Moves an order's contribution in order_counts when it is filed or changed, in the caller's
    transaction; rows are touched in key order so concurrent writers never wait on each other in a cycle."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.stripes = stripes(conn)

    def read(self, order_id: int) -> dict[tuple[date, str, str], Counter[str]]:
        row = self.conn.execute(_contributions_of_one(self.conn.dialect.name), {"order_id": order_id}).one()
        measures = Counter({m: row._mapping[m] for m in MEASURES})
        return {(row.day, name, row._mapping[name]): measures for name in DIMENSIONS}

    def added(self, order_ids: Sequence[int]) -> None:
        """Add new orders' contribution: one statement, reading the stored rows in the database, to the
        stripe of the first."""
        if order_ids:
            self.conn.execute(_add_counts_of_new(self.conn.dialect.name),
                              {"order_ids": list(order_ids), "stripe": order_ids[0] % self.stripes})

    def moved(self, order_id: int, before: dict[tuple[date, str, str], Counter[str]]) -> None:
        """Apply the order's contribution now, less `before` (what it contributed before the change)."""
        after = self.read(order_id)
        deltas = []
        for key in sorted(set(after) | set(before)):
            delta = {m: after.get(key, Counter())[m] - before.get(key, Counter())[m] for m in MEASURES}
            if any(delta.values()):
                deltas.append({"day": key[0], "dimension": key[1], "value": key[2],
                               "stripe": order_id % self.stripes, **delta})
        if deltas:
            self.conn.execute(_upsert_counts(self.conn.dialect.name), deltas)


@cache
def _contributions_of_one(dialect_name: str) -> Select[Any]:
    return _contributions(dialect_name).where(wo.c.id == bindparam("order_id"))


@cache
def _upsert_counts(dialect_name: str, rows: Select[Any] | None = None) -> Any:
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(order_counts)
    if rows is not None:
        stmt = stmt.from_select(["day", "dimension", "value", "stripe", *MEASURES], rows)
    return stmt.on_conflict_do_update(index_elements=["day", "dimension", "value", "stripe"],
                                      set_={m: order_counts.c[m] + stmt.excluded[m] for m in MEASURES})


@cache
def _add_counts_of_new(dialect_name: str) -> Any:
    if dialect_name == "postgresql":  # one statement text however many orders (an array), so it stays prepared
        new = wo.c.id == any_(bindparam("order_ids", type_=postgresql.ARRAY(Integer)))
    else:
        new = wo.c.id.in_(bindparam("order_ids", expanding=True))
    rows = _grouped_counts(dialect_name, new).subquery()
    # rows in key order, so concurrent writers lock them in the same order
    return _upsert_counts(dialect_name, select(
        rows.c.day, rows.c.dimension, rows.c.value, bindparam("stripe", type_=SmallInteger),
        *(rows.c[m] for m in MEASURES)).order_by(rows.c.day, rows.c.dimension, rows.c.value))


def fold_stripes(conn: Connection, before: date, wait_ms: int = 200) -> int:
    """Add the days before `before` from every stripe into stripe 0 (PostgreSQL; nothing to do with one
    stripe). Rows a writer holds right now are skipped, to be folded next time, and the fold gives up (raising
    LockNotAvailable) rather than keep a writer waiting on a row it holds itself for more than `wait_ms`.
    The number of rows folded."""
    if stripes(conn) == 1:
        return 0
    conn.execute(text(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'"))
    key, measures = "day, dimension, value", ", ".join(MEASURES)
    return conn.execute(text(f"""
        WITH picked AS (
            SELECT {key}, stripe FROM order_counts WHERE day < :before AND stripe > 0
            ORDER BY {key}, stripe FOR UPDATE SKIP LOCKED),
        moved AS (
            DELETE FROM order_counts c USING picked p
            WHERE c.day = p.day AND c.dimension = p.dimension AND c.value = p.value AND c.stripe = p.stripe
            RETURNING c.*)
        INSERT INTO order_counts ({key}, stripe, {measures})
        SELECT {key}, 0, {", ".join(f"sum({m})" for m in MEASURES)} FROM moved
        GROUP BY {key} ORDER BY {key}
        ON CONFLICT ({key}, stripe) DO UPDATE SET {", ".join(f"{m} = order_counts.{m} + excluded.{m}"
                                                                for m in MEASURES)}"""),
        {"before": before}).rowcount


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_TZ)


def _whole_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The local days [first, last) lying wholly inside [start, end)."""
    local = start.astimezone(LOCAL_TZ)
    first = local.date() if _midnight(local.date()) == local else local.date() + timedelta(days=1)
    return first, end.astimezone(LOCAL_TZ).date()


@dataclass
class PeriodCounts:
    """A period's measures per dimension value, its volume per day and channel, and per unit ('' for
    none) the orders still unreplied past their reply deadline."""

    totals: dict[str, dict[str, Counter[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    volume: Counter[tuple[str, str]] = field(default_factory=Counter)
    late_unreplied: Counter[str] = field(default_factory=Counter)

    def add(self, day: str | None, dimension: str, value: str, measures: Any) -> None:
        self.totals[dimension][value].update({m: measures[m] for m in MEASURES})
        if day is not None and dimension == "channel":
            self.volume[(day, value)] += measures["orders"]

    def count(self, dimension: str) -> dict[str, int]:
        """Orders per value of `dimension`, values with none left out."""
        return {v: m["orders"] for v, m in self.totals[dimension].items() if m["orders"]}

    def total(self, measure: str = "orders") -> int:
        return sum(m[measure] for m in self.totals["channel"].values())


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

    def period_counts(self, start: datetime, end: datetime, now: datetime) -> PeriodCounts:
        """The orders received in [start, end): whole local days summed from order_counts, the partial
        days at either end grouped from the orders themselves (a day's worth at most)."""
        first, last = _whole_days(start, end)
        counts = PeriodCounts()
        edges = [(start, end)] if first >= last else [(start, _midnight(first)), (_midnight(last), end)]
        in_edges = or_(*(and_(wo.c.received_at >= a, wo.c.received_at < b) for a, b in edges if a < b))
        for row in self.conn.execute(grouped_counts(self.conn, in_edges)):
            counts.add(str(row.day), row.dimension, row.value, row._mapping)
        if first < last:
            c = order_counts.c
            whole = and_(c.day >= first, c.day < last)
            sums = [func.sum(c[m]).label(m) for m in MEASURES]
            for row in self.conn.execute(select(c.dimension, c.value, *sums).where(whole)
                                         .group_by(c.dimension, c.value)):
                counts.add(None, row.dimension, row.value, row._mapping)
            for day, channel, n in self.conn.execute(select(c.day, c.value, func.sum(c.orders)).where(
                    whole, c.dimension == "channel").group_by(c.day, c.value)):
                counts.volume[(str(day), channel)] += n
        awaiting = and_(wo.c.replied_at.is_(None), wo.c.reply_due.is_not(None), wo.c.reply_due < now,
                        wo.c.received_at >= start, wo.c.received_at < end)
        for unit, n in self.conn.execute(select(wo.c.unit_code, func.count()).where(awaiting)
                                         .group_by(wo.c.unit_code)):
            counts.late_unreplied[unit or ""] += n
        return counts

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
