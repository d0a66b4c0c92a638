"""Work-order use cases: one function each, one transaction each, events written with the change."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError

from rexian.adapters.db.locks import exclusive
from rexian.adapters.db.repositories import OrderFilter
from rexian.adapters.db.uow import Transaction
from rexian.domain.access import check_action, check_write, is_unit_scoped
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import ConcurrencyConflict, Forbidden, InvalidInput, NotFound, RuleViolation
from rexian.domain.privacy import mask_phone
from rexian.domain.routing import DispatchDecision
from rexian.domain.sla import Light
from rexian.domain.units import UnitKind
from rexian.domain.vocabulary import AppealType, Channel, Satisfaction, Urgency
from rexian.domain.workorder import SYSTEM, Action, Actor, Caller, Location, Status, WorkOrder
from rexian.services.context import Hotline
from rexian.services.group_commit import GroupCommit
from rexian.services.views import sees_caller_contact


@dataclass
class AppealIntake:
    """What a citizen, an agent or another system hands in."""

    content: str
    channel: Channel
    title: str | None = None
    appeal_type: AppealType | None = None
    urgency: Urgency = Urgency.NORMAL
    caller: Caller = field(default_factory=Caller)
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    district: str | None = None
    street: str | None = None
    category: str | None = None
    received_at: datetime | None = None
    external_ref: str | None = None
    auto_dispatch: bool = True


@dataclass(frozen=True)
class IntakeAnalysis:
    """What the intake intelligence (hl.analyse) found in a new order; None where it found nothing."""

    category: str | None
    category_confidence: float | None
    district: str | None
    street: str | None
    community: str | None
    appeal_type: AppealType | None
    decision: DispatchDecision | None


def _title_from(content: str) -> str:
    first = content.strip().splitlines()[0] if content.strip() else ""
    return first[:40] + ("…" if len(first) > 40 else "")


def new_order(hl: Hotline, intake: AppealIntake, actor: Actor) -> WorkOrder:
    """Build, analyse and (when sure) dispatch a new order, before any transaction: it has no tracking code
    until `store_new` gives it one."""
    if not intake.content or not intake.content.strip():
        raise InvalidInput("诉求内容不能为空", "content is required")
    received_at = intake.received_at or hl.clock.now()
    order = WorkOrder(
        code="", channel=intake.channel,
        appeal_type=intake.appeal_type or AppealType.HELP, urgency=intake.urgency,
        title=(intake.title or "").strip() or _title_from(intake.content), content=intake.content.strip(),
        received_at=received_at, caller=intake.caller,
        location=Location(intake.address, intake.district, intake.street, None, intake.lat, intake.long),
        category=intake.category, category_confidence=1.0 if intake.category else None,
        external_ref=intake.external_ref,
    )
    analysis = hl.analyse(order) if intake.auto_dispatch else None
    if analysis is not None:
        _apply_analysis(order, analysis, intake)
    order.receive(actor, hl.policy())
    decision = getattr(analysis, "decision", None)
    if decision is not None:
        if decision.unit_code and not decision.needs_review:
            order.dispatch(SYSTEM, received_at, decision.unit_code, hl.policy(), decision.explanation,
                           decision.confidence)
        else:
            order.queue_for_review(SYSTEM, received_at, decision.explanation, decision.confidence)
    return order


NewOrder = tuple[WorkOrder, str | None]  # a new order and its idempotency key


def store_new(hl: Hotline, tx: Transaction, orders: Sequence[NewOrder]) -> None:
    """Give new orders their tracking codes (the city's prefix, the local day of receipt, a number: one
    statement a day, however many orders) and add them, each order dispatched at intake with its unit's notice."""
    by_prefix: dict[str, list[WorkOrder]] = defaultdict(list)
    for order, _ in orders:
        by_prefix[f"{hl.city.code_prefix}{order.received_at.astimezone(LOCAL_TZ):%Y%m%d}"].append(order)
    for prefix, same_day in by_prefix.items():
        for order, code in zip(same_day, tx.next_codes(prefix, len(same_day)), strict=True):
            order.code = code

    def notices(stored: Sequence[WorkOrder]) -> None:
        hl.record_with(tx, Action.DISPATCH, [order for order in stored if order.status == Status.DISPATCHED])

    tx.orders.add_many(orders, with_ids=notices)


