"""The CTI API a switch drives: routing decisions, priorities, the at-most-once transfer, live levels."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.integration.conftest import ROOT, auth

from rexian.adapters.channels.cti_http import (
    ApiDayReport,
    ApiSimulation,
    HttpLink,
    WebSocketLink,
    audit_day,
)
from rexian.domain.callcentre import CallerFlag, CallOffered
from rexian.domain.callcentre.simulator import MANDARIN_ONLY, CallerMix, SimulationConfig
from rexian.domain.clock import LOCAL_TZ, FixedClock
from rexian.services.callcentre import CtiService, load_registered_callers

T0 = datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL_TZ)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def post(client: TestClient, token: str, event: dict[str, Any] | list[dict[str, Any]], expect: int = 200
         ) -> dict[str, Any]:
    response = client.post("/api/v1/cti/events", json=event, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def offer(call_id: str, s: float, caller: str = "13900000000", **extra: Any) -> dict[str, Any]:
    return {"type": "CallOffered", "call_id": call_id, "caller_number": caller, "dialled_number": "12345",
            "language": "mandarin", "at": at(s), **extra}


def agent_in(agent_id: str, s: float, ready: bool = True) -> list[dict[str, Any]]:
    events = [{"type": "AgentLoggedIn", "agent_id": agent_id, "skills": ["mandarin"], "at": at(s)}]
    return events + ([{"type": "AgentReady", "agent_id": agent_id, "at": at(s)}] if ready else [])


def test_only_a_system_or_admin_token_drives_the_centre(client, tokens):
    event = agent_in("a1", 0)[0]
    assert client.post("/api/v1/cti/events", json=event).status_code == 401
    assert client.post("/api/v1/cti/events", json=event, headers=auth(tokens["agent"])).status_code == 403
    assert post(client, tokens["admin"], event) == {"decisions": []}


def test_a_registered_elderly_caller_is_answered_before_earlier_ordinary_callers(client, tokens, hotline,
                                                                                  tmp_path: Path):
    register = tmp_path / "registered.csv"
    register.write_text("phone,flag,note\n13712345678,elderly,80 岁\n", encoding="utf-8")
    assert load_registered_callers(hotline, ROOT, register) == 1
    token = tokens["admin"]
    post(client, token, agent_in("a1", 0, ready=False))
    post(client, token, [offer("c1", 1, "13900000001"), offer("c2", 2, "13900000002"),
                         offer("c3", 3, "13712345678")])
    answer = post(client, token, {"type": "AgentReady", "agent_id": "a1", "at": at(4)})
    assert answer["decisions"] == [{"type": "Assignment", "call_id": "c3", "agent_id": "a1"}]


def test_a_caller_with_an_open_order_is_served_as_a_repeat_caller_and_seen_on_the_desk(client, tokens):
    phone = "13800138000"
    filed = client.post("/api/v1/work-orders", headers=auth(tokens["agent"]), json={
        "content": "石牌街道某小区楼下餐馆油烟扰民，晚上十点后仍在营业", "channel": "phone",
        "appeal_type": "complaint", "caller": {"name": "王先生", "phone": phone}, "address": "天河区石牌街道"})
    assert filed.status_code == 201, filed.text
    token = tokens["admin"]
    post(client, token, agent_in("a1", 0, ready=False))
    post(client, token, [offer("c1", 1, "13900000001"), offer("c2", 2, phone)])
    answer = post(client, token, {"type": "AgentReady", "agent_id": "a1", "at": at(3)})
    assert answer["decisions"][0]["call_id"] == "c2"

    desk = client.get(f"/api/v1/cti/callers/{phone}", headers=auth(tokens["agent"])).json()
    assert desk["number"] == phone
    assert [(o["code"], o["open"]) for o in desk["orders"]] == [(filed.json()["code"], True)]
    masked = client.get(f"/api/v1/cti/callers/{phone}", headers=auth(tokens["tianhe"]))
    assert masked.status_code == 200
    assert masked.json()["number"] != phone
    assert client.get(f"/api/v1/cti/callers/{phone}").status_code == 401


def test_a_second_transfer_is_refused_in_two_languages_but_110_is_allowed(client, tokens):
    token = tokens["admin"]
    post(client, token, agent_in("a1", 0) + agent_in("a2", 0))
    assert post(client, token, offer("c1", 1))["decisions"] == [
        {"type": "Assignment", "call_id": "c1", "agent_id": "a1"}]
    post(client, token, {"type": "CallAnswered", "call_id": "c1", "agent_id": "a1", "at": at(2)})
    first = post(client, token, {"type": "CallTransferred", "call_id": "c1", "to_agent": "a2", "at": at(30)})
    assert first["decisions"] == [{"type": "Assignment", "call_id": "c1", "agent_id": "a2"}]
    post(client, token, {"type": "CallAnswered", "call_id": "c1", "agent_id": "a2", "at": at(31)})

    refused = post(client, token, {"type": "CallTransferred", "call_id": "c1", "to_agent": "a1", "at": at(60)},
                   expect=409)
    assert "转接" in refused["message"] and "transferred" in refused["message_en"]
    out = post(client, token, {"type": "CallTransferred", "call_id": "c1", "to_number": "110", "at": at(61)})
    assert out["decisions"] == [{"type": "TransferOut", "call_id": "c1", "number": "110"}]


def test_bad_events_get_422_and_a_batch_reports_each_event(client, tokens):
    token = tokens["admin"]
    assert post(client, token, {"type": "Teleport", "at": at(0)}, expect=422)["message_en"]
    assert post(client, token, {"type": "CallAnswered", "call_id": "c1", "at": at(0)}, expect=422)
    results = HttpLink(client, token).exchange([*agent_in("a1", 0), {"type": "CallEnded", "call_id": "nope",
                                                                      "at": at(1)}])
    assert [r.get("status") for r in results] == [None, None, 409]


def test_the_snapshot_matches_a_hand_computed_morning(client, tokens, clock: FixedClock):
    token = tokens["admin"]
    post(client, token, agent_in("a1", 0))
    post(client, token, offer("c1", 0))  # assigned to a1 at once
    post(client, token, {"type": "CallAnswered", "call_id": "c1", "agent_id": "a1", "at": at(5)})  # 5 s
    post(client, token, [offer("c2", 10), offer("c3", 20)])
    post(client, token, {"type": "CallAbandoned", "call_id": "c2", "at": at(30)})
    post(client, token, {"type": "CallEnded", "call_id": "c1", "at": at(60)})
    assigned = post(client, token, {"type": "AgentReady", "agent_id": "a1", "at": at(70)})["decisions"]
    assert assigned == [{"type": "Assignment", "call_id": "c3", "agent_id": "a1"}]
    post(client, token, {"type": "CallAnswered", "call_id": "c3", "agent_id": "a1", "at": at(71)})  # 51 s
    post(client, token, offer("c4", 80))
    clock.advance(seconds=12)  # the centre's time moves on with the hotline clock between events

    snap = client.get("/api/v1/cti/snapshot", headers=auth(tokens["supervisor"])).json()
    assert snap["calls_waiting"] == 1
    assert snap["longest_wait_s"] == 12.0
    assert snap["agents_by_state"]["on_call"] == 1
    day = snap["last_24h"]
    assert (day["offered"], day["answered"], day["abandoned"], day["answered_within"]) == (4, 2, 1, 1)
    assert snap["answered_within_rate"] == pytest.approx(1 / 3)
    assert snap["connection_rate"] == pytest.approx(2 / 4)
    assert snap["meets_connection_target"] is False and snap["meets_service_level"] is False
    assert snap["staffing"]["agents_logged_in"] == 1
    assert snap["staffing"]["half_hour"] == "10:00" and snap["staffing"]["agents_needed"] > 1

    rows = client.get("/api/v1/cti/history?period=hour&by=agent", headers=auth(tokens["supervisor"])).json()
    assert [(r["key"], r["answered"], r["asa_s"]) for r in rows["rows"]] == [("a1", 2, 28.0)]

    cdr = client.get("/api/v1/cti/calls", params={"since": at(10)}, headers=auth(tokens["supervisor"])).json()["calls"]
    assert [(r["call_id"], r["wait_s"], r["abandoned_at"] is not None) for r in cdr] == [
        ("c2", 20.0, True), ("c3", 51.0, False), ("c4", None, False)]
    assert client.get("/api/v1/cti/calls?since=yesterday", headers=auth(tokens["supervisor"])).status_code == 422


def test_a_simulated_morning_through_the_websocket_keeps_priorities_and_the_transfer_rule(client, tokens):
    client.app.state.cti = CtiService(client.app.state.hotline, tick_every_s=None)  # the switch sends Ticks
    calls = [0.0] * 48
    calls[20] = calls[21] = 140.0  # 10:00-11:00, ~280 calls, ~10 erlangs against 12 agents: queues build
    roster = [12 if 20 <= s <= 25 else 0 for s in range(48)]
    mix = CallerMix(vulnerable_share=0.1, repeat_share=0.1, languages=MANDARIN_ONLY.languages, topics={},
                    emergency_share=0.02)
    config = SimulationConfig(talk_mean_s=120, acw_mean_s=10, patience_mean_s=300, mix=mix, ring_s=2.0, seed=7)
    token = tokens["admin"]

    with client.websocket_connect(f"/api/v1/cti/ws?token={token}") as socket:
        report = ApiSimulation(WebSocketLink(socket), calls, roster, config, T0.replace(hour=0),
                               transfer_every=25).play()

    assert report.offered > 250
    assert report.requests < report.events  # events travel in batches
    assert fmean(report.waits_others) > 1.0  # a queue did build
    assert fmean(report.waits_vulnerable) < fmean(report.waits_others) / 2
    assert report.transfers > 5 and report.transferred_out > 0
    records = client.get("/api/v1/cti/calls", headers=auth(token)).json()["calls"]
    checks = audit_day(report, records, config.ring_s)
    assert [c.name for c in checks if not c.ok] == [], [c.detail for c in checks]
    assert sum(r["transfers"] for r in records) >= report.transfers + report.transferred_out
    snap = client.get("/api/v1/cti/snapshot", headers=auth(token)).json()
    assert snap["last_24h"]["offered"] == report.offered and snap["calls_waiting"] == 0


def test_the_day_audit_catches_a_skipped_elderly_caller_a_second_transfer_and_a_lost_call():
    elderly, ordinary, lost = (CallOffered(c, "13900000000", "12345", "mandarin", T0, flags)
                               for c, flags in (("c1", frozenset({CallerFlag.ELDERLY})), ("c2", frozenset()),
                                                ("c3", frozenset())))
    report = ApiDayReport(offers=[elderly, ordinary, lost], waits_vulnerable=[], waits_others=[], transfers=1,
                          second_transfers=0)

    def record(call_id: str, offered: float, answered: float, transfers: int = 0) -> dict[str, Any]:
        return {"call_id": call_id, "offered_at": at(offered), "answered_at": at(answered), "agent_id": "a1",
                "ended_at": at(answered + 60), "abandoned_at": None, "wait_s": answered - offered,
                "transfers": transfers}

    # the ordinary caller came later but was assigned (at 10 s, answered at 12 s) while the older one waited
    records = [record("c1", 0, 30), record("c2", 5, 12, transfers=2)]
    failed = {c.name: c.detail for c in audit_day(report, records, ring_s=2.0) if not c.ok}
    assert len(failed) == 3
    assert "c2 before c1" in next(d for n, d in failed.items() if n.startswith("priorities"))
    assert "1 more than allowed" in next(d for n, d in failed.items() if "transferred" in n)
    assert "missing 1" in failed["every call accounted for"]
    assert all(c.ok for c in audit_day(report, [record("c1", 0, 12), record("c2", 5, 30, transfers=1),
                                                record("c3", 6, 40)], ring_s=2.0))
