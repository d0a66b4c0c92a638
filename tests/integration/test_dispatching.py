"""Intake dispatches in the same request, with an explanation; review queue, backstop, learning."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.integration.conftest import SHIPAI, TIANHE, auth

from rexian.adapters.db.repositories import WorkOrderRepository
from rexian.services.dispatching import Dispatcher
from rexian.web.app import create_app


@pytest.fixture
def smart_client(hotline, tokens):
    hotline.dispatcher = Dispatcher(hotline, classifier=None)
    hotline.listeners.append(hotline.dispatcher.learn)
    with TestClient(create_app(hotline, public_rate_limit=1000)) as c:
        yield c


def file(client: TestClient, token: str, content: str, address: str | None = None) -> dict:
    response = client.post("/api/v1/work-orders", json={"content": content, "channel": "phone", "address": address},
                           headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def test_an_appeal_is_dispatched_in_the_intake_request_with_its_reason(smart_client, tokens):
    order = file(smart_client, tokens["agent"], "小区楼下烧烤店噪音扰民，半夜还很吵", address="天河区石牌街道")
    assert order["status"] == "dispatched"
    assert order["unit"] == {"code": SHIPAI, "name": "石牌街道办事处"}
    assert "石牌街道办事处" in order["dispatch"]["explanation"] and "rule" in order["dispatch"]["explanation"]
    assert order["location"]["district"] == "天河区" and order["location"]["street"] == "石牌街道"
    assert order["deadlines"]["sign"]["due"] is not None


def test_a_utility_keyword_routes_to_the_enterprise_anywhere(smart_client, tokens):
    order = file(smart_client, tokens["agent"], "海珠区我家停水两天了，一直没人来修")
    assert order["unit"]["name"] == "广州市自来水有限公司"


def test_an_appeal_without_a_place_or_rule_goes_to_the_review_queue(smart_client, tokens):
    order = file(smart_client, tokens["agent"], "想反映一个情况，希望有关部门重视")
    assert order["status"] == "review" and order["unit"] is None
    queue = smart_client.get("/api/v1/work-orders?status=review", headers=auth(tokens["dispatcher"])).json()
    assert [o["id"] for o in queue["items"]] == [order["id"]]
    response = smart_client.post(f"/api/v1/work-orders/{order['id']}/actions/dispatch",
                                 json={"unit_code": TIANHE}, headers=auth(tokens["dispatcher"]))
    assert response.json()["status"] == "dispatched"


def test_the_district_backstops_when_only_the_district_is_known(smart_client, tokens):
    order = file(smart_client, tokens["agent"], "天河区有个情况想反映一下，希望有人管管")
    assert order["unit"]["code"] == TIANHE
    assert "backstop" in order["dispatch"]["explanation"] or "兜底" in order["dispatch"]["explanation"]


def test_rules_are_data_edited_through_the_api(smart_client, tokens):
    admin = auth(tokens["admin"])
    rule = {"priority": 5000, "unit_code": TIANHE, "keywords": ["共享单车"], "note": "演示：共享单车归区政府"}
    assert smart_client.put("/api/v1/routing-rules/R-TEST", json=rule, headers=admin).status_code == 200
    order = file(smart_client, tokens["agent"], "石牌街道路边共享单车乱停放", address="天河区石牌街道")
    assert order["unit"]["code"] == TIANHE and "R-TEST" in order["dispatch"]["explanation"]
    csv_text = smart_client.get("/api/v1/routing-rules/export.csv", headers=admin).text
    assert "R-TEST" in csv_text.splitlines()[1] or "R-TEST" in csv_text
    bad = smart_client.put("/api/v1/routing-rules/R-BAD", json={**rule, "unit_code": "NOPE"}, headers=admin)
    assert bad.status_code == 422
    assert smart_client.put("/api/v1/routing-rules/R-X", json=rule, headers=auth(tokens["shipai"])).status_code == 403
    assert smart_client.delete("/api/v1/routing-rules/R-TEST", headers=admin).status_code == 204


def test_a_rule_change_is_tried_on_the_recent_orders_before_it_is_made(smart_client, tokens):
    """规则变更影响评估: which orders would move, to where, and who agrees with the units that handled them."""
    admin = auth(tokens["admin"])
    noisy = [file(smart_client, tokens["agent"], f"楼下烧烤店油烟噪音扰民第{i}次", address="天河区石牌街道")
             for i in range(3)]
    assert {o["unit"]["code"] for o in noisy} == {SHIPAI}
    assert file(smart_client, tokens["agent"], "我想反映一个情况")["status"] == "review"
    rules = smart_client.get("/api/v1/routing-rules", headers=admin).json()
    proposed = [*rules, {"id": "R-BBQ", "priority": 9000, "unit_code": TIANHE, "district": "天河区",
                         "keywords": ["烧烤"]}]
    response = smart_client.post("/api/v1/routing-rules/impact", json={"rules": proposed, "orders": 10}, headers=admin)
    assert response.status_code == 200, response.text
    impact = response.json()
    assert (impact["orders"], impact["changed"], impact["handled"]) == (4, 3, 3)
    assert impact["review"] == {"now": 1, "proposed": 1}
    assert impact["agree"] == {"now": 3, "proposed": 0}
    [move] = impact["moves"]
    assert (move["from_unit"]["code"], move["to_unit"], move["orders"]) == (
        SHIPAI, {"code": TIANHE, "name": "天河区人民政府"}, 3)
    assert set(move["examples"]) == {o["code"] for o in noisy}
    assert smart_client.get("/api/v1/routing-rules", headers=admin).json() == rules  # nothing changed
    assert smart_client.post("/api/v1/routing-rules/impact", json={"rules": proposed},
                             headers=auth(tokens["agent"])).status_code == 403
    unknown = [*rules, {"id": "R-X", "priority": 1, "unit_code": "NOPE"}]
    assert smart_client.post("/api/v1/routing-rules/impact", json={"rules": unknown}, headers=admin).status_code == 422


def test_a_return_teaches_the_router_not_to_repeat_the_mistake(hotline, smart_client, tokens):
    content = "石牌街道某工地夜间施工噪音扰民"
    first = file(smart_client, tokens["agent"], content, address="天河区石牌街道")
    assert first["unit"]["code"] == SHIPAI
    smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/sign", json={}, headers=auth(tokens["shipai"]))
    returned = smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/return",
                                 json={"reason": "夜间施工噪音由生态环境部门查处", "legal_basis": "《噪声污染防治法》"},
                                 headers=auth(tokens["shipai"]))
    assert returned.json()["status"] == "returned"
    second = file(smart_client, tokens["agent"], content, address="天河区石牌街道")
    assert second["unit"] is None or second["unit"]["code"] != SHIPAI
    # a restarted server learns the same lesson from the stored history
    fresh = Dispatcher(hotline, classifier=None)
    assert fresh.route(_order(hotline, second["id"])).unit_code != SHIPAI


def test_a_return_stored_while_a_starting_router_reads_the_history_is_learnt(
        hotline, smart_client, tokens, monkeypatch):
    content = "石牌街道某工地夜间施工噪音扰民"
    first = file(smart_client, tokens["agent"], content, address="天河区石牌街道")
    smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/sign", json={}, headers=auth(tokens["shipai"]))
    history = WorkOrderRepository.dispatch_history

    def history_then_a_return(repo, limit):  # another worker's return commits just after the read
        rows = history(repo, limit)
        monkeypatch.setattr(WorkOrderRepository, "dispatch_history", history)
        returned = smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/return", headers=auth(
            tokens["shipai"]), json={"reason": "夜间施工噪音由生态环境部门查处", "legal_basis": "《噪声污染防治法》"})
        assert returned.status_code == 200
        return rows

    monkeypatch.setattr(WorkOrderRepository, "dispatch_history", history_then_a_return)
    starting = Dispatcher(hotline, classifier=None)
    assert starting.route(_order(hotline, first["id"])).unit_code != SHIPAI


def test_a_place_the_city_list_lacks_is_learned_from_a_dispatchers_decision(hotline, smart_client, tokens):
    content = "龙锦苑四区门口的井盖丢了，晚上很危险"
    first = file(smart_client, tokens["agent"], content)
    assert first["status"] == "review" and first["location"]["district"] is None
    smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/dispatch", json={"unit_code": SHIPAI},
                      headers=auth(tokens["dispatcher"]))
    second = file(smart_client, tokens["agent"], "龙锦苑四区楼下烧烤店噪音扰民，半夜还很吵")
    assert (second["location"]["district"], second["location"]["street"]) == ("天河区", "石牌街道")
    assert second["unit"]["code"] == SHIPAI and second["status"] == "dispatched"
    # a restarted server learns the same place from the stored history
    fresh = Dispatcher(hotline, classifier=None)
    assert fresh.resolver.resolve("龙锦苑四区楼道堆满杂物").district == "天河区"
    assert fresh.resolver.resolve("另一个小区的问题").district is None


def _order(hotline, order_id: int):
    with hotline.uow.begin() as tx:
        return tx.orders.get(order_id)


def test_a_return_or_a_dispatch_on_one_worker_teaches_the_router_of_every_other(
        hotline, smart_client, tokens, other_process):
    """Each worker learns in memory; what a person taught another worker (a return, a dispatch) reaches it
    at its next refresh, so no worker repeats a mistake a unit already refused."""
    other_process.dispatcher = Dispatcher(other_process, classifier=None)  # up and running before the lessons
    content = "石牌街道某工地夜间施工噪音扰民"
    first = file(smart_client, tokens["agent"], content, address="天河区石牌街道")
    assert other_process.route(_order(hotline, first["id"])).unit_code == SHIPAI
    smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/sign", json={}, headers=auth(tokens["shipai"]))
    smart_client.post(f"/api/v1/work-orders/{first['id']}/actions/return",
                      json={"reason": "夜间施工噪音由生态环境部门查处", "legal_basis": "《噪声污染防治法》"},
                      headers=auth(tokens["shipai"]))
    assert other_process.route(_order(hotline, first["id"])).unit_code != SHIPAI

    unknown_place = file(smart_client, tokens["agent"], "龙锦苑四区门口的井盖丢了，晚上很危险")
    smart_client.post(f"/api/v1/work-orders/{unknown_place['id']}/actions/dispatch", json={"unit_code": SHIPAI},
                      headers=auth(tokens["dispatcher"]))
    other_process.refresh()
    assert other_process.dispatcher.resolver.resolve("龙锦苑四区楼道堆满杂物").district == "天河区"
    learnt = dict(other_process.dispatcher.ranker.totals)
    assert learnt == dict(hotline.dispatcher.ranker.totals)  # each lesson once, on either worker
    other_process.refresh()
    hotline.dispatcher.catch_up()
    assert dict(other_process.dispatcher.ranker.totals) == learnt == dict(hotline.dispatcher.ranker.totals)
