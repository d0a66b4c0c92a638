"""Several app processes on one database behave as one: one SLA sweep at a time, shared sessions."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

from fastapi.testclient import TestClient
from tests.integration.conftest import ROOT, SHIPAI, TIANHE, auth

from rexian.adapters.db.locks import exclusive
from rexian.domain.routing import RoutingRule
from rexian.domain.vocabulary import Channel, Role
from rexian.domain.workorder import Action
from rexian.services import workorders as uc
from rexian.services.auth import add_user, issue_token, revoke_tokens, set_active
from rexian.services.office import set_unit_contact
from rexian.web.app import create_app


def _late_orders(hl, clock, n: int) -> list[int]:
    ids = []
    for i in range(n):
        order, _ = uc.file_appeal(hl, uc.AppealIntake(content=f"路灯不亮第{i}处", channel=Channel.PHONE), ROOT)
        uc.perform(hl, order.id or 0, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
        ids.append(order.id or 0)
    clock.advance(days=2)  # past the sign-for deadline
    return ids


def _reminders(hl, order_id: int) -> int:
    return [e["action"] for e in uc.get_order(hl, order_id, ROOT)[1]].count(Action.REMIND.value)


def test_two_processes_sweeping_at_once_remind_each_late_order_once(hotline, clock, other_process):
    ids = _late_orders(hotline, clock, 6)
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def sweep(hl) -> None:  # noqa: ANN001
        start.wait()
        results.append(uc.sweep_deadlines(hl))

    threads = [threading.Thread(target=sweep, args=(hl,)) for hl in (hotline, other_process)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and sum(r["sign"] for r in results) == 6, results
    assert [_reminders(hotline, i) for i in ids] == [1] * 6


def test_a_sweep_finding_another_one_running_does_nothing(hotline, database_url, clock, other_process):
    ids = _late_orders(hotline, clock, 2)
    with exclusive(other_process.uow.engine, "sla-sweep") as mine:
        assert mine
        skipped = uc.sweep_deadlines(hotline)
    if database_url.startswith("postgresql"):
        assert skipped["sign"] == 0 and _reminders(hotline, ids[0]) == 0
    assert uc.sweep_deadlines(hotline)["sign"] == (2 if database_url.startswith("postgresql") else 0)
    assert [_reminders(hotline, i) for i in ids] == [1, 1]


def _logged_in_cookie(app) -> str:  # noqa: ANN001
    with TestClient(app) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"name": "disp", "password": "pw-disp-123", "csrf": csrf, "next": "/office"})
        return c.cookies["rexian_session"]


def test_a_token_revoked_or_a_user_deactivated_on_one_process_stops_working_on_every_other(
        hotline, other_process, tokens):
    """Each process keeps the tokens it checked for 30 s; a revocation or deactivation anywhere drops them."""
    here, there = TestClient(create_app(hotline)), TestClient(create_app(other_process))

    def status(token: str) -> tuple[int, int]:
        return tuple(c.get("/api/v1/work-orders", headers=auth(token)).status_code for c in (here, there))

    assert status(tokens["dispatcher"]) == (200, 200)  # now cached in both processes
    assert revoke_tokens(hotline, "dispatcher", ROOT) == 1
    assert status(tokens["dispatcher"]) == (401, 401)
    fresh = issue_token(hotline, "dispatcher", ROOT)
    assert status(fresh) == (200, 200)
    set_active(hotline, "dispatcher", False, ROOT)
    assert status(fresh) == (401, 401)
    hotline.refresh_every = 0  # the other way round: at its next look rather than within the second
    set_active(other_process, "dispatcher", True, ROOT)
    assert status(fresh) == (200, 200)
    assert status(tokens["agent"]) == (200, 200)  # nobody else's token is affected


def test_a_session_opened_on_one_process_is_honoured_by_another(hotline, monkeypatch, other_process):
    add_user(hotline, "disp", Role.DISPATCHER, ROOT, None, "pw-disp-123")
    monkeypatch.setenv("REXIAN_SECRET_KEY", "shared-by-every-worker-" + "x" * 32)
    cookie = _logged_in_cookie(create_app(hotline))
    with TestClient(create_app(other_process), follow_redirects=False) as c:
        c.cookies.set("rexian_session", cookie)
        assert c.get("/office").status_code == 200
    monkeypatch.setenv("REXIAN_SECRET_KEY", "a-different-deployment-" + "y" * 32)
    with TestClient(create_app(other_process), follow_redirects=False) as c:
        c.cookies.set("rexian_session", cookie)
        assert c.get("/office").status_code != 200


def test_a_surge_detection_finding_another_one_running_does_nothing(
        hotline, database_url, clock, other_process):
    from rexian.services.analytics import detect_surges

    now = clock.now()
    for at in [now - timedelta(days=d) for d in range(90, 5, -15)] + [now - timedelta(hours=h) for h in range(2, 40, 4)]:
        uc.file_appeal(hotline, uc.AppealIntake(
            content="石牌街道华景新城停水两天了，一直没有来水", title="华景新城小区停水", channel=Channel.PHONE,
            category="城乡建设/供水", district="天河区", received_at=at, auto_dispatch=False), ROOT)
    with exclusive(other_process.uow.engine, "surge-detection") as mine:
        assert mine
        meanwhile = detect_surges(hotline, notify=False)
    on_postgresql = database_url.startswith("postgresql")  # SQLite serves one host: no lock to find taken
    assert meanwhile.get("skipped", False) == on_postgresql
    assert detect_surges(hotline, notify=False)["new"] == (2 if on_postgresql else 0)  # each alert raised once


def test_calendar_rules_and_contacts_changed_by_one_process_are_used_by_the_others(hotline, other_process):
    """Every process caches the working calendar, the routing rules and the units' contacts. A change made
    elsewhere (the CLI loading next year's holidays, rules or a contact edited on another worker) marks them
    stale in the database, and the other processes reload them within `refresh_every`."""
    from rexian.services import calendar as calendar_svc
    from rexian.services import routing_rules
    from rexian.services.dispatching import Dispatcher

    other_process.dispatcher = Dispatcher(other_process, classifier=None)
    day = date(2031, 3, 5)  # a Wednesday
    assert other_process.policy().calendar.is_working_day(day)
    order = uc.new_order(other_process, uc.AppealIntake(content="小区楼下烧烤店噪音扰民", channel=Channel.PHONE,
                                                address="天河区石牌街道"), ROOT)
    assert other_process.route(order).unit_code == SHIPAI

    assert SHIPAI not in other_process.unit_contacts()

    calendar_svc.load_year(hotline, 2031, [(day, "holiday", "测试假日")], ROOT)
    routing_rules.put_rule(hotline, RoutingRule("R-TEST", 1000, TIANHE, district="天河区"), ROOT)
    set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", None)

    assert not other_process.policy().calendar.is_working_day(day)
    decision = other_process.route(order)
    assert (decision.unit_code, decision.rule_id) == (TIANHE, "R-TEST")
    assert other_process.unit_contacts()[SHIPAI]["email"] == "shipai@example.org"  # its notices go there now
