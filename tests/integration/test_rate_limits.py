"""Rate limits hold across app processes: two apps on one database share each client's budget."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rexian.adapters.db.tables_limits import rate_limit_hits
from rexian.services.ratelimit import RateLimit
from rexian.web.app import create_app

SEARCH = "/api/v1/kb/search"


def _windows(hl) -> int:  # noqa: ANN001
    with hl.uow.begin() as tx:
        return tx.conn.execute(select(func.count()).select_from(rate_limit_hits)).scalar_one()


def test_two_app_processes_share_one_citizen_budget(hotline, clock, other_process):
    with TestClient(create_app(hotline, public_rate_limit=4)) as first, \
            TestClient(create_app(other_process, public_rate_limit=4)) as second:
        answers = [c.get(SEARCH, params={"q": "社保"}) for c in (first, second, first, second, first)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["message"] == "请求过于频繁，请稍后再试"
    assert refused.json()["message_en"] == "too many requests: try again later"
    assert refused.headers["Retry-After"] == "60"  # the clock stands at the start of a minute


def test_staff_with_a_token_are_not_counted(client, tokens):
    for _ in range(3):
        assert client.get(SEARCH, params={"q": "社保"}, headers={"Authorization": f"Bearer {tokens['agent']}"}
                          ).status_code == 200
    assert client.app.state.public_limiter.limit.wait_s("testclient") == 0
    with client.app.state.hotline.uow.begin() as tx:
        hits = tx.conn.execute(select(rate_limit_hits.c.hits)).scalars().all()
    assert hits == [1]  # only the check just made


def test_each_client_has_its_own_budget_and_the_next_window_a_fresh_one(hotline, clock):
    limit = RateLimit(hotline, "public", 2, 60)
    clock.advance(seconds=15)
    assert [limit.wait_s("198.51.100.1") for _ in range(3)] == [0, 0, 45]
    assert limit.wait_s("198.51.100.2") == 0
    clock.advance(seconds=45)
    assert limit.wait_s("198.51.100.1") == 0


def test_finished_windows_are_dropped_so_the_table_stays_small(hotline, clock):
    limit = RateLimit(hotline, "public", 5, 60)
    for _ in range(4):
        for client in ("198.51.100.1", "198.51.100.2"):
            limit.wait_s(client)
        clock.advance(minutes=1)
    assert _windows(hotline) == 2  # the last minute's two clients


def test_a_rate_limit_on_log_in_does_not_spend_the_citizens_budget(hotline):
    RateLimit(hotline, "login", 1, 60).wait_s("198.51.100.1")
    assert RateLimit(hotline, "public", 1, 60).wait_s("198.51.100.1") == 0
