"""The closed loop through the HTTP API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.integration.conftest import LIEDE, SHIPAI, TIANHE, auth

from rexian.domain.clock import FixedClock


def file_order(client: TestClient, token: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"content": "石牌街道某小区楼下餐馆油烟扰民，晚上十点后仍在营业", "channel": "phone",
            "appeal_type": "complaint", "caller": {"name": "王先生", "phone": "13800138000"},
            "address": "天河区石牌街道", **extra}
    response = client.post("/api/v1/work-orders", json=body, headers=auth(token) if token else {})
    assert response.status_code == 201, response.text
    return response.json()


def act(client: TestClient, token: str, order_id: int, action: str, expect: int = 200, **body: Any
        ) -> dict[str, Any]:
    response = client.post(f"/api/v1/work-orders/{order_id}/actions/{action}", json=body, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def actions_of(client: TestClient, token: str, order_id: int) -> list[str]:
    response = client.get(f"/api/v1/work-orders/{order_id}/events", headers=auth(token))
    assert response.status_code == 200
    return [e["action"] for e in response.json()]


def test_intake_returns_the_stored_order_with_code_and_deadlines(client, tokens):
    order = file_order(client, tokens["agent"])
    assert order["code"].startswith("GZ20260928-")
    assert order["status"] == "received"
    # a complaint: 15 working days from Mon 28 Sep 2026 across National Day → Fri 23 Oct
    assert order["deadlines"]["reply"]["due"] == "2026-10-23T23:59:59+08:00"
    assert order["deadlines"]["reply"]["light"] == "green"
    stored = client.get(f"/api/v1/work-orders/{order['id']}", headers=auth(tokens["dispatcher"])).json()
    assert stored["code"] == order["code"]


def test_a_citizen_may_file_without_a_token_but_not_read_the_list(client):
    order = file_order(client)
    assert order["caller"] == {"name": None, "phone": None, "anonymous": False, "confidential": False}
    assert client.get("/api/v1/work-orders").status_code == 401


def test_the_whole_closed_loop_with_pass_down_and_reopen(client, tokens, clock: FixedClock):
    order = file_order(client, tokens["agent"])
    oid = order["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=TIANHE)
    act(client, tokens["tianhe"], oid, "sign")
    act(client, tokens["tianhe"], oid, "pass-down", unit_code=SHIPAI, reason="属地街道处理")
    act(client, tokens["shipai"], oid, "sign")
    up = act(client, tokens["shipai"], oid, "reply", text="已约谈商户，加装油烟净化设备")
    assert up["status"] == "signed" and up["unit"]["code"] == TIANHE
    clock.advance(days=1)
    replied = act(client, tokens["tianhe"], oid, "reply", text="经街道核查，商户已整改")
    assert replied["status"] == "replied"
    reopened = act(client, tokens["agent"], oid, "callback", satisfaction="unsatisfied", note="油烟仍然很大")
    assert reopened["status"] == "reopened" and reopened["reopen_count"] == 1
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=TIANHE)
    act(client, tokens["tianhe"], oid, "sign")
    act(client, tokens["tianhe"], oid, "reply", text="已责令停业整改")
    closed = act(client, tokens["agent"], oid, "callback", satisfaction="satisfied")
    assert closed["status"] == "closed" and closed["satisfaction"] == "satisfied"
    assert actions_of(client, tokens["admin"], oid) == [
        "receive", "dispatch", "sign", "pass-down", "sign", "reply", "reply", "callback",
        "dispatch", "sign", "reply", "callback"]


def test_return_then_joint_review_binds_the_decided_unit(client, tokens):
    oid = file_order(client, tokens["agent"])["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=SHIPAI)
    act(client, tokens["shipai"], oid, "return", expect=422, reason="不属本街道")  # no legal basis
    returned = act(client, tokens["shipai"], oid, "return", reason="地址属猎德街道",
                   legal_basis="《广州市政务服务便民热线管理办法》第十六条", suggested_unit=LIEDE)
    assert returned["status"] == "returned" and returned["return_count"] == 1
    act(client, tokens["dispatcher"], oid, "joint-review", units=[SHIPAI, LIEDE], reason="两街道对辖区有争议")
    act(client, tokens["dispatcher"], oid, "decide", expect=403, unit_code=LIEDE, reason="x")
    decided = act(client, tokens["supervisor"], oid, "decide", unit_code=LIEDE, reason="经审定属猎德街道")
    assert decided["status"] == "dispatched" and decided["unit"]["code"] == LIEDE
    act(client, tokens["liede"], oid, "return", expect=409, reason="不属本街道", legal_basis="某条")


def test_return_window_closes_after_one_working_day(client, tokens, clock: FixedClock):
    oid = file_order(client, tokens["agent"])["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=SHIPAI)
    clock.advance(days=3)  # Thu 1 Oct: the window closed at the end of Tue 29 Sep
    body = act(client, tokens["shipai"], oid, "return", expect=409, reason="不属本街道", legal_basis="某条")
    assert body["error"] == "rule_violation" and body["message"] and body["message_en"]


def test_backstop_goes_to_the_district_government_of_the_location(client, tokens):
    order = file_order(client, tokens["agent"])
    act(client, tokens["dispatcher"], order["id"], "dispatch", unit_code=SHIPAI)
    act(client, tokens["shipai"], order["id"], "return", reason="不属本街道", legal_basis="某条")
    client.post("/api/v1/work-orders", json={})  # noise: a bad intake must not disturb anything
    backstopped = act(client, tokens["dispatcher"], order["id"], "backstop", unit_code=TIANHE,
                      reason="无法确定承办单位，区级兜底")
    assert backstopped["unit"]["code"] == TIANHE and backstopped["status"] == "dispatched"


def test_extension_suspension_reminders_merge_and_withdraw(client, tokens, clock: FixedClock):
    oid = file_order(client, tokens["agent"])["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=SHIPAI)
    act(client, tokens["dispatcher"], oid, "remind", reason="请尽快签收")
    act(client, tokens["shipai"], oid, "sign")
    before = act(client, tokens["shipai"], oid, "extend", working_days=5, reason="需协调多个部门")
    approved = act(client, tokens["dispatcher"], oid, "approve-extension")
    assert approved["deadlines"]["reply"]["due"] > before["deadlines"]["reply"]["due"]
    act(client, tokens["shipai"], oid, "suspend", reason="等待司法鉴定")
    clock.advance(days=2)
    act(client, tokens["shipai"], oid, "resume")
    act(client, tokens["supervisor"], oid, "supervise", reason="群众反映强烈")
    other = file_order(client, tokens["agent"])["id"]
    merged = act(client, tokens["dispatcher"], other, "merge", master_id=oid)
    assert merged["status"] == "merged" and merged["master_id"] == oid
    master = client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["admin"])).json()
    assert master["related_ids"] == [other] and master["supervision_level"] == 2
    third = file_order(client, tokens["agent"])["id"]
    assert act(client, tokens["agent"], third, "withdraw", reason="问题已自行解决")["status"] == "withdrawn"


def test_instant_answer_and_emergency_transfer(client, tokens):
    oid = file_order(client, tokens["agent"], appeal_type="consultation")["id"]
    answered = act(client, tokens["agent"], oid, "answer", answer="社保卡补办可在穗好办App办理")
    assert answered["status"] == "answered"
    missing = act(client, tokens["agent"], oid, "callback", expect=422)  # found by schemathesis: was a 500
    assert "满意度" in missing["message"] and "satisfaction" in missing["message_en"]
    act(client, tokens["agent"], oid, "callback", satisfaction="satisfied")
    fire = file_order(client, tokens["agent"], content="楼下着火了，有人被困")["id"]
    act(client, tokens["agent"], fire, "transfer", expect=422, service="12345", reason="火情")
    assert act(client, tokens["agent"], fire, "transfer", service="119", reason="火情")["transferred_to"] == "119"


def test_illegal_moves_are_409_with_both_languages(client, tokens):
    oid = file_order(client, tokens["agent"])["id"]
    body = act(client, tokens["shipai"], oid, "sign", expect=403)  # not its order, not dispatched
    assert body["error"] == "forbidden"
    body = act(client, tokens["dispatcher"], oid, "close", expect=409)
    assert body["error"] == "illegal_transition" and "不能" in body["message"]
    assert "cannot" in body["message_en"]


def test_a_unit_never_sees_or_touches_another_units_order(client, tokens):
    oid = file_order(client, tokens["agent"])["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=SHIPAI)
    assert client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["liede"])).status_code == 403
    act(client, tokens["liede"], oid, "sign", expect=403)
    listed = client.get("/api/v1/work-orders", headers=auth(tokens["liede"])).json()
    assert listed["total"] == 0
    # the district above sees it; the street sees its own with the phone masked
    assert client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["tianhe"])).status_code == 200
    seen = client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["shipai"])).json()
    assert seen["caller"]["phone"] == "138****8000"


def test_a_confidential_caller_is_hidden_from_units(client, tokens):
    oid = file_order(client, tokens["agent"], caller={"name": "李女士", "phone": "13900139000",
                                                      "confidential": True})["id"]
    act(client, tokens["dispatcher"], oid, "dispatch", unit_code=SHIPAI)
    seen = client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["shipai"])).json()
    assert seen["caller"]["name"] is None and seen["caller"]["phone"] is None
    staff = client.get(f"/api/v1/work-orders/{oid}", headers=auth(tokens["agent"])).json()
    assert staff["caller"]["phone"] == "13900139000"


def test_idempotent_intake_returns_the_first_order(client, tokens):
    body = {"content": "路灯不亮", "channel": "app"}
    headers = {**auth(tokens["agent"]), "Idempotency-Key": "retry-123"}
    first = client.post("/api/v1/work-orders", json=body, headers=headers)
    second = client.post("/api/v1/work-orders", json=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert client.get("/api/v1/work-orders", headers=auth(tokens["admin"])).json()["total"] == 1


def test_a_stale_version_is_refused(client, tokens):
    order = file_order(client, tokens["agent"])
    act(client, tokens["dispatcher"], order["id"], "dispatch", unit_code=SHIPAI)
    body = act(client, tokens["dispatcher"], order["id"], "remind", expect=409,
               expected_version=order["version"])
    assert body["error"] == "version_conflict"


def test_malformed_input_is_422_never_500(client, tokens):
    headers = auth(tokens["agent"])
    for bad in ({}, {"content": ""}, {"content": "x", "channel": "pigeon"}, {"content": "x", "caller": {"phone": "abc"}},
                {"content": "x", "location": {"lat": 200, "long": 0}}, {"content": "x", "unknown": 1}):
        response = client.post("/api/v1/work-orders", json=bad, headers=headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["message_en"]
    assert client.post("/api/v1/work-orders", content=b"{not json", headers={
        **headers, "Content-Type": "application/json"}).status_code == 422
    assert client.post("/api/v1/work-orders/1/actions/fly", json={}, headers=headers).status_code == 422
    order = file_order(client, tokens["agent"])  # receive is a real action, but an order is filed, not received
    received = client.post(f"/api/v1/work-orders/{order['id']}/actions/receive", json={}, headers=headers)
    assert received.status_code == 422 and received.json()["message_en"] == "unsupported action: receive"
    assert client.get("/api/v1/work-orders/999999", headers=headers).status_code == 404


def test_list_filters(client, tokens):
    a = file_order(client, tokens["agent"])["id"]
    file_order(client, tokens["agent"], content="海珠区路面塌陷", address="海珠区")
    act(client, tokens["dispatcher"], a, "dispatch", unit_code=SHIPAI)
    headers = auth(tokens["admin"])
    assert client.get("/api/v1/work-orders?status=dispatched", headers=headers).json()["total"] == 1
    assert client.get(f"/api/v1/work-orders?unit={SHIPAI}", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/work-orders?text=塌陷", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/work-orders?limit=1", headers=headers).json()["items"].__len__() == 1


def test_units_tree_and_flat_list(client):
    flat = client.get("/api/v1/units?flat=true").json()
    assert len(flat) > 290 and {"code": TIANHE} .items() <= next(u for u in flat if u["code"] == TIANHE).items()
    tree = client.get("/api/v1/units").json()
    city = next(u for u in tree if u["code"] == "GZ")
    tianhe = next(u for u in city["children"] if u["code"] == TIANHE)
    assert any(c["code"] == SHIPAI for c in tianhe["children"])


def test_lists_and_action_replies_mask_the_phone_only_the_audited_single_read_shows_it(client, tokens):
    order = file_order(client, tokens["agent"])
    assert order["caller"]["phone"] == "138****8000"
    listed = client.get("/api/v1/work-orders", headers=auth(tokens["dispatcher"])).json()["items"][0]
    assert listed["caller"]["phone"] == "138****8000"
    dispatched = act(client, tokens["dispatcher"], order["id"], "dispatch", unit_code=SHIPAI)
    assert dispatched["caller"]["phone"] == "138****8000"
    single = client.get(f"/api/v1/work-orders/{order['id']}", headers=auth(tokens["dispatcher"])).json()
    assert single["caller"]["phone"] == "13800138000"


def test_a_list_counts_its_matches_up_to_a_cap_and_says_when_there_are_more(client, tokens, monkeypatch):
    """Counting every match of a broad filter would read the whole table at 100M orders: the count stops one
    past the cap, and the answer says the total is a floor."""
    from rexian.adapters.db import repositories
    from rexian.web.api import work_orders

    for _ in range(3):
        file_order(client, tokens["agent"])
    for cap, total, capped in ((2, 2, True), (3, 3, False)):
        monkeypatch.setattr(repositories, "COUNT_CAP", cap)
        monkeypatch.setattr(work_orders, "COUNT_CAP", cap)
        listed = client.get("/api/v1/work-orders?limit=10", headers=auth(tokens["dispatcher"])).json()
        assert (listed["total"], listed["total_capped"], len(listed["items"])) == (total, capped, 3)


def test_a_blank_idempotency_key_is_no_key(client, tokens):
    """Found by schemathesis: two intakes with an empty Idempotency-Key both stored the key '' and the second
    failed with a 500; a blank key now counts as none, so each is filed."""
    body = {"content": "石牌街道路灯不亮", "channel": "phone"}
    headers = {**auth(tokens["agent"]), "Idempotency-Key": " "}
    first, second = (client.post("/api/v1/work-orders", json=body, headers=headers) for _ in range(2))
    assert (first.status_code, second.status_code) == (201, 201) and first.json()["id"] != second.json()["id"]
