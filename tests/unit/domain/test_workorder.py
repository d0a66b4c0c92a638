"""The work-order state machine: every transition in the table, legal and illegal, and the rules
beyond the table (return window, binding decisions, pass-down, callback, extension, suspension,
merge, transfer, the SLA sweep)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from tests.factories import (
    DISPATCHER,
    LOWER_UNIT,
    OTHER_UNIT,
    STAFF,
    SUPERVISOR,
    UNIT,
    master_order,
    new_order,
    next_time,
    order_in,
    policy,
)

from rexian.domain.access import ACTION_ROLES
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from rexian.domain.sla import DeadlinePolicy
from rexian.domain.vocabulary import AppealType, Role, Satisfaction
from rexian.domain.workorder import (
    ACTION_ZH,
    STATUS_ZH,
    SYSTEM,
    TRANSITIONS,
    Action,
    Actor,
    Status,
    WorkOrder,
)

S = Status
SHANGHAI = LOCAL_TZ


def actor_for(action: Action) -> Actor:
    """Someone whose role may take `action`, preferring the people who do it day to day."""
    for role in (Role.UNIT_STAFF, Role.DISPATCHER, Role.AGENT, Role.SUPERVISOR, Role.CITIZEN):
        if role in ACTION_ROLES[action]:
            return Actor(f"{role.value}-1", role, UNIT if role == Role.UNIT_STAFF else None)
    raise AssertionError(f"no everyday role may {action}")


@dataclass(frozen=True)
class Case:
    """How to take one action with valid fields, and what it should record."""

    perform: Callable[[WorkOrder, Actor, datetime, DeadlinePolicy], None]
    reason: str
    target: Status | None  # None: the status stays as it was


CASES: dict[Action, Case] = {
    Action.QUEUE_FOR_REVIEW: Case(lambda o, a, t, p: o.queue_for_review(a, t, "两个单位得分接近", 0.5),
                                  "两个单位得分接近", S.REVIEW),
    Action.DISPATCH: Case(lambda o, a, t, p: o.dispatch(a, t, UNIT, p, "按属地派单"), "按属地派单", S.DISPATCHED),
    Action.ANSWER: Case(lambda o, a, t, p: o.answer(a, t, "办理时间为工作日9点至17点"), "办理时间为工作日9点至17点",
                        S.ANSWERED),
    Action.TRANSFER: Case(lambda o, a, t, p: o.transfer(a, t, "119", "火情"), "火情", S.TRANSFERRED),
    Action.SIGN: Case(lambda o, a, t, p: o.sign(a, t), "", S.SIGNED),
    Action.PASS_DOWN: Case(lambda o, a, t, p: o.pass_down(a, t, LOWER_UNIT, p, "属街道管辖"), "属街道管辖",
                           S.DISPATCHED),
    Action.REPLY: Case(lambda o, a, t, p: o.reply(a, t, "已处理完毕", p), "已处理完毕", S.REPLIED),
    Action.RETURN: Case(lambda o, a, t, p: o.return_(a, t, "非本单位职责", "《某条例》第五条", p), "非本单位职责",
                        S.RETURNED),
    Action.REASSIGN: Case(lambda o, a, t, p: o.reassign(a, t, OTHER_UNIT, p, "改派越秀区"), "改派越秀区",
                          S.DISPATCHED),
    Action.JOINT_REVIEW: Case(lambda o, a, t, p: o.refer_to_joint_review(a, t, [UNIT, OTHER_UNIT], "职责交叉"),
                              "职责交叉", S.JOINT_REVIEW),
    Action.DECIDE: Case(lambda o, a, t, p: o.decide(a, t, OTHER_UNIT, p, "由越秀区承办"), "由越秀区承办",
                        S.DISPATCHED),
    Action.BACKSTOP: Case(lambda o, a, t, p: o.backstop(a, t, UNIT, p, "无法确定承办单位"), "无法确定承办单位",
                          S.DISPATCHED),
    Action.EXTEND: Case(lambda o, a, t, p: o.request_extension(a, t, 5, "需现场勘查"), "需现场勘查", None),
    Action.APPROVE_EXTENSION: Case(lambda o, a, t, p: o.approve_extension(a, t, p, "同意"), "同意", None),
    Action.REJECT_EXTENSION: Case(lambda o, a, t, p: o.reject_extension(a, t, "理由不足"), "理由不足", None),
    Action.SUSPEND: Case(lambda o, a, t, p: o.suspend(a, t, "待诉求人补充材料"), "待诉求人补充材料", S.SUSPENDED),
    Action.RESUME: Case(lambda o, a, t, p: o.resume(a, t, p, "材料已补齐"), "材料已补齐", S.SIGNED),
    Action.REMIND: Case(lambda o, a, t, p: o.remind(a, t, "请尽快签收"), "请尽快签收", None),
    Action.SUPERVISE: Case(lambda o, a, t, p: o.supervise(a, t, "挂牌督办"), "挂牌督办", None),
    Action.CALLBACK: Case(lambda o, a, t, p: o.callback(a, t, Satisfaction.SATISFIED, "问题已解决"), "问题已解决",
                          S.CLOSED),
    Action.REOPEN: Case(lambda o, a, t, p: o.reopen(a, t, p, "诉求人再次来电"), "诉求人再次来电", S.REOPENED),
    Action.MERGE: Case(lambda o, a, t, p: o.merge_into(a, t, master_order(), "同一工地噪音"), "同一工地噪音",
                       S.MERGED),
    Action.WITHDRAW: Case(lambda o, a, t, p: o.withdraw(a, t, "已自行解决"), "已自行解决", S.WITHDRAWN),
    Action.CLOSE: Case(lambda o, a, t, p: o.close(a, t, "即时解答办结"), "即时解答办结", S.CLOSED),
}

NEEDS_PENDING_EXTENSION = {Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION}

LEGAL = [(action, source) for action, move in TRANSITIONS.items() for source in sorted(move.sources)]
ILLEGAL = [(action, status) for action, move in TRANSITIONS.items() for status in Status
           if status not in move.sources]


def test_every_action_in_the_table_has_a_case_here():
    assert set(CASES) == set(TRANSITIONS)


@pytest.mark.parametrize(("action", "source"), LEGAL, ids=[f"{a.value}-from-{s.value}" for a, s in LEGAL])
def test_a_legal_move_succeeds_and_records_exactly_one_event(action: Action, source: Status):
    order = order_in(source, extension_pending=action in NEEDS_PENDING_EXTENSION)
    before = len(order.events)
    actor, at, case = actor_for(action), next_time(order), CASES[action]

    case.perform(order, actor, at, policy())

    expected = case.target or source
    assert order.status == expected
    assert len(order.events) == before + 1
    event = order.events[-1]
    assert (event.action, event.from_status, event.to_status) == (action.value, source.value, expected.value)
    assert (event.actor, event.role, event.at, event.reason) == (actor.name, actor.role.value, at, case.reason)


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a.value}-from-{s.value}" for a, s in ILLEGAL])
def test_an_illegal_move_is_refused_in_both_languages_and_changes_nothing(action: Action, status: Status):
    order = order_in(status, extension_pending=True)
    unchanged = copy.deepcopy(order)

    with pytest.raises(IllegalTransition) as refused:
        CASES[action].perform(order, actor_for(action), next_time(order), policy())

    assert order == unchanged  # status, events and every other field
    assert STATUS_ZH[status] in refused.value.message_zh and ACTION_ZH[action] in refused.value.message_zh
    assert status.value in refused.value.message_en and action.value in refused.value.message_en
    assert refused.value.details == {"status": status.value, "action": action.value}


# -- return (退单) -----------------------------------------------------------------------------------

def dispatched_on(at: datetime) -> WorkOrder:
    order = new_order(received_at=at - timedelta(hours=1))
    order.dispatch(DISPATCHER, at, UNIT, policy())
    return order


@pytest.mark.parametrize(("reason", "legal_basis"), [("", "《条例》第五条"), ("非本单位职责", ""), ("  ", "  ")])
def test_a_return_needs_both_a_reason_and_a_legal_basis(reason: str, legal_basis: str):
    order = order_in(S.DISPATCHED)
    unchanged = copy.deepcopy(order)

    with pytest.raises(InvalidInput):
        order.return_(STAFF, next_time(order), reason, legal_basis, policy())

    assert order == unchanged


# Dispatched Wed 2026-09-30: the next working day is Thu 2026-10-08 (Oct 1-7 is the National Day
# holiday), so the 1-working-day return window stays open through the holiday until Oct 8 23:59:59.
@pytest.mark.parametrize(("returned_at", "allowed"), [
    (datetime(2026, 10, 7, 10, 0, tzinfo=SHANGHAI), True),
    (datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI), True),
    (datetime(2026, 10, 9, 0, 0, 1, tzinfo=SHANGHAI), False),
])
def test_a_return_is_allowed_only_within_one_working_day_of_dispatch(returned_at: datetime, allowed: bool):
    order = dispatched_on(datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI))

    if allowed:
        order.return_(STAFF, returned_at, "非本单位职责", "《条例》第五条", policy())
        assert order.status == S.RETURNED and order.return_count == 1
        assert order.events[-1].data["legal_basis"] == "《条例》第五条"
    else:
        with pytest.raises(RuleViolation):
            order.return_(STAFF, returned_at, "非本单位职责", "《条例》第五条", policy())
        assert order.status == S.DISPATCHED and order.return_count == 0


def test_a_joint_review_decision_binds_the_unit_so_it_cannot_return_the_order():
    order = order_in(S.JOINT_REVIEW)
    order.decide(SUPERVISOR, next_time(order), OTHER_UNIT, policy(), "由越秀区承办")
    assert order.unit_code == OTHER_UNIT and order.events[-1].data["binding"] is True

    with pytest.raises(RuleViolation):
        order.return_(STAFF, next_time(order), "非本单位职责", "《条例》第五条", policy())
    assert order.status == S.DISPATCHED


def test_a_district_backstop_binds_the_district_so_it_cannot_return_the_order():
    order = order_in(S.RETURNED)
    order.backstop(DISPATCHER, next_time(order), UNIT, policy(), "")
    assert order.events[-1].reason == "区级兜底"

    with pytest.raises(RuleViolation):
        order.return_(STAFF, next_time(order), "非本单位职责", "《条例》第五条", policy())
    assert order.status == S.DISPATCHED and order.unit_code == UNIT


# -- pass-down (下派) ----------------------------------------------------------------------------------

def passed_down() -> WorkOrder:
    order = order_in(S.SIGNED)
    order.pass_down(STAFF, next_time(order), LOWER_UNIT, policy(), "属街道管辖")
    assert (order.status, order.unit_code, order.chain) == (S.DISPATCHED, LOWER_UNIT, [UNIT])
    order.sign(Actor("street-staff", Role.UNIT_STAFF, LOWER_UNIT), next_time(order))
    return order


def test_a_passed_down_order_is_replied_up_to_the_upper_unit_and_then_to_the_office():
    order = passed_down()
    street = Actor("street-staff", Role.UNIT_STAFF, LOWER_UNIT)

    order.reply(street, next_time(order), "街道已现场处理", policy())

    assert (order.status, order.unit_code, order.chain) == (S.SIGNED, UNIT, [])
    assert order.replied_at is None and order.callback_due is None
    assert order.events[-1].data == {"from_unit": LOWER_UNIT, "to_unit": UNIT}

    replied_at = next_time(order)
    order.reply(STAFF, replied_at, "区里复核后答复市民", policy())

    assert order.status == S.REPLIED and order.replied_at == replied_at
    assert order.callback_due == policy().callback_due(replied_at)
    assert order.events[-1].data == {"unit": UNIT}


def test_a_return_from_a_passed_down_unit_goes_back_to_the_upper_unit():
    order = passed_down()

    order.return_(Actor("street-staff", Role.UNIT_STAFF, LOWER_UNIT), next_time(order), "不属街道职责",
                  "《条例》第七条", policy())

    assert (order.status, order.unit_code, order.chain) == (S.SIGNED, UNIT, [])
    assert order.events[-1].data["to_unit"] == UNIT and order.events[-1].to_status == S.SIGNED.value


def test_the_dispatched_unit_is_the_one_the_hotline_sent_the_order_to():
    assert passed_down().dispatched_unit == UNIT  # not the street it was passed down to
    returned = order_in(S.DISPATCHED)
    returned.return_(STAFF, next_time(returned), "非本单位职责", "《条例》第五条", policy())
    assert returned.status == S.RETURNED and returned.unit_code == UNIT and returned.dispatched_unit is None
    assert order_in(S.REVIEW).dispatched_unit is None and order_in(S.CLOSED).dispatched_unit == UNIT


def test_pass_down_needs_an_upper_unit():
    order = order_in(S.SIGNED)
    order.unit_code = None  # no legal path leaves a signed order without a unit: set by hand

    with pytest.raises(RuleViolation):
        order.pass_down(STAFF, next_time(order), LOWER_UNIT, policy())
    assert order.status == S.SIGNED


# -- callback (回访) and reopening (重办) ---------------------------------------------------------------

@pytest.mark.parametrize(("satisfaction", "status", "reopens"), [
    (Satisfaction.SATISFIED, S.CLOSED, 0),
    (Satisfaction.BASICALLY_SATISFIED, S.CLOSED, 0),
    (Satisfaction.UNSATISFIED, S.REOPENED, 1),
])
def test_a_callback_closes_a_satisfied_order_and_reopens_an_unsatisfied_one(
        satisfaction: Satisfaction, status: Status, reopens: int):
    order = order_in(S.REPLIED)
    at = next_time(order)

    order.callback(DISPATCHER, at, satisfaction)

    assert (order.status, order.satisfaction, order.reopen_count) == (status, satisfaction, reopens)
    assert order.closed_at == (at if status == S.CLOSED else None)
    assert order.events[-1].data == {"satisfaction": satisfaction.value}


def test_a_reopened_order_dispatched_again_gets_a_fresh_reply_deadline():
    order = order_in(S.REOPENED)
    first_due = order.reply_due
    again = datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI)  # a Friday, well after the first dispatch

    order.dispatch(DISPATCHER, again, OTHER_UNIT, policy())

    assert order.reply_due == policy().reply_due(again, AppealType.COMPLAINT, order.urgency) != first_due
    assert order.reply_due == datetime(2026, 4, 13, 23, 59, 59, tzinfo=SHANGHAI)  # 15 working days, Apr 6 off
    assert (order.status, order.unit_code, order.signed_at) == (S.DISPATCHED, OTHER_UNIT, None)


@pytest.mark.parametrize(("days_after_closing", "allowed"), [(30, True), (31, False)])
def test_a_closed_order_can_be_reopened_only_within_the_reopen_window(days_after_closing: int, allowed: bool):
    order = order_in(S.CLOSED)
    assert order.closed_at is not None
    at = order.closed_at + timedelta(days=days_after_closing)

    if allowed:
        order.reopen(DISPATCHER, at, policy(), "诉求人反映问题复发")
        assert (order.status, order.reopen_count, order.closed_at) == (S.REOPENED, 1, None)
    else:
        with pytest.raises(RuleViolation):
            order.reopen(DISPATCHER, at, policy(), "诉求人反映问题复发")
        assert (order.status, order.reopen_count) == (S.CLOSED, 0)


# -- extension (延期) and suspension (中止) -------------------------------------------------------------

def signed_with_reply_due_before_national_day() -> WorkOrder:
    # A consultation received Wed 2026-09-23 is due in 2 working days: Thu 24, then Mon 28
    # (Fri 25 is the Mid-Autumn holiday, 26-27 the weekend).
    order = new_order(received_at=datetime(2026, 9, 23, 10, 0, tzinfo=SHANGHAI),
                      appeal_type=AppealType.CONSULTATION)
    assert order.reply_due == datetime(2026, 9, 28, 23, 59, 59, tzinfo=SHANGHAI)
    order.dispatch(DISPATCHER, next_time(order), UNIT, policy())
    order.sign(STAFF, next_time(order))
    order.request_extension(STAFF, next_time(order), 4, "需多部门会商")
    return order


def test_an_approved_extension_moves_the_reply_deadline_by_working_days_across_national_day():
    order = signed_with_reply_due_before_national_day()

    order.approve_extension(DISPATCHER, next_time(order), policy())

    # 4 working days after Mon Sep 28: Tue 29, Wed 30, (Oct 1-7 off) Thu Oct 8, Fri Oct 9.
    assert order.reply_due == datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI)
    assert order.extension_request is None
    assert order.events[-1].data["new_due"] == order.reply_due.isoformat()


def test_a_rejected_extension_keeps_the_reply_deadline():
    order = signed_with_reply_due_before_national_day()
    due = order.reply_due

    order.reject_extension(DISPATCHER, next_time(order), "理由不足")

    assert order.reply_due == due and order.extension_request is None
    with pytest.raises(RuleViolation):  # nothing left to decide
        order.approve_extension(DISPATCHER, next_time(order), policy())


def test_a_second_extension_request_waits_for_the_first_to_be_decided():
    order = signed_with_reply_due_before_national_day()

    with pytest.raises(RuleViolation):
        order.request_extension(STAFF, next_time(order), 2, "再延两天")
    assert order.extension_request == {"working_days": 4, "reason": "需多部门会商", "by": STAFF.name}


@pytest.mark.parametrize(("suspended_at", "resumed_at", "working_days_paused"), [
    # Mon 10:00 → Thu 10:00: Mon, Tue, Wed were spent suspended.
    (datetime(2026, 3, 9, 10, 0), datetime(2026, 3, 12, 10, 0), 3),
    # Wed Sep 30 → Fri Oct 9: Sep 30 and Oct 8 only; the National Day week does not count.
    (datetime(2026, 9, 30, 10, 0), datetime(2026, 10, 9, 10, 0), 2),
])
def test_resuming_a_suspended_order_moves_its_deadline_by_the_working_days_suspended(
        suspended_at: datetime, resumed_at: datetime, working_days_paused: int):
    order = new_order(received_at=suspended_at.replace(tzinfo=SHANGHAI) - timedelta(hours=2))
    order.dispatch(DISPATCHER, next_time(order), UNIT, policy())
    order.sign(STAFF, next_time(order))
    due = order.reply_due
    assert due is not None
    order.suspend(STAFF, suspended_at.replace(tzinfo=SHANGHAI), "等待鉴定结果")

    order.resume(STAFF, resumed_at.replace(tzinfo=SHANGHAI), policy())

    assert order.status == S.SIGNED and order.suspended_at is None
    assert order.reply_due == policy().calendar.add_working_days(due, working_days_paused)


def test_a_suspension_within_one_working_day_moves_the_deadline_by_the_pause_itself():
    order = order_in(S.SUSPENDED)
    due = order.reply_due
    assert due is not None and order.suspended_at is not None

    order.resume(STAFF, order.suspended_at + timedelta(hours=2), policy())

    assert order.reply_due == due + timedelta(hours=2)


# -- merge (并单) and transfer (转接) ------------------------------------------------------------------

def test_a_merged_order_points_to_its_master_and_the_master_lists_it():
    master = master_order(order_id=7)
    order = new_order(order_id=8)
    at = next_time(order)

    order.merge_into(DISPATCHER, at, master, "同一工地噪音")

    assert (order.status, order.master_id, order.closed_at) == (S.MERGED, 7, at)
    assert master.related_ids == [8] and master.status == S.RECEIVED
    merged_in = master.events[-1]
    assert (merged_in.action, merged_in.actor, merged_in.data) == ("merged-in", DISPATCHER.name,
                                                                   {"order_id": 8, "code": order.code})


def test_an_order_cannot_be_merged_into_itself_or_into_a_finished_master():
    order = new_order(order_id=8)
    finished = order_in(S.WITHDRAWN, order_id=9)

    with pytest.raises(InvalidInput):
        order.merge_into(DISPATCHER, next_time(order), order)
    with pytest.raises(RuleViolation):
        order.merge_into(DISPATCHER, next_time(order), finished)
    assert order.status == S.RECEIVED and finished.related_ids == []


@pytest.mark.parametrize("service", ["110", "119", "120", "122"])
def test_an_order_can_be_transferred_to_the_emergency_services(service: str):
    order = new_order()

    order.transfer(DISPATCHER, next_time(order), service, "紧急情况")

    assert (order.status, order.transferred_to) == (S.TRANSFERRED, service)


@pytest.mark.parametrize("service", ["12345", "114", "", "1100"])
def test_an_order_cannot_be_transferred_anywhere_else(service: str):
    order = new_order()
    unchanged = copy.deepcopy(order)

    with pytest.raises(InvalidInput):
        order.transfer(DISPATCHER, next_time(order), service, "紧急情况")
    assert order == unchanged


# -- the SLA sweep ---------------------------------------------------------------------------------

def test_the_sweep_reminds_once_when_the_sign_for_is_late():
    order = order_in(S.DISPATCHED)
    assert order.sign_due is not None
    late = order.sign_due + timedelta(minutes=1)

    assert order.mark_overdue(order.sign_due) == []
    assert order.mark_overdue(late) == ["sign"]
    events = len(order.events)
    assert order.mark_overdue(late + timedelta(hours=1)) == []

    assert len(order.events) == events
    reminders = [e for e in order.events if e.action == Action.REMIND.value]
    assert len(reminders) == 1 and reminders[0].actor == SYSTEM.name
    assert order.supervision_level == 1 and order.overdue == ["sign"]


def test_the_sweep_supervises_once_when_the_reply_is_late():
    order = order_in(S.SIGNED)
    assert order.reply_due is not None
    late = order.reply_due + timedelta(seconds=1)

    assert order.mark_overdue(late) == ["reply"]
    assert order.mark_overdue(late + timedelta(days=1)) == []

    supervisions = [e for e in order.events if e.action == Action.SUPERVISE.value]
    assert len(supervisions) == 1 and supervisions[0].role == Role.SYSTEM.value
    assert order.supervision_level == 2 and order.status == S.SIGNED


def test_the_sweep_leaves_suspended_and_finished_orders_alone():
    for status in (S.SUSPENDED, S.REPLIED, S.CLOSED):
        order = order_in(status)
        events = len(order.events)
        assert order.mark_overdue(datetime(2027, 6, 1, tzinfo=SHANGHAI)) == []
        assert len(order.events) == events


def test_the_sweep_watches_the_fresh_deadlines_of_a_reopened_order_again():
    order = order_in(S.SIGNED)
    assert order.reply_due is not None
    order.mark_overdue(order.reply_due + timedelta(seconds=1))
    order.reply(STAFF, order.reply_due + timedelta(hours=1), "迟到的答复", policy())
    order.callback(DISPATCHER, next_time(order), Satisfaction.UNSATISFIED, "未解决")
    order.dispatch(DISPATCHER, next_time(order), OTHER_UNIT, policy())
    assert order.sign_due is not None and order.reply_due is not None

    assert order.mark_overdue(order.sign_due + timedelta(seconds=1)) == ["sign"]
    order.sign(STAFF, next_time(order))
    assert order.mark_overdue(order.reply_due + timedelta(seconds=1)) == ["reply"]


def test_the_sweep_reminds_a_lower_unit_that_signs_late_after_the_upper_one_did():
    order = order_in(S.DISPATCHED)
    assert order.sign_due is not None
    order.mark_overdue(order.sign_due + timedelta(seconds=1))
    order.sign(STAFF, order.sign_due + timedelta(hours=1))
    order.pass_down(STAFF, next_time(order), LOWER_UNIT, policy())
    assert order.sign_due is not None

    assert order.mark_overdue(order.sign_due + timedelta(seconds=1)) == ["sign"]
    assert [e.action for e in order.events].count(Action.REMIND.value) == 2
