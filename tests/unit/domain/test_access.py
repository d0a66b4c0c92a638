"""Who may take which action on a work order."""

from __future__ import annotations

import pytest

from rexian.domain.access import ACTION_ROLES, check_action, check_write, is_unit_scoped
from rexian.domain.errors import Forbidden
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import TRANSITIONS, Action, Actor

STAFF = Actor("staff-chen", Role.UNIT_STAFF, "GZ-TH")
CITIZEN = Actor("citizen", Role.CITIZEN)


def test_every_transition_has_its_roles():
    assert set(ACTION_ROLES) == set(TRANSITIONS)


@pytest.mark.parametrize("action", [Action.SIGN, Action.REPLY, Action.RETURN, Action.PASS_DOWN, Action.EXTEND,
                                    Action.SUSPEND])
def test_unit_staff_handle_the_order_in_their_unit(action: Action):
    check_action(STAFF, action)


@pytest.mark.parametrize("action", [Action.DISPATCH, Action.REASSIGN, Action.APPROVE_EXTENSION, Action.DECIDE,
                                    Action.CLOSE, Action.CALLBACK])
def test_unit_staff_may_not_do_the_hotline_offices_work(action: Action):
    with pytest.raises(Forbidden) as refused:
        check_action(STAFF, action)

    assert "unit_staff" in refused.value.message_zh and action.value in refused.value.message_en


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_a_citizen_may_only_withdraw_or_answer_the_callback(action: Action):
    allowed = action in {Action.WITHDRAW, Action.CALLBACK}

    if allowed:
        check_action(CITIZEN, action)
    else:
        with pytest.raises(Forbidden):
            check_action(CITIZEN, action)


def test_only_supervisors_and_admins_take_a_binding_joint_review_decision():
    assert {role for role in Role if role in ACTION_ROLES[Action.DECIDE]} == {Role.SUPERVISOR, Role.ADMIN}


def test_the_system_may_route_and_chase_but_not_handle_or_close():
    system = Actor("system", Role.SYSTEM)
    for action in (Action.DISPATCH, Action.QUEUE_FOR_REVIEW, Action.REMIND, Action.SUPERVISE):
        check_action(system, action)
    for action in (Action.SIGN, Action.REPLY, Action.CLOSE, Action.DECIDE):
        with pytest.raises(Forbidden):
            check_action(system, action)


def test_only_admins_manage_users_and_units():
    for what in ("manage_users", "manage_units"):
        check_write(Actor("admin", Role.ADMIN), what)
        with pytest.raises(Forbidden):
            check_write(Actor("dispatcher-wang", Role.DISPATCHER), what)


def test_anyone_including_a_citizen_may_file_an_order():
    check_write(CITIZEN, "intake")


@pytest.mark.parametrize(("role", "scoped"), [(Role.UNIT_STAFF, True), (Role.UNIT_ADMIN, True),
                                              (Role.DISPATCHER, False), (Role.ADMIN, False)])
def test_only_unit_roles_are_limited_to_their_units_orders(role: Role, scoped: bool):
    assert is_unit_scoped(Actor("someone", role)) is scoped
