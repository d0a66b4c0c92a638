"""The work order (工单) and its closed-loop lifecycle, as a state machine of data.

`TRANSITIONS` says which action may move an order from which status to which; every change
goes through `WorkOrder.apply`, which checks that table and appends an event (who, when, what,
why). Rules beyond the table (the return window, a binding joint-review decision) are checked by
the action methods before the move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from rexian.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from rexian.domain.sla import DeadlinePolicy, Light
from rexian.domain.vocabulary import AppealType, Channel, Role, Satisfaction, Urgency


class Status(StrEnum):
    RECEIVED = "received"  # 已受理
    REVIEW = "review"  # 待审核: the router was not sure, a dispatcher decides
    DISPATCHED = "dispatched"  # 已派单, waiting for the unit to sign
    SIGNED = "signed"  # 已签收, being handled
    SUSPENDED = "suspended"  # 已中止, clock paused
    RETURNED = "returned"  # 已退单, back at the hotline office
    JOINT_REVIEW = "joint_review"  # 联合审定
    REPLIED = "replied"  # 已答复, waiting for the callback
    REOPENED = "reopened"  # 重办, the citizen was not satisfied
    ANSWERED = "answered"  # 即时解答 at intake
    TRANSFERRED = "transferred"  # 转110/119/120/122
    CLOSED = "closed"  # 已办结
    MERGED = "merged"  # 已并单 into a master order
    WITHDRAWN = "withdrawn"  # 已撤回 by the citizen


class Action(StrEnum):
    RECEIVE = "receive"  # 受理
    QUEUE_FOR_REVIEW = "queue-for-review"
    DISPATCH = "dispatch"  # 派单
    ANSWER = "answer"  # 即时解答
    TRANSFER = "transfer"  # 转警/转急救
    SIGN = "sign"  # 签收
    PASS_DOWN = "pass-down"  # 下派
    REPLY = "reply"  # 答复
    RETURN = "return"  # 退单
    REASSIGN = "reassign"  # 改派
    JOINT_REVIEW = "joint-review"  # 提请联合审定
    DECIDE = "decide"  # 联合审定结论 (binding)
    BACKSTOP = "backstop"  # 区级兜底
    EXTEND = "extend"  # 申请延期
    APPROVE_EXTENSION = "approve-extension"
    REJECT_EXTENSION = "reject-extension"
    SUSPEND = "suspend"  # 中止
    RESUME = "resume"
    REMIND = "remind"  # 催办
    SUPERVISE = "supervise"  # 督办
    CALLBACK = "callback"  # 回访
    REOPEN = "reopen"  # 重办
    MERGE = "merge"  # 并单
    WITHDRAW = "withdraw"  # 撤回
    CLOSE = "close"  # 办结


S = Status
IN_UNIT = frozenset({S.DISPATCHED, S.SIGNED, S.SUSPENDED})
AT_OFFICE = frozenset({S.RECEIVED, S.REVIEW, S.RETURNED, S.JOINT_REVIEW, S.REOPENED})
OPEN = IN_UNIT | AT_OFFICE
FINISHED = frozenset({S.CLOSED, S.MERGED, S.WITHDRAWN, S.TRANSFERRED})
SAME = None  # the action does not change the status


@dataclass(frozen=True)
class Move:
    sources: frozenset[Status]
    targets: frozenset[Status | None]


def _m(sources: set[Status] | frozenset[Status], *targets: Status | None) -> Move:
    return Move(frozenset(sources), frozenset(targets))


TRANSITIONS: dict[Action, Move] = {
    Action.QUEUE_FOR_REVIEW: _m({S.RECEIVED, S.REOPENED}, S.REVIEW),
    Action.DISPATCH: _m({S.RECEIVED, S.REVIEW, S.REOPENED}, S.DISPATCHED),
    Action.ANSWER: _m({S.RECEIVED, S.REVIEW}, S.ANSWERED),
    Action.TRANSFER: _m({S.RECEIVED, S.REVIEW}, S.TRANSFERRED),
    Action.SIGN: _m({S.DISPATCHED}, S.SIGNED),
    Action.PASS_DOWN: _m({S.SIGNED}, S.DISPATCHED),
    Action.REPLY: _m({S.SIGNED}, S.REPLIED, S.SIGNED),  # SIGNED: a lower unit's reply goes back up
    Action.RETURN: _m({S.DISPATCHED, S.SIGNED}, S.RETURNED, S.SIGNED),  # SIGNED: back to the upper unit
    Action.REASSIGN: _m({S.RETURNED, S.REVIEW, S.DISPATCHED}, S.DISPATCHED),
    Action.JOINT_REVIEW: _m({S.RETURNED}, S.JOINT_REVIEW),
    Action.DECIDE: _m({S.JOINT_REVIEW}, S.DISPATCHED),
    Action.BACKSTOP: _m({S.RECEIVED, S.REVIEW, S.RETURNED, S.JOINT_REVIEW, S.REOPENED}, S.DISPATCHED),
    Action.EXTEND: _m({S.SIGNED}, SAME),
    Action.APPROVE_EXTENSION: _m({S.SIGNED, S.SUSPENDED}, SAME),
    Action.REJECT_EXTENSION: _m({S.SIGNED, S.SUSPENDED}, SAME),
    Action.SUSPEND: _m({S.SIGNED}, S.SUSPENDED),
    Action.RESUME: _m({S.SUSPENDED}, S.SIGNED),
    Action.REMIND: _m(IN_UNIT, SAME),
    Action.SUPERVISE: _m(IN_UNIT | {S.RETURNED, S.JOINT_REVIEW}, SAME),
    Action.CALLBACK: _m({S.REPLIED, S.ANSWERED}, S.CLOSED, S.REOPENED),
    Action.REOPEN: _m({S.REPLIED, S.CLOSED}, S.REOPENED),
    Action.MERGE: _m(OPEN, S.MERGED),
    Action.WITHDRAW: _m(OPEN, S.WITHDRAWN),
    Action.CLOSE: _m({S.REPLIED, S.ANSWERED}, S.CLOSED),
}

STATUS_ZH = {
    S.RECEIVED: "已受理", S.REVIEW: "待审核", S.DISPATCHED: "已派单", S.SIGNED: "办理中",
    S.SUSPENDED: "已中止", S.RETURNED: "已退单", S.JOINT_REVIEW: "联合审定中", S.REPLIED: "已答复",
    S.REOPENED: "重办", S.ANSWERED: "已即时解答", S.TRANSFERRED: "已转接", S.CLOSED: "已办结",
    S.MERGED: "已并单", S.WITHDRAWN: "已撤回",
}
ACTION_ZH = {
    Action.RECEIVE: "受理", Action.QUEUE_FOR_REVIEW: "转人工审核", Action.DISPATCH: "派单",
    Action.ANSWER: "即时解答", Action.TRANSFER: "转接", Action.SIGN: "签收", Action.PASS_DOWN: "下派",
    Action.REPLY: "答复", Action.RETURN: "退单", Action.REASSIGN: "改派", Action.JOINT_REVIEW: "提请联合审定",
    Action.DECIDE: "联合审定结论", Action.BACKSTOP: "区级兜底", Action.EXTEND: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期", Action.REJECT_EXTENSION: "驳回延期", Action.SUSPEND: "中止",
    Action.RESUME: "恢复", Action.REMIND: "催办", Action.SUPERVISE: "督办", Action.CALLBACK: "回访",
    Action.REOPEN: "重办", Action.MERGE: "并单", Action.WITHDRAW: "撤回", Action.CLOSE: "办结",
}

EMERGENCY_SERVICES = frozenset({"110", "119", "120", "122"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with a role (and a unit for unit staff), or the system itself."""

    name: str
    role: Role
    unit_code: str | None = None


