"""Work orders built for tests by driving a fresh order along legal paths of its lifecycle.

No status is set by hand: every status in `Status` is reachable through the action methods, so an
order made here carries the same fields and events a real one would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.sla import DeadlinePolicy
from rexian.domain.vocabulary import AppealType, Channel, Role, Satisfaction, Urgency
from rexian.domain.workorder import Actor, Status, WorkOrder

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)  # an ordinary working week, no holiday near
STEP = timedelta(minutes=10)

AGENT = Actor("agent-li", Role.AGENT)
DISPATCHER = Actor("dispatcher-wang", Role.DISPATCHER)
SUPERVISOR = Actor("supervisor-zhao", Role.SUPERVISOR)
STAFF = Actor("staff-chen", Role.UNIT_STAFF, "GZ-TH")
CITIZEN = Actor("citizen", Role.CITIZEN)

UNIT = "GZ-TH"  # 天河区 (the first unit dispatched to)
LOWER_UNIT = "GZ-TH-LD"  # a street below it
OTHER_UNIT = "GZ-YX"


def policy() -> DeadlinePolicy:
    """The default Guangdong limits on the real calendar (a fresh one, so `warnings` is clean)."""
    return DeadlinePolicy(WorkingCalendar())


def new_order(received_at: datetime = MONDAY, appeal_type: AppealType = AppealType.COMPLAINT,
              urgency: Urgency = Urgency.NORMAL, order_id: int = 1,
              deadlines: DeadlinePolicy | None = None) -> WorkOrder:
    """A freshly received order (受理), reply deadline set."""
    order = WorkOrder(code=f"GZ20260302-{order_id:06d}", channel=Channel.PHONE, appeal_type=appeal_type,
                      urgency=urgency, title="噪音扰民", content="小区旁工地夜间施工噪音扰民",
                      received_at=received_at, id=order_id)
    order.receive(AGENT, deadlines or policy())
    return order


def next_time(order: WorkOrder) -> datetime:
    """A moment just after the order's last event."""
    return order.events[-1].at + STEP


Step = Callable[[WorkOrder, datetime, DeadlinePolicy], None]

# Each status: the status it is reached from, and the legal step that gets there.
_PATHS: dict[Status, tuple[Status, Step]] = {
    Status.REVIEW: (Status.RECEIVED, lambda o, at, p: o.queue_for_review(DISPATCHER, at, "路由不确定", 0.4)),
    Status.DISPATCHED: (Status.RECEIVED, lambda o, at, p: o.dispatch(DISPATCHER, at, UNIT, p)),
    Status.SIGNED: (Status.DISPATCHED, lambda o, at, p: o.sign(STAFF, at)),
    Status.SUSPENDED: (Status.SIGNED, lambda o, at, p: o.suspend(STAFF, at, "等待司法鉴定")),
    Status.RETURNED: (Status.DISPATCHED,
                      lambda o, at, p: o.return_(STAFF, at, "不属本单位职责", "《广州市城市管理条例》", p)),
    Status.JOINT_REVIEW: (Status.RETURNED,
                          lambda o, at, p: o.refer_to_joint_review(DISPATCHER, at, [UNIT, OTHER_UNIT], "职责争议")),
    Status.REPLIED: (Status.SIGNED, lambda o, at, p: o.reply(STAFF, at, "已责令工地停止夜间施工", p)),
    Status.REOPENED: (Status.REPLIED, lambda o, at, p: o.callback(AGENT, at, Satisfaction.UNSATISFIED, "仍有噪音")),
    Status.CLOSED: (Status.REPLIED, lambda o, at, p: o.callback(AGENT, at, Satisfaction.SATISFIED)),
    Status.ANSWERED: (Status.RECEIVED, lambda o, at, p: o.answer(AGENT, at, "按知识库即时解答")),
    Status.TRANSFERRED: (Status.RECEIVED, lambda o, at, p: o.transfer(AGENT, at, "110", "涉及人身安全")),
    Status.MERGED: (Status.RECEIVED, lambda o, at, p: o.merge_into(DISPATCHER, at, master_order(), "重复诉求")),
    Status.WITHDRAWN: (Status.RECEIVED, lambda o, at, p: o.withdraw(CITIZEN, at, "问题已自行解决")),
}


def master_order(order_id: int = 99) -> WorkOrder:
    """An open order that others can be merged into."""
    return new_order(order_id=order_id)


def order_in(status: Status, extension_pending: bool = False, deadlines: DeadlinePolicy | None = None,
             **kwargs: object) -> WorkOrder:
    """A fresh order driven along legal steps, one STEP apart, until it is in `status`.

    With `extension_pending`, the unit requests an extension (延期) as soon as it has signed, so
    the request is pending in the statuses that follow (signed, suspended).
    """
    deadlines = deadlines or policy()
    path: list[Step] = []
    current = status
    while current != Status.RECEIVED:
        current, step = _PATHS[current]
        path.insert(0, step)
    order = new_order(deadlines=deadlines, **kwargs)  # type: ignore[arg-type]
    for step in path:
        step(order, next_time(order), deadlines)
        if extension_pending and order.status == Status.SIGNED and order.extension_request is None:
            order.request_extension(STAFF, next_time(order), 3, "需协调多个部门")
    return order