def store_intakes(hl: Hotline, batch: list[NewOrder]) -> list[tuple[WorkOrder, bool] | BaseException]:
    """Store a batch of new orders in one transaction (file_appeal's group commit). When the batch fails (a key
    stored before, one order the database refuses, the database gone) each order is then stored in a transaction
    of its own, as if it had come alone, so one order's failure is never another's."""
    came = [(order.code, order.id, order.version, list(order.events)) for order, _ in batch]
    try:
        with hl.uow.begin(write=True) as tx:
            store_new(hl, tx, batch)
            tx.commit()
    except Exception as error:  # noqa: BLE001 - alone, the caller gets it; in a batch, each order tries alone
        if len(batch) == 1:
            return [_stored_before(hl, batch[0][1], error) if isinstance(error, IntegrityError) else error]
        for (order, _), (code, order_id, version, events) in zip(batch, came, strict=True):
            order.code, order.id, order.version, order.events[:] = code, order_id, version, events
        return [one for new in batch for one in store_intakes(hl, [new])]
    for order, _ in batch:
        hl.after_commit(order, Action.RECEIVE)  # the intake (a dispatch with it teaches no one: no person chose)
    return [(order, True) for order, _ in batch]


def _stored_before(hl: Hotline, key: str | None, error: IntegrityError) -> tuple[WorkOrder, bool] | BaseException:
    """The order an earlier call with `key` created (a retry, or a concurrent call that won the race)."""
    if key:
        with hl.uow.begin() as tx:
            existing = tx.orders.find_by_idempotency_key(key)
        if existing is not None:
            return existing, False
    return error


def _apply_analysis(order: WorkOrder, analysis: IntakeAnalysis, intake: AppealIntake) -> None:
    if not intake.category and analysis.category:
        order.category, order.category_confidence = analysis.category, analysis.category_confidence
    loc = order.location
    if not loc.district:
        loc.district, loc.street = analysis.district, loc.street or analysis.street
    loc.community = loc.community or analysis.community
    if intake.appeal_type is None and analysis.appeal_type is not None:
        order.appeal_type = analysis.appeal_type


def file_appeal(hl: Hotline, intake: AppealIntake, actor: Actor, idempotency_key: str | None = None
                ) -> tuple[WorkOrder, bool]:
    """受理: store a new order (and dispatch it when the router is sure). Returns (order, created).

    The analysis runs first, holding no lock; then the order joins the intakes being stored at that moment in
    one transaction (group commit) and this returns once that has committed. With an idempotency key a retried
    call returns the order the first call created: the key's unique index turns the retry's insert away, so a
    first call costs no look-up.
    """
    check_write(actor, "intake")
    idempotency_key = (idempotency_key or "").strip() or None  # a blank key is no key, not one shared by all
    order = new_order(hl, intake, actor)
    with _MAKING_INTAKES:
        if hl.intakes is None:
            hl.intakes = GroupCommit(partial(store_intakes, hl))
    return hl.intakes.submit((order, idempotency_key))


_MAKING_INTAKES = threading.Lock()


# -- actions -----------------------------------------------------------------------------------------

Handler = Callable[[Hotline, Transaction, WorkOrder, Actor, datetime, dict[str, Any]], None]


def _unit(hl: Hotline, tx: Transaction, code: str | None) -> str:
    """`code` if it names a unit: known to this process already, or found in the database."""
    if not code:
        raise InvalidInput("缺少承办单位", "unit_code is required")
    if code not in hl.unit_names() and tx.units.get(code) is None:
        raise InvalidInput(f"承办单位不存在：{code}", f"unknown unit: {code}")
    return code


