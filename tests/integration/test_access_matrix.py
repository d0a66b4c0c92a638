"""Who may see and do what, role by role: the desks, the audit log, order actions, and one unit
reading or acting on another unit's order by id."""

from __future__ import annotations

import pytest
from tests.integration.conftest import LIEDE, SHIPAI, USERS, auth

from rexian.adapters.db.repositories import OrderFilter
from rexian.domain.errors import Forbidden
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor, Caller
from rexian.services import office as svc
from rexian.services import order_export as export
from rexian.services import performance as perf
from rexian.services import workorders as uc

ACTORS = {name: Actor(name, role, unit) for name, (role, unit) in USERS.items()}
ACTORS["citizen"] = Actor("citizen", Role.CITIZEN)
PHONE = "13800138000"
# role → may it open: the unit desk, the office desk, performance, the audit log, the unmasked caller,
# an export of orders (工单导出), a search by the caller's phone
MAY = {
    "admin": (False, True, True, True, True, True, True),
    "agent": (False, False, False, False, True, True, True),
    "dispatcher": (False, True, True, False, True, True, True),
    "supervisor": (False, True, True, False, True, True, True),
    "tianhe": (True, False, False, False, False, True, False),
    "shipai": (True, False, False, False, False, True, False),
    "liede": (True, False, False, False, False, True, False),
    "citizen": (False, False, False, False, False, False, False),
}


def allowed(call) -> bool:  # type: ignore[no-untyped-def]
    try:
        call()
    except Forbidden:
        return False
    return True


@pytest.fixture
def order_at_shipai(hotline) -> int:
    intake = uc.AppealIntake(content="路灯不亮", channel=uc.Channel.PHONE, caller=Caller(name="王先生", phone=PHONE),
                             auto_dispatch=False)
    oid = uc.file_appeal(hotline, intake, ACTORS["agent"])[0].id
    uc.perform(hotline, oid, Action.DISPATCH, ACTORS["dispatcher"], {"unit_code": SHIPAI})
    return oid


@pytest.mark.parametrize("name", sorted(MAY))
def test_each_role_opens_only_its_desks(hotline, order_at_shipai, name):
    actor, day = ACTORS[name], hotline.clock.now().date()
    seen = (allowed(lambda: svc.unit_inbox(hotline, actor)), allowed(lambda: svc.office_queues(hotline, actor)),
            allowed(lambda: perf.unit_performance(hotline, actor, day, day)),
            allowed(lambda: svc.audit_log(hotline, actor)),
            allowed(lambda: svc.reveal_caller(hotline, actor, order_at_shipai)),
            allowed(lambda: export.export_orders(hotline, actor, OrderFilter())),
            allowed(lambda: uc.list_orders(hotline, actor, OrderFilter(phone=PHONE), 10, 0)))
    assert seen == MAY[name]


def test_a_unit_cannot_read_or_act_on_another_units_order_by_id(client, tokens, hotline, order_at_shipai):
    url = f"/api/v1/work-orders/{order_at_shipai}"
    assert client.get(url, headers=auth(tokens["liede"])).status_code == 403
    assert client.post(f"{url}/actions/sign", json={}, headers=auth(tokens["liede"])).status_code == 403
    assert client.get(url, headers=auth(tokens["tianhe"])).status_code == 200  # the district above
    assert client.post(f"{url}/actions/sign", json={}, headers=auth(tokens["shipai"])).status_code == 200
    with pytest.raises(Forbidden):
        svc.order_page(hotline, ACTORS["liede"], order_at_shipai)
    with pytest.raises(Forbidden):
        svc.add_attachment(hotline, ACTORS["liede"], order_at_shipai, "a.pdf", b"x")
    assert order_at_shipai not in [o.id for o in svc.unit_inbox(hotline, ACTORS["liede"]).orders]
    assert order_at_shipai in [o.id for o in svc.unit_inbox(hotline, ACTORS["tianhe"]).orders]


@pytest.mark.parametrize(("name", "action", "may"), [
    ("shipai", Action.REASSIGN, False), ("agent", Action.SIGN, False), ("dispatcher", Action.SIGN, False),
    ("supervisor", Action.REMIND, True), ("dispatcher", Action.SUPERVISE, True), ("citizen", Action.REMIND, False),
])
def test_order_actions_follow_the_roles(hotline, order_at_shipai, name, action, may):
    payload = {"unit_code": LIEDE, "reason": "r"}
    assert allowed(lambda: uc.perform(hotline, order_at_shipai, action, ACTORS[name], payload)) is may


def test_reading_the_unmasked_caller_through_the_api_is_audited_and_a_masked_read_is_not(
        client, tokens, hotline, order_at_shipai):
    url = f"/api/v1/work-orders/{order_at_shipai}"

    def read(name: str) -> str | None:
        return client.get(url, headers=auth(tokens[name])).json()["caller"]["phone"]

    def readers() -> list[str]:
        entries, _ = svc.audit_log(hotline, ACTORS["admin"], action="read_caller")
        return sorted(e["actor"] for e in entries)

    assert read("dispatcher") == PHONE and read("supervisor") == PHONE
    assert read("shipai") != PHONE and client.get(f"{url}/events", headers=auth(tokens["dispatcher"])).is_success
    assert readers() == ["dispatcher", "supervisor"]
    assert client.post(f"{url}/actions/sign", json={}, headers=auth(tokens["shipai"])).is_success
    assert read("shipai") == PHONE and client.get(url, headers=auth(tokens["liede"])).status_code == 403
    assert readers() == ["dispatcher", "shipai", "supervisor"]
