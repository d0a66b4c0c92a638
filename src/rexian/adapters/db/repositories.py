"""Repositories: load and store domain objects; the only code that knows the tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Text, and_, bindparam, case, cast, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rexian.adapters.db.repo_analytics import COUNTED, OrderCounts
from rexian.adapters.db.tables import (
    api_tokens,
    audit_log,
    calendar_days,
    code_counters,
    routing_rules,
    settings_kv,
    units,
    users,
    work_order_events,
    work_orders,
)
from rexian.domain.errors import ConcurrencyConflict
from rexian.domain.routing import RoutingRule
from rexian.domain.units import Unit, UnitKind
from rexian.domain.vocabulary import AppealType, Channel, Role, Satisfaction, Urgency
from rexian.domain.workorder import Caller, Location, Status, WorkOrder

_SCALARS = (
    "code", "title", "content", "category", "category_confidence", "unit_code", "dispatched_at", "signed_at",
    "replied_at", "closed_at", "sign_due", "reply_due", "callback_due", "suspended_at", "extension_request",
    "reply_text", "dispatch_explanation", "dispatch_confidence", "return_locked", "return_count", "reopen_count",
    "supervision_level", "master_id", "transferred_to", "received_at", "external_ref",
)


def _order_values(order: WorkOrder) -> dict[str, Any]:
    values = {name: getattr(order, name) for name in _SCALARS}
    values.update(
        channel=order.channel.value, appeal_type=order.appeal_type.value, urgency=order.urgency.value,
        status=order.status.value, satisfaction=order.satisfaction.value if order.satisfaction else None,
        chain=list(order.chain), overdue=list(order.overdue), related_ids=list(order.related_ids),
        address=order.location.address, district=order.location.district, street=order.location.street,
        community=order.location.community, lat=order.location.lat, long=order.location.long,
        caller_name=order.caller.name, caller_phone=order.caller.phone, anonymous=order.caller.anonymous,
        confidential=order.caller.confidential,
    )
    return values


def _counted(values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an order's dashboard counts are made of, from its stored row or its `_order_values`."""
    return tuple(values[name] for name in COUNTED)


def order_from_row(row: Any) -> WorkOrder:
    m = row._mapping
    order = WorkOrder(
        code=m["code"], channel=Channel(m["channel"]), appeal_type=AppealType(m["appeal_type"]),
        urgency=Urgency(m["urgency"]), title=m["title"], content=m["content"], received_at=m["received_at"],
        caller=Caller(m["caller_name"], m["caller_phone"], m["anonymous"], m["confidential"]),
        location=Location(m["address"], m["district"], m["street"], m["community"], m["lat"], m["long"]),
        status=Status(m["status"]), satisfaction=Satisfaction(m["satisfaction"]) if m["satisfaction"] else None,
        chain=list(m["chain"] or []), overdue=list(m["overdue"] or []), related_ids=list(m["related_ids"] or []),
        id=m["id"], version=m["version"],
    )
    for name in _SCALARS:
        setattr(order, name, m[name])
    return order