def _satisfaction(p: dict[str, Any]) -> Satisfaction:
    if not p.get("satisfaction"):
        raise InvalidInput("回访须填写满意度", "satisfaction is required for a callback")
    return Satisfaction(p["satisfaction"])


def _dispatch(hl: Hotline, tx: Transaction, o: WorkOrder, a: Actor, at: datetime, p: dict[str, Any]) -> None:
    code, explanation, confidence = p.get("unit_code"), p.get("explanation") or "", None
    if not code:  # let the router decide
        decision = hl.route(o)
        if decision is None or not decision.unit_code:
            raise RuleViolation("无法自动确定承办单位，请指定", "the router could not fix a unit: give unit_code")
        code, explanation, confidence = decision.unit_code, decision.explanation, decision.confidence
    o.dispatch(a, at, _unit(hl, tx, code), hl.policy(), explanation or f"人工派单：{a.name}", confidence)


def _pass_down(hl: Hotline, tx: Transaction, o: WorkOrder, a: Actor, at: datetime, p: dict[str, Any]) -> None:
    lower = _unit(hl, tx, p.get("unit_code"))
    if lower == o.unit_code or lower not in hl.unit_tree().subtree(o.unit_code or ""):
        raise RuleViolation("只能下派给本单位的下级单位", "an order can only be passed down to a unit below")
    o.pass_down(a, at, lower, hl.policy(), p.get("reason") or "")


def _backstop(hl: Hotline, tx: Transaction, o: WorkOrder, a: Actor, at: datetime, p: dict[str, Any]) -> None:
    code = p.get("unit_code")
    if not code:
        district = o.location.district
        matches = [u for u in tx.units.all() if u.kind == UnitKind.DISTRICT and u.district == district]
        if not district or not matches:
            raise RuleViolation("工单所在区不明，请指定兜底单位",
                                "the order's district is unknown: give the backstop unit_code")
        code = matches[0].code
    o.backstop(a, at, _unit(hl, tx, code), hl.policy(), p.get("reason") or "")


def _merge(hl: Hotline, tx: Transaction, o: WorkOrder, a: Actor, at: datetime, p: dict[str, Any]) -> None:
    master_id = p.get("master_id")
    master = tx.orders.get(master_id) if master_id else None
    if master is None:
        raise InvalidInput("主工单不存在", "master order not found")
    o.merge_into(a, at, master, p.get("reason") or "")
    tx.orders.save(master, at)


