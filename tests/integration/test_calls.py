"""The agent desk's calls API on both databases: a transcript fills the draft, the agent's edits
stay, and the call ends as a dispatched, answered or transferred order."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from tests.integration.conftest import auth

from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.intelligence.knowledge import KnowledgeIndex, load_articles_csv
from rexian.services import calls as desk
from rexian.services.calls import Desk, demo_calls, install_desk
from rexian.services.dispatching import Dispatcher
from rexian.web.app import create_app

NOISE = next(c for c in demo_calls() if c["id"] == "noise-merchant")


@pytest.fixture
def desk_client(hotline, tokens):
    hotline.dispatcher = Dispatcher(hotline, classifier=None)
    knowledge = KnowledgeIndex()
    for doc in load_articles_csv():
        knowledge.add(doc)
    install_desk(hotline, Desk(hotline, knowledge=knowledge))
    with TestClient(create_app(hotline, public_rate_limit=1000)) as c:
        yield c


def start(client: TestClient, token: str, number: str = "13800138000") -> dict:
    response = client.post("/api/v1/calls", json={"caller_number": number}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def say(client: TestClient, token: str, call_id: int, utterances: list[dict]) -> dict:
    response = client.post(f"/api/v1/calls/{call_id}/utterances",
                           json={"utterances": [{"speaker": u["speaker"], "text": u["text"]} for u in utterances]},
                           headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_replayed_call_fills_the_draft_utterance_by_utterance(desk_client, tokens):
    call = start(desk_client, tokens["agent"])
    assert call["status"] == "live" and call["transcript"] == []
    for u in NOISE["utterances"]:
        r = desk_client.post(f"/api/v1/calls/{call['call_id']}/utterances", json={"speaker": u["speaker"], "text": u["text"]},
                             headers=auth(tokens["agent"]))
        assert r.status_code == 200
    draft = desk_client.get(f"/api/v1/calls/{call['call_id']}/draft", headers=auth(tokens["agent"])).json()
    f = draft["fields"]
    assert (f["district"], f["street"]) == ("天河区", "员村街道")
    assert f["merchant"] == "广州市天河区员村美味烧腊店"
    assert f["phone"] == "13800138000" and f["appeal_type"] == "complaint"
    assert {"district", "street", "merchant", "phone", "content"} <= set(draft["auto_filled"])
    assert len(draft["transcript"]) == len(NOISE["utterances"])
    assert draft["routing"]["unit_code"] and draft["routing"]["explanation"]


def test_an_agent_edit_is_kept_when_later_utterances_are_extracted(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "我住在天河区石牌街道，楼下烧烤店很吵"}])
    edited = desk_client.patch(f"/api/v1/calls/{call_id}/draft", json={"street": "五山街道"}, headers=auth(tokens["agent"]))
    assert edited.json()["fields"]["street"] == "五山街道" and "street" in edited.json()["edited"]
    draft = say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "再说一次，是天河区石牌街道"}])
    assert draft["fields"]["street"] == "五山街道" and "street" not in draft["auto_filled"]


def test_submit_files_an_order_dispatched_by_the_router_with_its_explanation(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    say(desk_client, tokens["agent"], call_id, NOISE["utterances"])
    order = desk_client.post(f"/api/v1/calls/{call_id}/submit", headers=auth(tokens["agent"]))
    assert order.status_code == 200, order.text
    o = order.json()
    assert o["status"] == "dispatched" and o["unit"]["code"] and o["dispatch"]["explanation"]
    assert o["channel"] == "phone" and o["caller"]["phone"] == "138****8000"  # full only on the audited read
    stored = desk_client.get(f"/api/v1/work-orders/{o['id']}", headers=auth(tokens["agent"])).json()
    assert stored["caller"]["phone"] == "13800138000"
    draft = desk_client.get(f"/api/v1/calls/{call_id}/draft", headers=auth(tokens["agent"])).json()
    assert draft["status"] == "submitted" and draft["order_id"] == o["id"]
    again = desk_client.post(f"/api/v1/calls/{call_id}/submit", headers=auth(tokens["agent"]))
    assert again.status_code == 409
    history = start(desk_client, tokens["agent"])["history"]
    assert o["id"] in [h["id"] for h in history]


def test_a_consultation_is_answered_instantly_from_a_knowledge_article(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"], "13600001111")["call_id"]
    draft = say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "我的社保卡丢了，要怎么补办？"}])
    article = next(k for k in draft["knowledge"] if k["kind"] == "article")
    assert "社保卡" in article["title"]
    order = desk_client.post(f"/api/v1/calls/{call_id}/answer", json={"article_id": article["doc_id"]},
                             headers=auth(tokens["agent"])).json()
    assert order["status"] == "answered" and "挂失" in order["reply_text"]
    assert order["appeal_type"] == "consultation"


def test_an_emergency_is_flagged_and_the_transfer_is_recorded_on_the_order(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    draft = say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "我家厨房现在燃气泄漏了，好大一股煤气味"}])
    assert draft["emergency"]["is_emergency"] and "119" in draft["emergency"]["transfer_to"]
    r = desk_client.post(f"/api/v1/calls/{call_id}/transfer", json={"service": "119"}, headers=auth(tokens["dispatcher"]))
    order = r.json()
    assert order["status"] == "transferred" and order["urgency"] == "emergency"
    events = desk_client.get(f"/api/v1/work-orders/{order['id']}/events", headers=auth(tokens["admin"])).json()
    assert events[-1]["action"] == "transfer" and events[-1]["data"]["service"] == "119"


def test_an_elderly_caller_is_marked_for_priority(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    assert not desk_client.get(f"/api/v1/calls/{call_id}/draft", headers=auth(tokens["agent"])).json()["elderly"]["priority"]
    draft = say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "姑娘啊，我今年七十多了，耳朵不太好"}])
    assert draft["elderly"] == {"priority": True, "reason": "我今年七十多了"}


def test_unit_users_may_not_use_the_desk(desk_client, tokens):
    assert desk_client.post("/api/v1/calls", json={}, headers=auth(tokens["shipai"])).status_code == 403
    call_id = start(desk_client, tokens["agent"])["call_id"]
    assert desk_client.get(f"/api/v1/calls/{call_id}/draft", headers=auth(tokens["tianhe"])).status_code == 403


@pytest.mark.parametrize("path, body", [
    ("/utterances", {"speaker": "robot", "text": "你好"}),
    ("/utterances", {"speaker": "caller", "text": ""}),
    ("/utterances", {"utterances": []}),
    ("/transfer", {"service": "999"}),
    ("/answer", {}),
])
def test_bad_input_is_refused_with_422(desk_client, tokens, path, body):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    assert desk_client.post(f"/api/v1/calls/{call_id}{path}", json=body, headers=auth(tokens["agent"])).status_code == 422


def test_bad_draft_edits_and_unknown_calls_are_refused(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    h = auth(tokens["agent"])
    assert desk_client.patch(f"/api/v1/calls/{call_id}/draft", json={"appeal_type": "shouting"}, headers=h).status_code == 422
    assert desk_client.patch(f"/api/v1/calls/{call_id}/draft", json={"unit": "x"}, headers=h).status_code == 422
    assert desk_client.get("/api/v1/calls/999999/draft", headers=h).status_code == 404


def test_the_stream_sends_the_draft_of_an_ended_call_and_closes(desk_client, tokens):
    call_id = start(desk_client, tokens["agent"])["call_id"]
    say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "我家厨房现在燃气泄漏了"}])
    desk_client.post(f"/api/v1/calls/{call_id}/transfer", json={"service": "119"}, headers=auth(tokens["agent"]))
    body = desk_client.get(f"/api/v1/calls/{call_id}/stream", headers=auth(tokens["agent"])).text
    assert body.startswith("event: draft\ndata: ") and '"status": "transferred"' in body


def test_any_app_process_may_serve_any_request_of_a_call(desk_client, tokens, other_process):
    """Utterances, edits and the stream of one call spread over two processes (workers without sticky
    sessions): each sees what the other stored, no edit is lost, and a stream follows the call to its end."""
    install_desk(other_process, Desk(other_process, knowledge=KnowledgeIndex()))
    other, h = TestClient(create_app(other_process, public_rate_limit=1000)), auth(tokens["agent"])
    call_id = start(desk_client, tokens["agent"])["call_id"]
    say(desk_client, tokens["agent"], call_id, [{"speaker": "caller", "text": "我住在天河区石牌街道"}])
    say(other, tokens["agent"], call_id, [{"speaker": "caller", "text": "楼下烧烤店每晚很吵"}])
    draft = desk_client.get(f"/api/v1/calls/{call_id}/draft", headers=h).json()
    assert [u["text"] for u in draft["transcript"]] == ["我住在天河区石牌街道", "楼下烧烤店每晚很吵"]
    assert desk_client.patch(f"/api/v1/calls/{call_id}/draft", json={"name": "王先生"}, headers=h).status_code == 200
    assert other.patch(f"/api/v1/calls/{call_id}/draft", json={"street": "五山街道"}, headers=h).status_code == 200
    fields = desk_client.get(f"/api/v1/calls/{call_id}/draft", headers=h).json()["fields"]
    assert (fields["name"], fields["street"]) == ("王先生", "五山街道")

    streamed: list[str] = []
    stream = threading.Thread(daemon=True, target=lambda: streamed.append(
        desk_client.get(f"/api/v1/calls/{call_id}/stream", headers=h).text))
    stream.start()
    time.sleep(0.3)  # the stream has sent the live draft and waits
    assert other.post(f"/api/v1/calls/{call_id}/submit", headers=h).status_code == 200
    stream.join(timeout=15)
    assert not stream.is_alive() and streamed, "the stream on the first process never saw the call end"
    events = streamed[0].split("event: draft\n")[1:]
    assert '"status": "live"' in events[0] and '"status": "submitted"' in events[-1]


def test_edits_and_utterances_made_at_once_on_two_processes_are_all_kept(desk_client, tokens, other_process):
    """Each change holds the call's row: none overwrites another made at the same moment on another process."""
    install_desk(other_process, Desk(other_process, knowledge=KnowledgeIndex()))
    agent = Actor("agent", Role.AGENT)
    hotline = desk_client.app.state.hotline
    call_id = desk.start_call(hotline, agent, "13800138000")["call_id"]
    edits = {"name": "王先生", "address": "石牌东路1号", "district": "天河区", "street": "石牌街道",
             "community": "石牌东社区", "merchant": "某烧烤店", "title": "噪音扰民", "category": "环境保护"}
    changes = [(name, value) for name, value in edits.items()] + [(None, f"第{i}句") for i in range(8)]

    def change(i: int, name: str | None, value: str) -> None:
        hl = (hotline, other_process)[i % 2]
        if name is None:
            desk.add_utterances(hl, agent, call_id, [("caller", value, None)])
        else:
            desk.edit_draft(hl, agent, call_id, {name: value})

    threads = [threading.Thread(target=change, args=(i, *c)) for i, c in enumerate(changes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for hl in (hotline, other_process):
        draft = desk.get_draft(hl, agent, call_id)
        assert {k: draft["fields"][k] for k in edits} == edits and sorted(draft["edited"]) == sorted(edits)
        assert sorted(u["text"] for u in draft["transcript"]) == sorted(f"第{i}句" for i in range(8))
        assert draft["version"] == len(changes)
