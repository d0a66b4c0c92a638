"""Analytics through the API on SQLite and PostgreSQL: duplicates, reply scores, surges, dashboard;
and `rexian hotspots --json` over imported real Teddy attachment-3 messages."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.integration.conftest import ROOT, TIANHE, auth
from typer.testing import CliRunner

from rexian.cli.main import app
from rexian.config import DATA_DIR
from rexian.domain.vocabulary import Channel
from rexian.services import analytics
from rexian.services.workorders import AppealIntake, file_appeal

NOISE = "天河区石牌街道华师附近的工地每天晚上十一点以后还在打桩施工，噪音很大，居民无法睡觉，请尽快处理"


def file(client, token: str, content: str, address: str = "天河区石牌街道") -> dict:
    response = client.post("/api/v1/work-orders", headers=auth(token),
                           json={"content": content, "channel": "phone", "appeal_type": "complaint",
                                 "address": address})
    assert response.status_code == 201, response.text
    return response.json()


def act(client, token: str, order_id: int, action: str, **body) -> dict:
    response = client.post(f"/api/v1/work-orders/{order_id}/actions/{action}", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_second_caller_about_the_same_problem_is_offered_the_earlier_open_order(client, tokens):
    first = file(client, tokens["agent"], NOISE)
    file(client, tokens["agent"], "海珠区江南西路一家餐馆油烟直排，熏得楼上住户不能开窗")
    second = file(client, tokens["agent"], NOISE.replace("请尽快处理", "希望尽快处理"))

    found = client.get(f"/api/v1/work-orders/{second['id']}/duplicates", headers=auth(tokens["dispatcher"]))
    assert found.status_code == 200
    assert [d["id"] for d in found.json()] == [first["id"]]
    assert found.json()[0]["similarity"] >= 0.7 and "文本相似度" in found.json()[0]["reason"]
    earlier = client.get(f"/api/v1/work-orders/{first['id']}/duplicates", headers=auth(tokens["dispatcher"]))
    assert earlier.json() == []  # only earlier orders are offered


def test_a_closed_order_is_no_longer_offered_as_a_duplicate(client, tokens):
    first = file(client, tokens["agent"], NOISE)
    second = file(client, tokens["agent"], NOISE + "。")
    act(client, tokens["agent"], first["id"], "withdraw", reason="市民撤回")
    found = client.get(f"/api/v1/work-orders/{second['id']}/duplicates", headers=auth(tokens["dispatcher"]))
    assert found.json() == []


def test_a_thin_unit_reply_is_scored_with_reasons_and_reaches_the_office_before_the_callback(client, tokens):
    poor = file(client, tokens["agent"], NOISE)
    good = file(client, tokens["agent"], NOISE + "。")
    for order, text in (
        (poor, "已处理。"),
        (good, "经核实，华师附近工地夜间打桩施工属实。我局已责令施工单位停止夜间施工，并依据《中华人民共和国"
               "噪声污染防治法》第四十三条对其立案处理。如再发现夜间施工，请拨打电话020-12345678联系。"),
    ):
        act(client, tokens["dispatcher"], order["id"], "dispatch", unit_code=TIANHE)
        act(client, tokens["tianhe"], order["id"], "sign")
        act(client, tokens["tianhe"], order["id"], "reply", text=text)

    low = client.get("/api/v1/analytics/low-quality-replies", headers=auth(tokens["supervisor"]))
    assert low.status_code == 200
    flagged = {r["order_id"]: r for r in low.json()}
    assert poor["id"] in flagged and good["id"] not in flagged
    assert flagged[poor["id"]]["total"] < analytics.LOW_QUALITY
    assert flagged[poor["id"]]["reasons"] and flagged[poor["id"]]["unit_name"] == "天河区人民政府"


def test_units_and_citizens_do_not_read_the_office_analytics(client, tokens):
    for path in ("/api/v1/analytics/surges", "/api/v1/analytics/low-quality-replies",
                 "/api/v1/analytics/dashboard"):
        assert client.get(path, headers=auth(tokens["shipai"])).status_code == 403
        assert client.get(path).status_code == 401


def test_a_replayed_burst_at_one_place_raises_a_surge_alert_with_its_evidence(client, tokens, hotline, clock):
    now = clock.now()
    quiet = [now - timedelta(days=d) for d in range(90, 5, -15)]  # one appeal a fortnight
    burst = [now - timedelta(hours=h) for h in range(2, 40, 4)]  # ten in the last two days
    codes = []
    for at in quiet + burst:
        order, _ = file_appeal(hotline, AppealIntake(
            content="石牌街道华景新城停水两天了，一直没有来水", title="华景新城小区停水", channel=Channel.PHONE,
            category="城乡建设/供水", district="天河区", received_at=at, auto_dispatch=False), ROOT)
        codes.append(order.code)

    result = analytics.detect_surges(hotline, notify=False)
    surges = client.get("/api/v1/analytics/surges", headers=auth(tokens["dispatcher"])).json()

    assert result["new"] == len(surges) >= 1
    by_kind = {s["kind"]: s for s in surges}
    assert by_kind["place"]["key"] == "华景新城"
    assert by_kind["category_district"]["key"] == "城乡建设/供水 · 天河区"
    assert set(by_kind["place"]["evidence"]) == set(codes[len(quiet):])
    assert analytics.detect_surges(hotline, notify=False)["new"] == 0  # still firing: not sent again


def test_the_dashboard_counts_the_period_by_channel_district_and_category(client, tokens):
    file(client, tokens["agent"], NOISE)
    file(client, tokens["agent"], "海珠区江南西路一家餐馆油烟直排", address="海珠区江南西路")
    data = client.get("/api/v1/analytics/dashboard?days=7", headers=auth(tokens["dispatcher"])).json()
    assert data["total"] == 2
    assert sum(v["count"] for v in data["volume"] if v["channel"] == "phone") == 2
    assert sum(c["count"] for c in data["categories"]) == 2
    assert data["on_time"]["due"] == 0 and data["satisfaction"]["rate"] is None


def test_the_weekly_report_covers_the_week(client, tokens):
    file(client, tokens["agent"], NOISE)
    report = client.get("/api/v1/analytics/report?period=week", headers=auth(tokens["supervisor"])).json()
    assert report["period"] == "week" and report["total"] == 1 and report["previous_total"] == 0
    assert client.get("/api/v1/analytics/report?period=year", headers=auth(tokens["supervisor"])).status_code == 422


@pytest.fixture
def teddy_sample(tmp_path: Path) -> Path:
    """The 丽发新城 messages of attachment 3 and 300 others, as the export file."""
    with gzip.open(DATA_DIR / "teddy2020c" / "attachment3_full.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    chosen = {r["留言编号"]: r for r in [r for r in rows if "丽发新城" in r["留言主题"]] + rows[:300]}
    hostile = chosen["267050"]  # one of the top hotspot's messages, rewritten as a hostile citizen might
    hostile["留言详情"] = '=HYPERLINK("http://example.com") ' + hostile["留言详情"]
    path = tmp_path / "attachment3_sample.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen.values())
    return path


def test_hotspots_over_imported_messages_come_out_as_json_with_their_messages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, teddy_sample: Path):
    monkeypatch.setenv("REXIAN_HOME", str(tmp_path))
    monkeypatch.delenv("REXIAN_DATABASE_URL", raising=False)
    runner = CliRunner()
    for args in (["db", "upgrade"], ["import", str(teddy_sample), "--json"]):
        assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["hotspots", "--top", "3", "--json", "--likes-from", str(teddy_sample),
                                 "--xlsx", str(tmp_path / "hot.xlsx")])
    assert result.exit_code == 0, result.output
    hotspots = json.loads(result.stdout)
    top = hotspots[0]
    assert {"rank", "heat", "place", "problem", "first_at", "last_at", "message_ids"} <= set(top)
    assert [h["rank"] for h in hotspots] == list(range(1, len(hotspots) + 1))
    assert "丽发新城" in top["place"] and "搅拌" in top["problem"]
    assert top["appeals"] >= 20 and all(i.startswith("teddy:") for i in top["message_ids"])
    assert top["likes"] > 0  # read beside the orders from --likes-from
    cells = [c for sheet in load_workbook(tmp_path / "hot.xlsx") for row in sheet.iter_rows() for c in row]
    assert any(str(c.value).startswith("=HYPERLINK") for c in cells)  # the citizen's text, as text:
    assert not [c.coordinate for c in cells if c.data_type == "f" or c.hyperlink]  # no formula, no link