HANDLERS: dict[Action, Handler] = {
    Action.DISPATCH: _dispatch,
    Action.PASS_DOWN: _pass_down,
    Action.BACKSTOP: _backstop,
    Action.MERGE: _merge,
    Action.SIGN: lambda hl, tx, o, a, at, p: o.sign(a, at),
    Action.REPLY: lambda hl, tx, o, a, at, p: o.reply(a, at, p.get("text") or "", hl.policy()),
    Action.RETURN: lambda hl, tx, o, a, at, p: o.return_(a, at, p.get("reason") or "", p.get("legal_basis") or "",
                                                         hl.policy(), p.get("suggested_unit")),
    Action.REASSIGN: lambda hl, tx, o, a, at, p: o.reassign(a, at, _unit(hl, tx, p.get("unit_code")), hl.policy(),
                                                            p.get("reason") or ""),
    Action.JOINT_REVIEW: lambda hl, tx, o, a, at, p: o.refer_to_joint_review(
        a, at, [_unit(hl, tx, u) for u in p.get("units") or []], p.get("reason") or ""),
    Action.DECIDE: lambda hl, tx, o, a, at, p: o.decide(a, at, _unit(hl, tx, p.get("unit_code")), hl.policy(),
                                                        p.get("reason") or ""),
    Action.EXTEND: lambda hl, tx, o, a, at, p: o.request_extension(a, at, int(p.get("working_days") or 0),
                                                                   p.get("reason") or ""),
    Action.APPROVE_EXTENSION: lambda hl, tx, o, a, at, p: o.approve_extension(a, at, hl.policy(),
                                                                              p.get("reason") or ""),
    Action.REJECT_EXTENSION: lambda hl, tx, o, a, at, p: o.reject_extension(a, at, p.get("reason") or ""),
    Action.SUSPEND: lambda hl, tx, o, a, at, p: o.suspend(a, at, p.get("reason") or ""),
    Action.RESUME: lambda hl, tx, o, a, at, p: o.resume(a, at, hl.policy(), p.get("reason") or ""),
    Action.REMIND: lambda hl, tx, o, a, at, p: o.remind(a, at, p.get("reason") or ""),
    Action.SUPERVISE: lambda hl, tx, o, a, at, p: o.supervise(a, at, p.get("reason") or ""),
    Action.CALLBACK: lambda hl, tx, o, a, at, p: o.callback(a, at, _satisfaction(p), p.get("note") or ""),
    Action.REOPEN: lambda hl, tx, o, a, at, p: o.reopen(a, at, hl.policy(), p.get("reason") or ""),
    Action.WITHDRAW: lambda hl, tx, o, a, at, p: o.withdraw(a, at, p.get("reason") or ""),
    Action.CLOSE: lambda hl, tx, o, a, at, p: o.close(a, at, p.get("reason") or ""),
    Action.ANSWER: lambda hl, tx, o, a, at, p: o.answer(a, at, p.get("answer") or "", p.get("article_id")),
    Action.TRANSFER: lambda hl, tx, o, a, at, p: o.transfer(a, at, p.get("service") or "", p.get("reason") or ""),
}


def scope_of(hl: Hotline, actor: Actor) -> list[str] | None:
    """The unit codes a unit user may see (None: no restriction)."""
    if not is_unit_scoped(actor):
        return None
    if not actor.unit_code:
        return []
    return hl.unit_tree().subtree(actor.unit_code)


def _check_scope(hl: Hotline, actor: Actor, order: WorkOrder) -> None:
    scope = scope_of(hl, actor)
    if scope is not None and order.unit_code not in scope:
        raise Forbidden("无权访问其他单位的工单", "this order belongs to another unit")


def perform(hl: Hotline, order_id: int, action: Action, actor: Actor, payload: dict[str, Any] | None = None,
            expected_version: int | None = None) -> WorkOrder:
    """Carry out one action on one order, in one transaction, with its event."""
    handler = HANDLERS.get(action)
    if handler is None:  # receive: an order is filed, not acted on
        raise InvalidInput(f"不支持的操作：{action.value}", f"unsupported action: {action.value}")
    check_action(actor, action)
    with hl.uow.begin(write=True) as tx:
        order = tx.orders.get(order_id)
        if order is None:
            raise NotFound("工单不存在", "work order not found")
        _check_scope(hl, actor, order)
        if expected_version is not None and expected_version != order.version:
            raise ConcurrencyConflict("工单已被他人修改，请刷新后重试",
                                      "the work order was changed by someone else: reload and retry")
        now = hl.clock.now()
        handler(hl, tx, order, actor, now, payload or {})
        hl.record_with(tx, action, [order])
        tx.orders.save(order, now)
        tx.commit()
    hl.after_commit(order, action)
    return order


def get_order(hl: Hotline, order_id: int, actor: Actor, *, shows_caller: bool = False
              ) -> tuple[WorkOrder, list[dict[str, Any]]]:
    """An order and its history, within the reader's unit scope. `shows_caller`: the caller is about
    to be shown as services.views decides; a read that shows the phone unmasked is audited (read_caller)."""
    with hl.uow.begin() as tx:
        order = tx.orders.get(order_id)
        if order is None:
            raise NotFound("工单不存在", "work order not found")
        _check_scope(hl, actor, order)
        events = tx.orders.events(order_id)
    if shows_caller and sees_caller_contact(order, actor):
        with hl.uow.begin(write=True) as tx:
            tx.audit.record(hl.clock.now(), actor.name, "read_caller", "work_order", str(order_id),
                            {"role": actor.role.value})
            tx.commit()
    return order, events