SYSTEM = Actor("system", Role.SYSTEM)


@dataclass(frozen=True)
class Event:
    """One append-only line of an order's history."""

    action: str
    actor: str
    role: str
    at: datetime
    from_status: str | None
    to_status: str | None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Caller:
    name: str | None = None
    phone: str | None = None
    anonymous: bool = False
    confidential: bool = False  # 保密: hide name and contact from units


@dataclass
class Location:
    address: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    lat: float | None = None
    long: float | None = None


Method = TypeVar("Method", bound=Callable[..., None])


def _guarded(action: Action) -> Callable[[Method], Method]:
    """Refuse an illegal move before the action method changes any field, not only the status."""

    def wrap(method: Method) -> Method:
        @wraps(method)
        def guarded(self: WorkOrder, *args: Any, **kwargs: Any) -> None:
            self.check(action)
            method(self, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap


@dataclass
class WorkOrder:
    """A work order. Mutated only by its action methods, each recording an event."""

    code: str
    channel: Channel
    appeal_type: AppealType
    urgency: Urgency
    title: str
    content: str
    received_at: datetime
    caller: Caller = field(default_factory=Caller)
    location: Location = field(default_factory=Location)
    category: str | None = None
    category_confidence: float | None = None
    status: Status = Status.RECEIVED
    unit_code: str | None = None
    chain: list[str] = field(default_factory=list)  # upper units an order was passed down from
    dispatched_at: datetime | None = None
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    sign_due: datetime | None = None
    reply_due: datetime | None = None
    callback_due: datetime | None = None
    suspended_at: datetime | None = None
    extension_request: dict[str, Any] | None = None
    reply_text: str | None = None
    satisfaction: Satisfaction | None = None
    dispatch_explanation: str | None = None
    dispatch_confidence: float | None = None
    return_locked: bool = False  # after a joint-review decision or a backstop, no further return
    return_count: int = 0
    reopen_count: int = 0
    supervision_level: int = 0  # 0 none, 1 reminded (催办), 2 supervised (督办)
    overdue: list[str] = field(default_factory=list)  # deadlines found late by the sweep
    master_id: int | None = None
    related_ids: list[int] = field(default_factory=list)
    transferred_to: str | None = None
    external_ref: str | None = None  # the id in another system, for imports
    id: int | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)  # new events, not yet stored

    # -- the one guarded transition -------------------------------------------------------------
    def apply(self, action: Action, actor: Actor, at: datetime, target: Status | None = SAME,
              reason: str = "", **data: Any) -> Event:
        """Check `action` against TRANSITIONS, move to `target`, and record the event."""
        self.check(action)
        if target not in TRANSITIONS[action].targets:
            raise IllegalTransition(f"{ACTION_ZH[action]}不能转到该状态", f"{action.value} cannot lead to {target}")
        before = self.status
        if target is not SAME:
            self.status = target
        event = Event(action.value, actor.name, actor.role.value, at, before.value, self.status.value,
                      reason, {k: v for k, v in data.items() if v is not None})
        self.events.append(event)
        return event

    def check(self, action: Action) -> None:
        """Raise IllegalTransition unless `action` may be taken from the current status."""
        if self.status not in TRANSITIONS[action].sources:
            raise IllegalTransition(
                f"工单{self.code}当前状态为“{STATUS_ZH[self.status]}”，不能{ACTION_ZH[action]}",
                f"work order {self.code} is {self.status.value}: cannot {action.value}",
                status=self.status.value, action=action.value,
            )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def dispatched_unit(self) -> str | None:
        """The unit the hotline made responsible (the top of any pass-down chain), once a unit holds or has
        answered the order; None while it is at the office or if it ended without a unit."""
        if self.status not in IN_UNIT | {S.REPLIED, S.CLOSED}:
            return None
        return self.chain[0] if self.chain else self.unit_code

    def lights(self, policy: DeadlinePolicy, now: datetime) -> dict[str, Light | None]:
        """Traffic light of each running deadline."""
        running_sign = self.status == S.DISPATCHED
        running_reply = self.status in OPEN and self.status != S.SUSPENDED
        return {
            "sign": policy.light(self.sign_due, self.dispatched_at or self.received_at, now) if running_sign else None,
            "reply": policy.light(self.reply_due, self.received_at, now) if running_reply else None,
            "callback": policy.light(self.callback_due, self.replied_at or now, now)
            if self.status == S.REPLIED else None,
        }

    # -- intake ---------------------------------------------------------------------------------
    def receive(self, actor: Actor, policy: DeadlinePolicy) -> None:
        """Record the receipt (受理) and set the reply deadline counted from it."""
        self.reply_due = policy.reply_due(self.received_at, self.appeal_type, self.urgency)
        self.events.append(Event(Action.RECEIVE.value, actor.name, actor.role.value, self.received_at, None,
                                 self.status.value, "", {"channel": self.channel.value}))

    @_guarded(Action.QUEUE_FOR_REVIEW)
    def queue_for_review(self, actor: Actor, at: datetime, explanation: str, confidence: float | None) -> None:
        self.dispatch_explanation, self.dispatch_confidence = explanation, confidence
        self.apply(Action.QUEUE_FOR_REVIEW, actor, at, S.REVIEW, explanation, confidence=confidence)

    @_guarded(Action.ANSWER)
    def answer(self, actor: Actor, at: datetime, answer: str, article_id: str | None = None) -> None:
        _require(answer, "答复内容", "answer")
        self.reply_text, self.replied_at = answer, at
        self.apply(Action.ANSWER, actor, at, S.ANSWERED, answer, article_id=article_id)

    @_guarded(Action.TRANSFER)
    def transfer(self, actor: Actor, at: datetime, service: str, reason: str) -> None:
        if service not in EMERGENCY_SERVICES:
            raise InvalidInput("只能转接110、119、120、122", "transfer only to 110, 119, 120 or 122")
        self.transferred_to, self.closed_at = service, at
        self.apply(Action.TRANSFER, actor, at, S.TRANSFERRED, reason, service=service)

    # -- dispatch and the office -----------------------------------------------------------------
    def _assign(self, unit_code: str, at: datetime, policy: DeadlinePolicy) -> None:
        _require(unit_code, "承办单位", "unit")
        self.unit_code, self.dispatched_at, self.signed_at = unit_code, at, None
        self.chain = []
        self.sign_due = policy.sign_due(at, self.urgency)
        self.overdue = [kind for kind in self.overdue if kind != "sign"]  # a fresh sign-for deadline

    @_guarded(Action.DISPATCH)
    def dispatch(self, actor: Actor, at: datetime, unit_code: str, policy: DeadlinePolicy,
                 explanation: str = "", confidence: float | None = None) -> None:
        if self.status == S.REOPENED:  # 重办: a fresh handling period from now
            self.reply_due = policy.reply_due(at, self.appeal_type, self.urgency)
            self.overdue = [kind for kind in self.overdue if kind != "reply"]
        self._assign(unit_code, at, policy)
        self.dispatch_explanation, self.dispatch_confidence = explanation or self.dispatch_explanation, confidence
        self.apply(Action.DISPATCH, actor, at, S.DISPATCHED, explanation, unit=unit_code, confidence=confidence)

    @_guarded(Action.REASSIGN)
    def reassign(self, actor: Actor, at: datetime, unit_code: str, policy: DeadlinePolicy, reason: str) -> None:
        _require(reason, "改派理由", "reason")
        previous = self.unit_code
        self._assign(unit_code, at, policy)
        self.apply(Action.REASSIGN, actor, at, S.DISPATCHED, reason, unit=unit_code, previous_unit=previous)

    @_guarded(Action.JOINT_REVIEW)
    def refer_to_joint_review(self, actor: Actor, at: datetime, units: list[str], reason: str) -> None:
        _require(reason, "提请理由", "reason")
        if len(units) < 2:
            raise InvalidInput("联合审定至少涉及两个单位", "joint review needs at least two units")
        self.apply(Action.JOINT_REVIEW, actor, at, S.JOINT_REVIEW, reason, units=units)

    @_guarded(Action.DECIDE)
    def decide(self, actor: Actor, at: datetime, unit_code: str, policy: DeadlinePolicy, reason: str) -> None:
        """The joint review's decision binds the unit: it can no longer return the order."""
        _require(reason, "审定意见", "reason")
        self._assign(unit_code, at, policy)
        self.return_locked = True
        self.apply(Action.DECIDE, actor, at, S.DISPATCHED, reason, unit=unit_code, binding=True)

    @_guarded(Action.BACKSTOP)
    def backstop(self, actor: Actor, at: datetime, district_unit_code: str, policy: DeadlinePolicy,
                 reason: str) -> None:
        """区级兜底: the district government takes an order no unit can be fixed for."""
        self._assign(district_unit_code, at, policy)
        self.return_locked = True
        self.apply(Action.BACKSTOP, actor, at, S.DISPATCHED, reason or "区级兜底", unit=district_unit_code)

    @_guarded(Action.REMIND)
    def remind(self, actor: Actor, at: datetime, reason: str) -> None:
        self.supervision_level = max(self.supervision_level, 1)
        self.apply(Action.REMIND, actor, at, SAME, reason or "催办", unit=self.unit_code)

    @_guarded(Action.SUPERVISE)
    def supervise(self, actor: Actor, at: datetime, reason: str) -> None:
        self.supervision_level = 2
        self.apply(Action.SUPERVISE, actor, at, SAME, reason or "督办", unit=self.unit_code)

    @_guarded(Action.APPROVE_EXTENSION)
    def approve_extension(self, actor: Actor, at: datetime, policy: DeadlinePolicy, reason: str = "") -> None:
        request = self._pending_extension()
        old_due = self.reply_due
        if old_due is not None:
            self.reply_due = policy.extend(old_due, int(request["working_days"]))
        self.extension_request = None
        self.apply(Action.APPROVE_EXTENSION, actor, at, SAME, reason, working_days=request["working_days"],
                   old_due=_iso(old_due), new_due=_iso(self.reply_due))

    @_guarded(Action.REJECT_EXTENSION)
    def reject_extension(self, actor: Actor, at: datetime, reason: str) -> None:
        _require(reason, "驳回理由", "reason")
        request = self._pending_extension()
        self.extension_request = None
        self.apply(Action.REJECT_EXTENSION, actor, at, SAME, reason, working_days=request["working_days"])

    def _pending_extension(self) -> dict[str, Any]:
        if not self.extension_request:
            raise RuleViolation("没有待审批的延期申请", "there is no pending extension request")
        return self.extension_request

    # -- the unit --------------------------------------------------------------------------------
    @_guarded(Action.SIGN)
    def sign(self, actor: Actor, at: datetime) -> None:
        self.signed_at = at
        self.apply(Action.SIGN, actor, at, S.SIGNED, unit=self.unit_code)

    @_guarded(Action.PASS_DOWN)
    def pass_down(self, actor: Actor, at: datetime, lower_unit_code: str, policy: DeadlinePolicy,
                  reason: str = "") -> None:
        """下派: hand the order to a unit below; its reply comes back up to this unit."""
        upper = self.unit_code
        if upper is None:
            raise RuleViolation("工单尚未派给单位", "the order has no unit yet")
        chain = [*self.chain, upper]
        self._assign(lower_unit_code, at, policy)
        self.chain = chain
        self.apply(Action.PASS_DOWN, actor, at, S.DISPATCHED, reason, unit=lower_unit_code, from_unit=upper)

    @_guarded(Action.REPLY)
    def reply(self, actor: Actor, at: datetime, text: str, policy: DeadlinePolicy) -> None:
        _require(text, "答复内容", "reply text")
        self.reply_text = text
        if self.chain:  # the lower unit's reply goes up to the unit that passed it down
            lower, self.unit_code = self.unit_code, self.chain.pop()
            self.signed_at = at
            self.apply(Action.REPLY, actor, at, S.SIGNED, text, from_unit=lower, to_unit=self.unit_code)
            return
        self.replied_at = at
        self.callback_due = policy.callback_due(at)
        self.apply(Action.REPLY, actor, at, S.REPLIED, text, unit=self.unit_code)

    @_guarded(Action.RETURN)
    def return_(self, actor: Actor, at: datetime, reason: str, legal_basis: str, policy: DeadlinePolicy,
                suggested_unit: str | None = None) -> None:
        """退单: the unit says the order is outside its remit, with the legal basis, within the window."""
        _require(reason, "退单理由", "reason")
        _require(legal_basis, "退单依据", "legal basis")
        if self.return_locked:
            raise RuleViolation("该工单经联合审定或区级兜底确定承办单位，不能退单",
                                "a joint-review decision or backstop binds this unit: it cannot return the order")
        if self.dispatched_at is not None and at > policy.return_window_closes(self.dispatched_at):
            raise RuleViolation("已超过退单时限", "the return window has closed")
        returning = self.unit_code
        self.return_count += 1
        if self.chain:
            self.unit_code = self.chain.pop()
            self.apply(Action.RETURN, actor, at, S.SIGNED, reason, legal_basis=legal_basis,
                       from_unit=returning, to_unit=self.unit_code)
            return
        self.apply(Action.RETURN, actor, at, S.RETURNED, reason, legal_basis=legal_basis, from_unit=returning,
                   suggested_unit=suggested_unit)

    @_guarded(Action.EXTEND)
    def request_extension(self, actor: Actor, at: datetime, working_days: int, reason: str) -> None:
        _require(reason, "延期理由", "reason")
        if working_days < 1:
            raise InvalidInput("延期天数须为正数", "extension days must be positive")
        if self.extension_request:
            raise RuleViolation("已有待审批的延期申请", "an extension request is already pending")
        self.extension_request = {"working_days": working_days, "reason": reason, "by": actor.name}
        self.apply(Action.EXTEND, actor, at, SAME, reason, working_days=working_days)

    @_guarded(Action.SUSPEND)
    def suspend(self, actor: Actor, at: datetime, reason: str) -> None:
        _require(reason, "中止理由", "reason")
        self.suspended_at = at
        self.apply(Action.SUSPEND, actor, at, S.SUSPENDED, reason)

    @_guarded(Action.RESUME)
    def resume(self, actor: Actor, at: datetime, policy: DeadlinePolicy, reason: str = "") -> None:
        suspended_at = self.suspended_at or at
        old_due = self.reply_due
        if old_due is not None:
            self.reply_due = policy.shift_for_suspension(old_due, suspended_at, at)
        self.suspended_at = None
        self.apply(Action.RESUME, actor, at, S.SIGNED, reason, old_due=_iso(old_due), new_due=_iso(self.reply_due))

    # -- callback and closure --------------------------------------------------------------------
    @_guarded(Action.CALLBACK)
    def callback(self, actor: Actor, at: datetime, satisfaction: Satisfaction, note: str = "") -> None:
        """回访: satisfied closes the order; unsatisfied reopens it for re-handling (重办)."""
        self.satisfaction = satisfaction
        if satisfaction == Satisfaction.UNSATISFIED:
            self.reopen_count += 1
            self.apply(Action.CALLBACK, actor, at, S.REOPENED, note, satisfaction=satisfaction.value)
            return
        self.closed_at = at
        self.apply(Action.CALLBACK, actor, at, S.CLOSED, note, satisfaction=satisfaction.value)

    @_guarded(Action.REOPEN)
    def reopen(self, actor: Actor, at: datetime, policy: DeadlinePolicy, reason: str) -> None:
        _require(reason, "重办理由", "reason")
        if self.status == S.CLOSED and self.closed_at is not None and \
                (at - self.closed_at).days > policy.limits.reopen_window_days:
            raise RuleViolation("已超过重办期限", "the order was closed too long ago to reopen")
        self.reopen_count += 1
        self.closed_at = None
        self.apply(Action.REOPEN, actor, at, S.REOPENED, reason)

    @_guarded(Action.CLOSE)
    def close(self, actor: Actor, at: datetime, reason: str = "") -> None:
        self.closed_at = at
        self.apply(Action.CLOSE, actor, at, S.CLOSED, reason)

    @_guarded(Action.MERGE)
    def merge_into(self, actor: Actor, at: datetime, master: WorkOrder, reason: str = "") -> None:
        """并单: this order becomes one more caller of `master`."""
        if master.id is None or master.id == self.id:
            raise InvalidInput("不能并入自身", "cannot merge an order into itself")
        if master.status in FINISHED:
            raise RuleViolation("主工单已结束，不能并入", "the master order is finished")
        self.master_id, self.closed_at = master.id, at
        self.apply(Action.MERGE, actor, at, S.MERGED, reason, master_id=master.id, master_code=master.code)
        if self.id is not None and self.id not in master.related_ids:
            master.related_ids.append(self.id)
        master.events.append(Event("merged-in", actor.name, actor.role.value, at, master.status.value,
                                   master.status.value, reason, {"order_id": self.id, "code": self.code}))

    @_guarded(Action.WITHDRAW)
    def withdraw(self, actor: Actor, at: datetime, reason: str) -> None:
        self.closed_at = at
        self.apply(Action.WITHDRAW, actor, at, S.WITHDRAWN, reason or "诉求人撤回")

    # -- SLA sweep ---------------------------------------------------------------------------------
    def mark_overdue(self, at: datetime) -> list[str]:
        """Record each running deadline found past due once (idempotent): remind on a late
        sign-for, supervise on a late reply. Returns the deadlines newly marked."""
        late = []
        if self.status == S.DISPATCHED and self.sign_due and at > self.sign_due and "sign" not in self.overdue:
            late.append("sign")
        if self.status in IN_UNIT - {S.SUSPENDED} and self.reply_due and at > self.reply_due \
                and "reply" not in self.overdue:
            late.append("reply")
        for kind in late:
            self.overdue.append(kind)
            if kind == "sign":
                self.remind(SYSTEM, at, "签收超时，系统自动催办")
            else:
                self.supervise(SYSTEM, at, "办理超时，系统自动督办")
        return late


def _require(value: object, name_zh: str, name_en: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"缺少{name_zh}", f"{name_en} is required")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
