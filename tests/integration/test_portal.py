"""Citizen portal: file, track with code + phone (404 for a wrong phone), rate only a replied order."""

from __future__ import annotations

import re

from tests.integration.conftest import ROOT, SHIPAI

from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor
from rexian.services import workorders as uc

PHONE = "13912345678"


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/file").text).group(1)


def _file(client, content: str = "石牌东路路灯坏了一个星期，晚上很黑。") -> str:  # type: ignore[no-untyped-def]
    page = client.post("/file", data={"csrf": _csrf(client), "content": content, "phone": PHONE,
                                      "appeal_type": "help", "checked": "true"})
    assert page.status_code == 200
    return re.search(r'id="order-code">([^<]+)<', page.text).group(1)


def test_a_citizen_files_and_tracks_with_the_phone_they_gave(client, tokens):
    code = _file(client)
    tracked = client.get(f"/api/v1/public/orders/{code}", params={"phone": "139-1234-5678"})
    assert tracked.status_code == 200 and tracked.json()["timeline"][0]["stage"] == "received"
    assert client.get(f"/api/v1/public/orders/{code}", params={"phone": "13800000000"}).status_code == 404
    assert client.get("/api/v1/public/orders/GZ00000000", params={"phone": PHONE}).status_code == 404


def test_the_public_timeline_hides_returns_and_staff_names(client, tokens, hotline):
    code = _file(client)
    order = next(o for o in uc.list_orders(hotline, ROOT, __import__("rexian.adapters.db.repositories",
                 fromlist=["OrderFilter"]).OrderFilter(text=code), 5, 0)[0])
    unit = Actor("shipai-staff", Role.UNIT_STAFF, SHIPAI)
    uc.perform(hotline, order.id, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
    uc.perform(hotline, order.id, Action.RETURN, unit, {"reason": "内部理由：非本单位职责", "legal_basis": "某条"})
    view = client.get(f"/api/v1/public/orders/{code}", params={"phone": PHONE}).json()
    text = str(view)
    assert "内部理由" not in text and "shipai-staff" not in text and "test-admin" not in text
    assert [e["stage"] for e in view["timeline"]] == ["received", "dispatched"]


def test_rating_is_allowed_only_once_replied_and_unsatisfied_reopens(client, tokens, hotline):
    code = _file(client)
    rating = {"phone": PHONE, "satisfied": False, "reason": "路灯还是不亮"}
    assert client.post(f"/api/v1/public/orders/{code}/rating", json=rating).status_code == 409
    order_id = uc.list_orders(hotline, ROOT, __import__("rexian.adapters.db.repositories",
                              fromlist=["OrderFilter"]).OrderFilter(text=code), 5, 0)[0][0].id
    unit = Actor("shipai-staff", Role.UNIT_STAFF, SHIPAI)
    uc.perform(hotline, order_id, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
    uc.perform(hotline, order_id, Action.SIGN, unit)
    uc.perform(hotline, order_id, Action.REPLY, unit, {"text": "已安排维修。"})
    wrong = client.post(f"/api/v1/public/orders/{code}/rating", json={**rating, "phone": "13800000000"})
    assert wrong.status_code == 404
    rated = client.post(f"/api/v1/public/orders/{code}/rating", json=rating)
    assert rated.status_code == 200 and rated.json()["status"] == "reopened"


def test_a_similar_open_order_nearby_is_suggested_before_filing(client, tokens, hotline):
    places = re.findall(r'<option value="(\d+)"', client.get("/file").text)
    street = next(p for p in places if len(p) > 6)
    form = {"content": "石牌东路的路灯坏了，晚上很黑，请尽快维修。", "phone": PHONE, "appeal_type": "help", "place": street}
    client.post("/file", data={**form, "csrf": _csrf(client), "checked": "true"})
    second = client.post("/file", data={**form, "csrf": _csrf(client)})
    assert 'name="same_as"' in second.text


def test_a_similar_order_on_the_same_street_is_found_however_busy_the_rest_of_the_district(hotline, monkeypatch):
    """A new appeal is compared with the newest open orders of its street (or of no known street), not of the
    whole district: newer orders on the district's other streets do not push the similar one out."""
    from rexian.services import portal

    monkeypatch.setattr(portal, "COMPARED", 2)
    agent = Actor("agent", Role.AGENT)

    def file(content: str, street: str) -> str:
        intake = uc.AppealIntake(content=content, channel=uc.Channel.PHONE, district="天河区", street=street,
                                 auto_dispatch=False)
        return uc.file_appeal(hotline, intake, agent)[0].code

    lamp = file("石牌东路的路灯坏了，晚上很黑，请尽快维修。", "石牌街道")
    for n in range(3):
        file(f"猎德村第{n}巷垃圾堆放无人清运", "猎德街道")
    found = portal.similar_open_orders(hotline, "石牌东路路灯坏了，晚上很黑，请维修", "天河区", "石牌街道")
    assert [f["code"] for f in found] == [lamp]
    assert portal.similar_open_orders(hotline, "石牌东路路灯坏了，晚上很黑，请维修", "天河区", "猎德街道") == []


def test_filing_is_rate_limited(hotline):
    from fastapi.testclient import TestClient

    from rexian.web.app import create_app

    with TestClient(create_app(hotline, public_rate_limit=2)) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/file").text).group(1)
        codes = [c.post("/file", data={"csrf": token, "content": "噪音扰民", "phone": PHONE, "checked": "true"},
                        follow_redirects=False).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
