"""工单查询 and 工单导出 through the API and the pages, on SQLite and on PostgreSQL: filters, the reader's
scope, the caller's phone kept to hotline staff, exports masked, defused and audited."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from tests.integration.conftest import ROOT, SHIPAI, auth
from tests.integration.test_api_lifecycle import act, file_order

from rexian.adapters.files import read_rows
from rexian.domain.clock import FixedClock
from rexian.domain.vocabulary import Role
from rexian.services import office
from rexian.services.auth import add_user


def orders(client: TestClient, token: str, query: str, expect: int = 200) -> list[str]:
    response = client.get(f"/api/v1/work-orders?{query}", headers=auth(token))
    assert response.status_code == expect, response.text
    return sorted(o["code"] for o in response.json()["items"]) if expect == 200 else []


def test_staff_find_orders_by_code_words_caller_phone_place_and_local_day(client, tokens, clock: FixedClock):
    noise = file_order(client, tokens["agent"])  # Mon 28 Sep 2026, 天河区石牌街道, 13800138000
    clock.advance(days=1)
    hole = file_order(client, tokens["agent"], content="海珠区路面塌陷", address="海珠区",
                      caller={"name": "李女士", "phone": "13900139000"})
    dispatcher = tokens["dispatcher"]
    assert orders(client, dispatcher, f"text={noise['code']}") == [noise["code"]]
    assert orders(client, dispatcher, "text=塌陷") == [hole["code"]]
    assert orders(client, dispatcher, "phone=13900139000") == [hole["code"]]
    assert orders(client, dispatcher, "phone=13700137000") == []
    # a time without a zone is a Beijing time: the first order was filed on 28 Sep, local
    assert orders(client, dispatcher, "created_from=2026-09-29T00:00") == [hole["code"]]
    assert orders(client, dispatcher, "created_to=2026-09-29T00:00") == [noise["code"]]
    assert orders(client, dispatcher, "created_from=2026-09-28T00:00%2B08:00&text=油烟") == [noise["code"]]
    # the newest first, or the nearest deadline first: the hole was filed a day later, a consultation is due sooner
    consultation = file_order(client, tokens["agent"], appeal_type="consultation")
    newest = client.get("/api/v1/work-orders", headers=auth(dispatcher)).json()["items"]
    urgent = client.get("/api/v1/work-orders?sort=deadline", headers=auth(dispatcher)).json()["items"]
    assert [o["code"] for o in newest] == [consultation["code"], hole["code"], noise["code"]]
    assert [o["code"] for o in urgent] == [consultation["code"], noise["code"], hole["code"]]


def test_finding_orders_by_a_callers_phone_is_for_hotline_staff_and_audited(client, tokens):
    order = file_order(client, tokens["agent"])
    act(client, tokens["dispatcher"], order["id"], "dispatch", unit_code=SHIPAI)
    orders(client, tokens["shipai"], "phone=13800138000", expect=403)  # the unit may not look a caller up
    assert orders(client, tokens["shipai"], "text=油烟") == [order["code"]]
    assert orders(client, tokens["agent"], "phone=13800138000") == [order["code"]]
    entries, total = office.audit_log(client.app.state.hotline, ROOT, action="search_by_phone")
    assert total == 1 and entries[0]["actor"] == "agent"
    assert entries[0]["data"]["phone"] == "138****8000" and entries[0]["data"]["found"] == 1


def test_an_export_holds_what_its_reader_may_see_masked_defused_and_audited(client, tokens, tmp_path):
    ours = file_order(client, tokens["agent"], title="=HYPERLINK(\"http://example.com\",\"点我\")")
    other = file_order(client, tokens["agent"], content="海珠区路面塌陷", address="海珠区")
    act(client, tokens["dispatcher"], ours["id"], "dispatch", unit_code=SHIPAI)

    response = client.get("/api/v1/work-orders/export?format=csv", headers=auth(tokens["dispatcher"]))
    assert response.status_code == 200 and response.headers["x-export-truncated"] == "false"
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads the Chinese text as UTF-8
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["工单编号"] for r in table) == sorted([ours["code"], other["code"]])
    row = next(r for r in table if r["工单编号"] == ours["code"])
    assert row["联系电话"] == "138****8000" and row["承办单位"] == "石牌街道办事处"
    assert row["标题"] == "'=HYPERLINK(\"http://example.com\",\"点我\")"  # text, not a formula, in a spreadsheet
    assert row["状态"] == "dispatched"  # the API's export keeps the values as the API names them

    # the unit's export: its own order only, the caller hidden until it signs
    unit = client.get("/api/v1/work-orders/export?format=xlsx", headers=auth(tokens["shipai"]))
    assert unit.status_code == 200
    path = tmp_path / "export.xlsx"
    path.write_bytes(unit.content)
    _, read = read_rows(path)
    rows = list(read)
    assert [r["工单编号"] for r in rows] == [ours["code"]] and rows[0]["联系电话"] == "138****8000"
    assert rows[0]["标题"].startswith("=HYPERLINK")  # kept as text: the workbook writes no formulas

    entries, total = office.audit_log(client.app.state.hotline, ROOT, action="export")
    assert total == 2 and {(e["actor"], e["data"]["rows"]) for e in entries} == {("dispatcher", 2), ("shipai", 1)}
    assert client.get("/api/v1/work-orders/export").status_code == 401


def test_an_export_wider_than_its_cap_holds_the_newest_and_says_so(client, tokens, monkeypatch):
    from rexian.services import order_export

    codes = [file_order(client, tokens["agent"])["code"] for _ in range(3)]
    monkeypatch.setattr(order_export, "EXPORT_CAP", 2)
    response = client.get("/api/v1/work-orders/export?format=csv", headers=auth(tokens["dispatcher"]))
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.headers["x-export-truncated"] == "true" and [r["工单编号"] for r in table] == codes[:0:-1]


def test_an_agent_finds_a_callers_order_by_phone_and_opens_it_but_not_the_office_desk(client, tokens):
    """A citizen rings to ask how their appeal is going: the agent finds it by the phone they give and opens
    its page (the caller masked until asked for, no attachment upload), but has no office queues."""
    oid = file_order(client, tokens["agent"])["id"]
    add_user(client.app.state.hotline, "seat7", Role.AGENT, ROOT, None, "pw-seat-7777")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)[1]
    client.post("/login", data={"name": "seat7", "password": "pw-seat-7777", "csrf": csrf, "next": "/desk"})
    found = client.get("/orders?phone=13800138000")
    assert found.status_code == 200 and f'href="/office/orders/{oid}"' in found.text
    page = client.get(f"/office/orders/{oid}")
    assert page.status_code == 200 and "138****8000" in page.text and 'name="file"' not in page.text
    assert client.get("/office").status_code == 403
    assert 'href="/orders"' in client.get("/desk").text
    # a bad day in the form is said on the page, in the reader's language, whether searching or exporting
    assert "日期格式应为YYYY-MM-DD：2026-13-01" in client.get("/orders?from=2026-13-01").text
    refused = client.get("/orders/export.xlsx?from=2026-13-01", headers={"accept-language": "en"})
    assert refused.status_code == 200 and "dates are YYYY-MM-DD: 2026-13-01" in refused.text
