"""Who may do what: roles per action, and the unit scope of unit staff. Checked in one place."""

from __future__ import annotations

from rexian.domain.errors import Forbidden
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor

R = Role
OFFICE = frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN})
UNIT = frozenset({R.UNIT_STAFF, R.UNIT_ADMIN, R.ADMIN})
STAFF = frozenset({R.AGENT, R.DISPATCHER, R.UNIT_STAFF, R.UNIT_ADMIN, R.SUPERVISOR, R.ADMIN})
UNIT_ROLES = frozenset({R.UNIT_STAFF, R.UNIT_ADMIN})

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.QUEUE_FOR_REVIEW: OFFICE | {R.SYSTEM},
    Action.DISPATCH: OFFICE | {R.AGENT, R.SYSTEM},
    Action.ANSWER: OFFICE | {R.AGENT},
    Action.TRANSFER: OFFICE | {R.AGENT},
    Action.SIGN: UNIT,
    Action.PASS_DOWN: UNIT,
    Action.REPLY: UNIT,
    Action.RETURN: UNIT,
    Action.EXTEND: UNIT,
    Action.SUSPEND: UNIT,
    Action.RESUME: UNIT | OFFICE,
    Action.REASSIGN: OFFICE,
    Action.JOINT_REVIEW: OFFICE,
    Action.DECIDE: frozenset({R.SUPERVISOR, R.ADMIN}),
    Action.BACKSTOP: OFFICE,
    Action.APPROVE_EXTENSION: OFFICE,
    Action.REJECT_EXTENSION: OFFICE,
    Action.REMIND: OFFICE | {R.SYSTEM},
    Action.SUPERVISE: OFFICE | {R.SYSTEM},
    Action.CALLBACK: OFFICE | {R.AGENT, R.CITIZEN},
    Action.REOPEN: OFFICE | {R.AGENT},
    Action.MERGE: OFFICE | {R.AGENT},
    Action.WITHDRAW: OFFICE | {R.AGENT, R.CITIZEN},
    Action.CLOSE: OFFICE,
}

WRITE_ROLES = {  # non-order writes
    "intake": STAFF | {R.CITIZEN, R.SYSTEM},
    "manage_units": frozenset({R.ADMIN}),
    "manage_users": frozenset({R.ADMIN}),
    "manage_open311_keys": frozenset({R.ADMIN}),
    "manage_rules": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    "sweep": frozenset({R.ADMIN, R.SYSTEM, R.SUPERVISOR}),
    "write_knowledge": STAFF, "review_knowledge": OFFICE,  # draft and propose articles; review and publish
    "read_analytics": OFFICE | {R.AGENT},  # dashboards, hotspots, surges, reply quality
    "unit_desk": UNIT_ROLES,  # the unit workbench (/unit)
    "office_desk": OFFICE,  # the hotline office (/office), performance
    "take_calls": frozenset({R.AGENT, R.DISPATCHER, R.ADMIN}),  # the agent desk (/desk, /api/v1/calls)
    "manage_templates": frozenset({R.UNIT_ADMIN, R.ADMIN}),
    "attach": UNIT | OFFICE,
    "read_caller": OFFICE | {R.AGENT},  # the unmasked caller, and finding orders by the caller's phone; audited
    "search_orders": OFFICE | UNIT | {R.AGENT},  # 工单查询 and export (/orders), within the reader's scope; audited
    "view_orders": OFFICE | {R.AGENT},  # an order's office page (/office/orders/N): a citizen asks an agent
    "read_audit": frozenset({R.ADMIN}),
    "drive_cti": frozenset({R.SYSTEM, R.ADMIN}), "read_wallboard": STAFF | {R.SYSTEM},  # /api/v1/cti
}


def check_action(actor: Actor, action: Action) -> None:
    if actor.role not in ACTION_ROLES[action]:
        raise Forbidden(f"角色“{actor.role.value}”无权执行“{action.value}”",
                        f"role {actor.role.value} may not {action.value}")


def may(actor: Actor | None, what: str) -> bool:
    """Whether `actor` may do `what` (a key of WRITE_ROLES): what check_write enforces, for pages to show only
    what their reader may use."""
    return actor is not None and actor.role in WRITE_ROLES[what]


def check_write(actor: Actor, what: str) -> None:
    if not may(actor, what):
        raise Forbidden("无权执行此操作", f"role {actor.role.value} may not {what.replace('_', ' ')}")


def is_unit_scoped(actor: Actor) -> bool:
    """Unit staff see and act on their own unit's orders and those of the units below it."""
    return actor.role in UNIT_ROLES