def list_orders(hl: Hotline, actor: Actor, f: OrderFilter, limit: int, offset: int) -> tuple[list[WorkOrder], int]:
    """A page of the orders `actor` may see that match `f`, and how many match. Finding orders by a caller's
    phone is a read of personal data: hotline staff only, and audited."""
    scope = scope_of(hl, actor)
    if scope is not None:
        f = replace(f, unit_codes=scope)
    if f.phone:
        check_write(actor, "read_caller")
    with hl.uow.begin(write=bool(f.phone)) as tx:
        found = tx.orders.query(f, limit, offset)
        if f.phone:
            tx.audit.record(hl.clock.now(), actor.name, "search_by_phone", "work_order", None,
                            {"role": actor.role.value, "phone": mask_phone(f.phone), "found": found[1]})
            tx.commit()
        return found


YELLOW_REMINDER = "办理时限临近，系统自动催办"


def sweep_deadlines(hl: Hotline, batch: int = 500) -> dict[str, int]:
    """The SLA sweep below, by one process at a time: a sweep that finds another running does nothing."""
    with exclusive(hl.uow.engine, "sla-sweep") as mine:
        return _sweep_deadlines(hl, batch) if mine else {"orders": 0, "sign": 0, "reply": 0, "yellow": 0}


def _sweep_deadlines(hl: Hotline, batch: int) -> dict[str, int]:
    """Mark late orders (reminder on a late sign-for, supervision on a late reply) and remind the units
    whose reply deadline turned yellow ("yellow"). Idempotent; the units are told after each commit."""
    counts = {"orders": 0, "sign": 0, "reply": 0, "yellow": 0}
    after_id = 0
    while True:
        with hl.uow.begin(write=True) as tx:
            now = hl.clock.now()
            page = tx.orders.late_orders(now, after_id, batch)
            marked, changed = [], []
            for order in page:
                kinds = order.mark_overdue(now)
                if not kinds:
                    continue  # already marked by an earlier sweep
                counts["orders"] += 1
                changed.append(order)
                for kind in kinds:
                    counts[kind] += 1
                    marked.append((order, Action.REMIND if kind == "sign" else Action.SUPERVISE))
            for action in (Action.REMIND, Action.SUPERVISE):  # the page's notices, before its events are saved
                hl.record_with(tx, action, [order for order, done in marked if done == action])
            for order in changed:
                tx.orders.save(order, now)
            tx.commit()
        for order, action in marked:
            hl.after_commit(order, action)
        if len(page) < batch:
            counts["yellow"] = remind_near_deadlines(hl)
            return counts
        after_id = page[-1].id or after_id


def remind_near_deadlines(hl: Hotline, batch: int = 5000) -> int:
    """催办 once per assignment when an order's reply light turns yellow. Idempotent.

    Reads only the deadline columns of the orders in units' hands, a page at a time, and the
    reminders already given to the yellow ones in one query per page.
    """
    now, policy = hl.clock.now(), hl.policy()
    due: list[int] = []
    after = 0
    with hl.uow.begin() as tx:
        while page := tx.orders.reply_windows(("dispatched", "signed"), after, batch):
            yellow = {order_id: dispatched_at or received_at
                      for order_id, received_at, reply_due, dispatched_at in page
                      if policy.light(reply_due, received_at, now) == Light.YELLOW}
            reminded = tx.orders.last_reminders(list(yellow), YELLOW_REMINDER)
            due += [i for i, since in yellow.items() if i not in reminded or reminded[i] < since]
            after = page[-1][0]
    for order_id in due:
        perform(hl, order_id, Action.REMIND, SYSTEM, {"reason": YELLOW_REMINDER})
    return len(due)
