"""The demo city that `make demo` seeds: every stage of the loop, and work on every demo desk."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.integration.conftest import ROOT

from rexian.adapters.db.tables import work_order_events
from rexian.domain.workorder import Action, Actor
from rexian.services import demo
from rexian.services import office as svc
from rexian.services.dispatching import Dispatcher


def test_the_demo_gives_every_desk_work_and_plays_every_order_to_its_stage(hotline, tmp_path, monkeypatch):
    monkeypatch.setenv("REXIAN_HOME", str(tmp_path))  # the demo writes its users' tokens there
    hotline.dispatcher = Dispatcher(hotline, classifier=None)  # intake routes by the city's rules, as in the demo
    result = demo.seed(hotline, ROOT, count=80)
    assert result["orders"] == 80 and "stopped early" not in result["by_scenario"], result["by_scenario"]
    desks = {name: Actor(name, role, unit) for name, role, unit in demo.DEMO_USERS}
    assert svc.unit_inbox(hotline, desks["shipai"]).orders  # the street office has orders of its own street
    assert svc.unit_inbox(hotline, desks["tianhe"]).matching > svc.unit_inbox(hotline, desks["shipai"]).matching
    queues = svc.office_queues(hotline, desks["dispatcher"])
    assert sum(q.matching for q in queues.values()) > 0
    with hotline.uow.begin() as tx:
        passed_down = tx.conn.execute(select(func.count()).where(
            work_order_events.c.action == Action.PASS_DOWN.value)).scalar_one()
    assert passed_down > 0  # districts pass orders down to the street of the place (区级下派)