def event_to_dict(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {k: m[k] for k in ("id", "order_id", "action", "actor", "role", "at", "from_status", "to_status",
                              "reason", "data")}


def _due() -> Any:
    """The deadline an order is worked against: its sign-for while dispatched, its reply after; else its receipt."""
    c = work_orders.c
    return func.coalesce(case((c.status == Status.DISPATCHED.value, c.sign_due), else_=c.reply_due), c.received_at)


COUNT_CAP = 10_000  # a list says "more than 10,000" rather than count every match


@dataclass(frozen=True)
class OrderFilter:
    status: Sequence[str] = ()
    unit_codes: Sequence[str] | None = None  # None: any unit; a unit's scope otherwise
    district: str | None = None
    near_street: str | None = None  # orders on this street, or whose street is unknown
    category: str | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    phone: str | None = None  # the caller's phone as stored
    extension_requested: bool = False  # only orders whose unit asked for more time (延期申请), not yet decided
    concentrated: bool = False  # only master orders with other callers merged in (集中诉求)
    most_urgent_first: bool = False  # by the deadline worked against (sign-for while dispatched, then reply)
    now: datetime | None = None


_INSERT_ORDERS = insert(work_orders).returning(work_orders.c.code, work_orders.c.id)
_UPDATE_ORDER = update(work_orders).where(
    and_(work_orders.c.id == bindparam("b_id"), work_orders.c.version == bindparam("b_version")))
_INSERT_EVENT = insert(work_order_events)


@cache
def _next_code_statement(dialect_name: str):  # type: ignore[no-untyped-def]
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(code_counters).values(prefix=bindparam("prefix"), value=bindparam("n"))
    return stmt.on_conflict_do_update(
        index_elements=["prefix"], set_={"value": code_counters.c.value + stmt.excluded.value}
    ).returning(code_counters.c.value)


def _codes(prefix: str, last: int, n: int) -> list[str]:
    return [f"{prefix}-{value:06d}" for value in range(last - n + 1, last + 1)]


@cache
def _next_code_compiled(dialect: Any):  # type: ignore[no-untyped-def]
    return _next_code_statement(dialect.name).compile(dialect=dialect)


class WorkOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._counted: dict[int, tuple[Any, ...]] = {}  # order id → its COUNTED values as loaded

    def _loaded(self, row: Any) -> WorkOrder:
        """An order read to be changed: what its dashboard counts depend on is remembered for `save`."""
        order = order_from_row(row)
        self._counted[order.id or 0] = _counted(row._mapping)
        return order

    def next_codes(self, prefix: str, n: int = 1) -> list[str]:
        """The next `n` tracking codes for `prefix` (e.g. GZ20261127), atomically on both databases."""
        last = self.conn.execute(_next_code_statement(self.conn.dialect.name), {"prefix": prefix, "n": n}
                                 ).scalar_one()
        return _codes(prefix, last, n)

    def next_codes_committed(self, prefix: str, n: int = 1) -> list[str]:
        """next_codes in a statement committed on its own, before this connection starts its transaction (the
        driver's autocommit, set for the one statement: switching SQLAlchemy's isolation level costs ~0.5 ms)."""
        statement = _next_code_compiled(self.conn.dialect)
        raw = self.conn.connection.dbapi_connection
        try:
            raw.autocommit = True
            last = raw.execute(statement.string, statement.construct_params({"prefix": prefix, "n": n})
                               ).fetchone()[0]
            raw.autocommit = False
        except Exception:
            self.conn.invalidate()  # past SQLAlchemy's own error handling: never pool a connection left like this
            raise
        return _codes(prefix, last, n)

    def add_many(self, orders: Sequence[tuple[WorkOrder, str | None]],
                 with_ids: Callable[[list[WorkOrder]], None] | None = None) -> None:
        """Add new orders (each with its idempotency key) in three statements, however many: the orders, their
        events, their counts. `with_ids(orders)` runs once they have their ids, before their events are written
        (what must be stored with new orders, such as their units' notices)."""
        if not orders:
            return
        rows = [{**_order_values(order), "idempotency_key": key, "version": 1, "updated_at": order.received_at}
                for order, key in orders]
        # ids by (unique) code: no need to have the database return them in the order given
        ids = dict(self.conn.execute(_INSERT_ORDERS, rows if len(rows) > 1 else rows[0]).all())
        for order, _ in orders:
            order.id, order.version = ids[order.code], 1
        if with_ids is not None:
            with_ids([order for order, _ in orders])
        self._write_events(*(order for order, _ in orders))
        # last: its busy rows stay locked only until the commit
        OrderCounts(self.conn).added([order.id for order, _ in orders if order.id is not None])

    def save(self, order: WorkOrder, at: datetime) -> None:
        """Store changes if nobody else did first (optimistic version check). The dashboard counts move only
        when a column they are made of changed since the order was read (a sign-for or a reminder moves none)."""
        values = _order_values(order)
        values.update(version=order.version + 1, updated_at=at)
        counts = OrderCounts(self.conn)
        moves = self._counted.pop(order.id or 0, None) != _counted(values)
        before = counts.read(order.id or 0) if moves else None
        result = self.conn.execute(_UPDATE_ORDER, {**values, "b_id": order.id, "b_version": order.version})
        if result.rowcount != 1:
            raise ConcurrencyConflict("工单已被他人修改，请刷新后重试",
                                      "the work order was changed by someone else: reload and retry")
        order.version += 1
        self._write_events(order)
        if before is not None:
            counts.moved(order.id or 0, before)  # last: its busy rows stay locked only until the commit

    def _write_events(self, *orders: WorkOrder) -> None:
        rows = [{"order_id": order.id, "action": e.action, "actor": e.actor, "role": e.role, "at": e.at,
                 "from_status": e.from_status, "to_status": e.to_status, "reason": e.reason, "data": e.data}
                for order in orders for e in order.events]
        if rows:
            self.conn.execute(_INSERT_EVENT, rows)
        for order in orders:
            order.events.clear()

    def get(self, order_id: int) -> WorkOrder | None:
        row = self.conn.execute(select(work_orders).where(work_orders.c.id == order_id)).first()
        return self._loaded(row) if row else None

    def get_by_code(self, code: str) -> WorkOrder | None:
        row = self.conn.execute(select(work_orders).where(work_orders.c.code == code)).first()
        return order_from_row(row) if row else None

    def find_by_idempotency_key(self, key: str) -> WorkOrder | None:
        row = self.conn.execute(select(work_orders).where(work_orders.c.idempotency_key == key)).first()
        return order_from_row(row) if row else None

    def existing_external_refs(self, refs: Iterable[str]) -> set[str]:
        refs = list(refs)
        if not refs:
            return set()
        rows = self.conn.execute(select(work_orders.c.external_ref).where(work_orders.c.external_ref.in_(refs)))
        return {r[0] for r in rows}

    def events(self, order_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(work_order_events).where(work_order_events.c.order_id == order_id)
                                 .order_by(work_order_events.c.id))
        return [event_to_dict(r) for r in rows]

    def query(self, f: OrderFilter, limit: int = 50, offset: int = 0) -> tuple[list[WorkOrder], int]:
        """A page of the orders matching `f`, newest first, and how many match — at most COUNT_CAP + 1."""
        conditions = []
        c = work_orders.c
        if f.status:
            conditions.append(c.status.in_(list(f.status)))
        if f.unit_codes is not None:
            conditions.append(c.unit_code.in_(list(f.unit_codes)))
        if f.district:
            conditions.append(c.district == f.district)
        if f.near_street:
            conditions.append(or_(c.street == f.near_street, c.street.is_(None), c.street == ""))
        if f.category:
            conditions.append(or_(c.category == f.category, c.category.like(f"{_escape_like(f.category)}/%", escape="\\")))
        if f.created_from:
            conditions.append(c.received_at >= f.created_from)
        if f.created_to:
            conditions.append(c.received_at < f.created_to)
        if f.text:
            pattern = f"%{_escape_like(f.text)}%"
            conditions.append(or_(c.title.like(pattern, escape="\\"), c.content.like(pattern, escape="\\"),
                                  c.code == f.text))
        if f.phone:
            conditions.append(c.caller_phone == f.phone)
        if f.extension_requested:  # JSON null when none is pending
            conditions.append(and_(c.extension_request.is_not(None), cast(c.extension_request, Text) != "null"))
        if f.concentrated:
            conditions.append(cast(c.related_ids, Text) != "[]")
        if f.overdue is not None and f.now is not None:
            open_statuses = [s.value for s in (Status.DISPATCHED, Status.SIGNED, Status.RETURNED,
                                               Status.JOINT_REVIEW, Status.REVIEW, Status.RECEIVED, Status.REOPENED)]
            late = and_(c.status.in_(open_statuses), c.reply_due < f.now)
            conditions.append(late if f.overdue else ~late)
        where = and_(*conditions) if conditions else None
        base, matching = select(work_orders), select(c.id)
        if where is not None:
            base, matching = base.where(where), matching.where(where)
        # counted up to one past the cap: a broad filter over 100M orders would otherwise read them all
        total = self.conn.execute(select(func.count()).select_from(
            matching.limit(COUNT_CAP + 1).subquery())).scalar_one()
        order = (_due(), c.id) if f.most_urgent_first else (c.id.desc(),)
        rows = self.conn.execute(base.order_by(*order).limit(limit).offset(offset))
        return [order_from_row(r) for r in rows], total

    def late_orders(self, now: datetime, after_id: int = 0, limit: int = 1000) -> list[WorkOrder]:
        """Orders in a unit's hands with a deadline past, by id after `after_id` (one page)."""
        c = work_orders.c
        late_sign = and_(c.status == Status.DISPATCHED.value, c.sign_due < now)
        late_reply = and_(c.status.in_([Status.DISPATCHED.value, Status.SIGNED.value]), c.reply_due < now)
        rows = self.conn.execute(select(work_orders).where(and_(c.id > after_id, or_(late_sign, late_reply)))
                                 .order_by(c.id).limit(limit))
        return [self._loaded(r) for r in rows]

    def of_caller(self, phone: str, limit: int) -> list[dict[str, Any]]:
        """A caller's orders, newest first, as summaries (id, code, status, title, received_at, unit_code)."""
        c = work_orders.c
        rows = self.conn.execute(
            select(c.id, c.code, c.status, c.title, c.received_at, c.unit_code)
            .where(c.caller_phone == phone).order_by(c.received_at.desc(), c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def reply_windows(self, statuses: Sequence[str], after_id: int = 0, limit: int = 5000
                      ) -> list[tuple[int, datetime, datetime | None, datetime | None]]:
        """(id, received_at, reply_due, dispatched_at) of the orders in `statuses`, by id after
        `after_id`: only what the reply light needs, one page at a time."""
        c = work_orders.c
        rows = self.conn.execute(select(c.id, c.received_at, c.reply_due, c.dispatched_at)
                                 .where(and_(c.id > after_id, c.status.in_(list(statuses))))
                                 .order_by(c.id).limit(limit))
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def last_reminders(self, order_ids: Sequence[int], reason: str) -> dict[int, datetime]:
        """The time of each order's latest reminder (催办) given with `reason`."""
        if not order_ids:
            return {}
        e = work_order_events.c
        rows = self.conn.execute(select(e.order_id, func.max(e.at)).where(and_(
            e.order_id.in_(list(order_ids)), e.action == "remind", e.reason == reason)).group_by(e.order_id))
        return {order_id: at for order_id, at in rows}

    def dispatch_history(self, limit: int) -> list[tuple[WorkOrder, set[str]]]:
        """The most recent dispatched orders, each with the units that returned it."""
        c = work_orders.c
        recent = select(work_orders).where(c.unit_code.is_not(None)).order_by(c.id.desc()).limit(limit)
        orders = [order_from_row(r) for r in self.conn.execute(recent)]
        ids = select(recent.subquery().c.id)
        e = work_order_events.c
        returned: dict[int, set[str]] = {}
        for order_id, data in self.conn.execute(select(e.order_id, e.data).where(
                and_(e.action == "return", e.order_id.in_(ids)))):
            if data and data.get("from_unit"):
                returned.setdefault(order_id, set()).add(data["from_unit"])
        return [(o, returned.get(o.id or 0, set())) for o in orders]

    def lessons_after(self, after_id: int, actions: Sequence[str], limit: int
                      ) -> list[tuple[int, str, str | None, dict[str, Any], WorkOrder]]:
        """Events of `actions` made by people (not the platform) after event `after_id`, oldest first, at most
        `limit`: (event id, action, status it led to, its data, the order as it is now)."""
        e = work_order_events.c
        rows = self.conn.execute(
            select(e.id.label("event_id"), e.action.label("event_action"), e.to_status.label("event_to_status"),
                   e.data.label("event_data"), work_orders)
            .join_from(work_order_events, work_orders, e.order_id == work_orders.c.id)
            .where(and_(e.id > after_id, e.action.in_(list(actions)), e.role != Role.SYSTEM.value))
            .order_by(e.id).limit(limit))
        return [(r.event_id, r.event_action, r.event_to_status, r.event_data or {}, order_from_row(r)) for r in rows]

    def last_event_id(self) -> int:
        return self.conn.execute(select(func.max(work_order_events.c.id))).scalar() or 0

    def count_by_status(self) -> dict[str, int]:
        rows = self.conn.execute(select(work_orders.c.status, func.count()).group_by(work_orders.c.status))
        return {s: n for s, n in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def unit_from_row(row: Any) -> Unit:
    m = row._mapping
    return Unit(m["code"], m["name"], UnitKind(m["kind"]), m["parent_code"], m["district"], m["street"],
                tuple(m["aliases"] or ()))


class UnitRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert or update units by code; parents must come before children."""
        existing = {r[0] for r in self.conn.execute(select(units.c.code))}
        new = [r for r in rows if r["code"] not in existing]
        for r in rows:
            if r["code"] in existing:
                self.conn.execute(update(units).where(units.c.code == r["code"]).values(**r))
        if new:
            self.conn.execute(insert(units), new)
        return len(new)

    def all(self, city: str | None = None) -> list[Unit]:
        stmt = select(units).where(units.c.active.is_(True)).order_by(units.c.code)
        if city:
            stmt = stmt.where(units.c.city == city)
        return [unit_from_row(r) for r in self.conn.execute(stmt)]

    def get(self, code: str) -> Unit | None:
        row = self.conn.execute(select(units).where(units.c.code == code)).first()
        return unit_from_row(row) if row else None

    def remits(self) -> dict[str, list[str]]:
        return {r.code: list(r.remit or []) for r in self.conn.execute(select(units.c.code, units.c.remit))}

    def parents(self) -> list[tuple[str, str | None]]:
        """(code, parent code) of every unit, active or not: orders stay with a unit that was retired."""
        return [(r[0], r[1]) for r in self.conn.execute(select(units.c.code, units.c.parent_code))]


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: Role
    unit_code: str | None
    password_hash: str | None
    active: bool


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, name: str, role: Role, unit_code: str | None, at: datetime,
            password_hash: str | None = None) -> int:
        return self.conn.execute(insert(users).values(
            name=name, role=role.value, unit_code=unit_code, password_hash=password_hash, active=True, created_at=at,
        ).returning(users.c.id)).scalar_one()

    def _one(self, condition: Any) -> UserRecord | None:
        row = self.conn.execute(select(users).where(condition)).first()
        if row is None:
            return None
        m = row._mapping
        return UserRecord(m["id"], m["name"], Role(m["role"]), m["unit_code"], m["password_hash"], m["active"])

    def by_name(self, name: str) -> UserRecord | None:
        return self._one(users.c.name == name)

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        row = self.conn.execute(select(api_tokens.c.user_id).where(
            and_(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked.is_(False)))).first()
        return self._one(users.c.id == row[0]) if row else None

    def add_token(self, user_id: int, token_hash: str, at: datetime) -> None:
        self.conn.execute(insert(api_tokens).values(user_id=user_id, token_hash=token_hash, created_at=at,
                                                    revoked=False))

    def set_active(self, user_id: int, active: bool) -> None:
        self.conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    def revoke_tokens(self, user_id: int) -> int:
        """Revoke the user's live tokens; how many."""
        return self.conn.execute(update(api_tokens).where(
            and_(api_tokens.c.user_id == user_id, api_tokens.c.revoked.is_(False))).values(revoked=True)).rowcount

    def summaries(self) -> list[dict[str, Any]]:
        """Each user (by name) with how many live tokens they hold."""
        live = (select(api_tokens.c.user_id, func.count().label("tokens")).where(api_tokens.c.revoked.is_(False))
                .group_by(api_tokens.c.user_id).subquery())
        rows = self.conn.execute(select(users.c.name, users.c.role, users.c.unit_code, users.c.active,
                                        func.coalesce(live.c.tokens, 0).label("tokens"))
                                 .outerjoin(live, live.c.user_id == users.c.id).order_by(users.c.name))
        return [dict(r._mapping) for r in rows]


class CalendarRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def days(self) -> list[tuple[date, str]]:
        return [(r.day, r.kind) for r in self.conn.execute(select(calendar_days.c.day, calendar_days.c.kind))]

    def replace_year(self, year: int, rows: Sequence[tuple[date, str, str]]) -> None:
        self.conn.execute(calendar_days.delete().where(
            and_(calendar_days.c.day >= date(year, 1, 1), calendar_days.c.day <= date(year, 12, 31))))
        if rows:
            self.conn.execute(insert(calendar_days), [{"day": d, "kind": k, "name": n} for d, k, n in rows])


class RuleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def all(self, city: str) -> list[RoutingRule]:
        rows = self.conn.execute(select(routing_rules).where(routing_rules.c.city == city))
        return [RoutingRule(id=r.id, priority=r.priority, unit_code=r.unit_code, category=r.category,
                            district=r.district, street=r.street, keywords=tuple(r.keywords or ()), note=r.note)
                for r in rows]

    def replace_all(self, city: str, rules: Sequence[RoutingRule]) -> None:
        self.conn.execute(routing_rules.delete().where(routing_rules.c.city == city))
        if rules:
            self.conn.execute(insert(routing_rules), [
                {"id": r.id, "priority": r.priority, "category": r.category, "district": r.district,
                 "street": r.street, "keywords": list(r.keywords), "unit_code": r.unit_code, "note": r.note,
                 "city": city} for r in rules])


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, at: datetime, actor: str, action: str, entity: str, entity_id: str | None,
               data: dict[str, Any] | None = None) -> None:
        self.conn.execute(insert(audit_log).values(at=at, actor=actor, action=action, entity=entity,
                                                   entity_id=entity_id, data=data or {}))


class SettingsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute(select(settings_kv.c.value).where(settings_kv.c.key == key)).first()
        return row[0] if row else default

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The values of those of `keys` that are set."""
        return dict(self.conn.execute(select(settings_kv.c.key, settings_kv.c.value)
                                      .where(settings_kv.c.key.in_(list(keys)))).all())

    def set(self, key: str, value: Any) -> None:
        if self.conn.execute(select(settings_kv.c.key).where(settings_kv.c.key == key)).first():
            self.conn.execute(update(settings_kv).where(settings_kv.c.key == key).values(value=value))
        else:
            self.conn.execute(insert(settings_kv).values(key=key, value=value))
