"""Knowledge base over HTTP: search is open, writing is for staff, reviewers publish; real cases rank."""

from __future__ import annotations

import csv
import gzip
import itertools

from tests.integration.conftest import ROOT, SHIPAI, auth

from rexian.config import get_settings
from rexian.domain.vocabulary import Channel, Role
from rexian.domain.workorder import Action, Actor
from rexian.services import knowledge as kb
from rexian.services import workorders as uc

ARTICLE = {"question": "电动自行车在哪里上牌？", "variants": ["电动车上牌"], "answer": "携带购车发票和身份证到指定登记点办理。",
           "unit": "广州市公安局交通警察支队", "region": "广州市", "tags": ["电动车"]}


def _sample_cases(path, n=150):  # type: ignore[no-untyped-def]
    """The first `n` real messages of attachment 4, as a small CSV in the same format."""
    source = get_settings().data_dir / "teddy2020c" / "attachment4_full.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(itertools.islice(reader, n))
    out = path / "cases.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out, rows


def test_a_draft_is_found_only_after_review_and_publish(client, tokens):
    created = client.post("/api/v1/kb/articles", json=ARTICLE, headers=auth(tokens["agent"]))
    assert created.status_code == 201 and created.json()["status"] == "draft"
    article_id = created.json()["id"]
    assert client.get("/api/v1/kb/search", params={"q": "电动车上牌"}).json()["items"] == []
    assert client.get(f"/api/v1/kb/articles/{article_id}").status_code == 404  # drafts are not public
    assert client.post(f"/api/v1/kb/articles/{article_id}/review", headers=auth(tokens["agent"])).status_code == 403
    for action in ("review", "publish"):
        assert client.post(f"/api/v1/kb/articles/{article_id}/{action}",
                           headers=auth(tokens["dispatcher"])).status_code == 200
    hits = client.get("/api/v1/kb/search", params={"q": "电动车上牌"}).json()["items"]
    assert hits[0]["id"] == article_id and hits[0]["answer"] == ARTICLE["answer"]
    assert client.get(f"/api/v1/kb/articles/{article_id}").json()["status"] == "published"


def test_every_change_is_a_version_and_an_edit_of_a_published_article_is_searched_at_once(client, tokens):
    article_id = client.post("/api/v1/kb/articles", json=ARTICLE, headers=auth(tokens["admin"])).json()["id"]
    for action in ("review", "publish"):
        client.post(f"/api/v1/kb/articles/{article_id}/{action}", headers=auth(tokens["admin"]))
    edited = client.put(f"/api/v1/kb/articles/{article_id}", headers=auth(tokens["supervisor"]),
                        json={"answer": "现已可在“穗好办”网上预约上牌。", "expected_version": 3})
    assert edited.json()["version"] == 4
    stale = client.put(f"/api/v1/kb/articles/{article_id}", headers=auth(tokens["supervisor"]),
                       json={"answer": "x", "expected_version": 3})
    assert stale.status_code == 409
    assert "穗好办" in client.get("/api/v1/kb/search", params={"q": "电动自行车上牌"}).json()["items"][0]["answer"]
    history = client.get(f"/api/v1/kb/articles/{article_id}/versions", headers=auth(tokens["admin"])).json()["items"]
    assert [(v["version"], v["change"], v["actor"]) for v in history] == [
        (1, "create", "admin"), (2, "review", "admin"), (3, "publish", "admin"), (4, "edit", "supervisor")]
    client.post(f"/api/v1/kb/articles/{article_id}/retire", headers=auth(tokens["admin"]))
    assert client.get("/api/v1/kb/search", params={"q": "电动自行车上牌"}).json()["items"] == []


def test_a_unit_proposes_an_article_from_its_reply_and_may_not_publish_it(client, tokens, hotline):
    order, _ = uc.file_appeal(hotline, uc.AppealIntake(content="请问石牌街道的长者饭堂在哪里？", channel=Channel.WEB), ROOT)
    unit = Actor("shipai", Role.UNIT_STAFF, SHIPAI)
    uc.perform(hotline, order.id, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
    uc.perform(hotline, order.id, Action.SIGN, unit)
    uc.perform(hotline, order.id, Action.REPLY, unit, {"text": "长者饭堂位于石牌东路社区服务中心一楼。"})
    proposed = client.post("/api/v1/kb/proposals", json={"order_id": order.id}, headers=auth(tokens["shipai"]))
    assert proposed.status_code == 201
    assert proposed.json()["from_order"] == order.id and "社区服务中心" in proposed.json()["answer"]
    article_id = proposed.json()["id"]
    assert client.post(f"/api/v1/kb/articles/{article_id}/review", headers=auth(tokens["shipai"])).status_code == 403
    rejected = client.post(f"/api/v1/kb/articles/{article_id}/reject", headers=auth(tokens["dispatcher"]),
                           json={"note": "x"})
    assert rejected.status_code == 409  # only a reviewed article is sent back


def test_search_over_real_cases_puts_the_case_asked_about_first(client, tokens, hotline, tmp_path):
    path, rows = _sample_cases(tmp_path)
    report = kb.import_file(hotline, path, ROOT)
    assert report["format"] == "cases" and report["imported"] > 100
    assert kb.import_file(hotline, path, ROOT)["imported"] == 0  # duplicates skipped
    found = 0
    for row in rows[:20]:
        hits = client.get("/api/v1/kb/search", params={"q": row["留言主题"], "limit": 3}).json()["items"]
        found += any(h["title"] == row["留言主题"].strip() for h in hits[:1])
    assert found >= 18


def test_search_is_rate_limited_for_citizens(hotline):
    from fastapi.testclient import TestClient

    from rexian.web.app import create_app

    with TestClient(create_app(hotline, public_rate_limit=3)) as c:
        codes = [c.get("/api/v1/kb/search", params={"q": "社保"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_what_one_process_publishes_retires_or_imports_every_other_process_answers_from(
        hotline, tmp_path, other_process):
    """Each app process searches its own index; another worker's (or the CLI's) changes reach it by the
    next search after `refresh_every`, so every agent and the self-service bot give the same answer."""
    other_process.knowledge = kb.KnowledgeBase(other_process, None)
    admin = Actor("kb-admin", Role.ADMIN)
    old = kb.create_article(hotline, {**ARTICLE, "question": "电动自行车旧规定在哪里上牌？"}, admin,
                            status=kb.ArticleStatus.PUBLISHED)
    assert [h["id"] for h in kb.knowledge_base(other_process).search("电动自行车上牌")] == [old.id]  # its index is built
    new = kb.create_article(hotline, {**ARTICLE, "question": "电动自行车新规定怎么上牌？"}, admin)
    for action in (kb.ArticleAction.REVIEW, kb.ArticleAction.PUBLISH):
        kb.change_status(hotline, new.id, action, admin)
    kb.edit_article(hotline, new.id, {"answer": "现已可在“穗好办”网上预约上牌。"}, admin)
    kb.change_status(hotline, old.id, kb.ArticleAction.RETIRE, admin)
    path, rows = _sample_cases(tmp_path, n=5)
    assert kb.import_file(hotline, path, ROOT)["imported"] == 5

    hits = kb.knowledge_base(other_process).search("电动自行车上牌")
    assert [h["id"] for h in hits] == [new.id] and "穗好办" in hits[0]["answer"]
    assert kb.knowledge_base(other_process).search(rows[0]["留言主题"], k=1)[0]["title"] == rows[0]["留言主题"].strip()
