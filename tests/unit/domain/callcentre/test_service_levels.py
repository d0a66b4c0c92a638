"""Service-level numbers on a small scenario computed by hand."""

from datetime import datetime, timedelta

import pytest

from rexian.domain.callcentre import (
    ENGLISH,
    MANDARIN,
    AgentLoggedIn,
    AgentReady,
    CallAbandoned,
    CallAnswered,
    CallCentre,
    CallEnded,
    CallHeld,
    CallOffered,
    CallRetrieved,
)

T0 = datetime(2026, 3, 2, 9, 0)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


@pytest.fixture
def centre() -> CallCentre:
    """Two agents, four calls:
    c1 09:00:00 answered by a1 after 5 s, talks 100 s (20 s of it on hold), 30 s wrap-up;
    c2 09:00:10 answered by a2 after 20 s, talks 200 s, 10 s wrap-up;
    c3 09:00:20 abandoned after 40 s;
    c4 10:05:00 (English) still waiting at 10:06.
    """
    now = [at(0)]
    centre = CallCentre(clock=lambda: now[0])
    for agent in ("a1", "a2"):
        centre.apply(AgentLoggedIn(agent, frozenset({MANDARIN}), at(0)))
    offered = lambda cid, s, lang=MANDARIN: centre.apply(CallOffered(cid, "138", "12345", lang, at(s)))  # noqa: E731
    offered("c1", 0)
    offered("c2", 10)
    offered("c3", 20)
    centre.apply(AgentReady("a1", at(5)))  # assigns c1
    centre.apply(CallAnswered("c1", "a1", at(5)))
    centre.apply(CallHeld("c1", at(50)))
    centre.apply(CallRetrieved("c1", at(70)))
    centre.apply(AgentReady("a2", at(30)))  # assigns c2
    centre.apply(CallAnswered("c2", "a2", at(30)))
    centre.apply(CallAbandoned("c3", at(60)))
    centre.apply(CallEnded("c1", at(105)))
    centre.apply(AgentReady("a1", at(135)))
    centre.apply(CallEnded("c2", at(230)))
    centre.apply(AgentReady("a2", at(240)))
    offered("c4", 3900, ENGLISH)
    now[0] = at(3960)
    return centre


def test_the_wallboard_shows_waiting_calls_agents_and_the_24_hour_numbers(centre):
    snap = centre.snapshot()
    assert (snap.calls_waiting, snap.longest_wait_s) == (1, 60)
    assert snap.agents_by_state["ready"] == 2
    day = snap.last_24h
    assert (day.offered, day.answered, day.abandoned, day.answered_within) == (4, 2, 1, 1)
    assert day.service_level == pytest.approx(1 / 3)  # 1 of 3 calls that stopped waiting, within 15 s
    assert day.connection_rate == pytest.approx(2 / 4)
    assert not snap.meets_connection_target
    assert day.asa_s == pytest.approx((5 + 20) / 2)
    assert day.aht_s == pytest.approx(((100 + 30) + (200 + 10)) / 2)
    assert day.acw_s == pytest.approx((30 + 10) / 2)


def test_hold_time_is_recorded_on_the_call(centre):
    assert centre.ledger.records[0].hold_s == 20


def test_history_splits_by_hour_and_by_skill(centre):
    rows = {(r.period_start.hour, r.key): r.totals for r in centre.ledger.history("hour", by="skill")}
    assert set(rows) == {(9, MANDARIN), (10, ENGLISH)}
    assert (rows[9, MANDARIN].offered, rows[9, MANDARIN].abandoned) == (3, 1)
    assert rows[10, ENGLISH].offered == 1


def test_history_per_agent_and_day_counts_what_each_agent_answered(centre):
    rows = {r.key: r.totals for r in centre.ledger.history("day", by="agent")}
    assert {k: (t.answered, t.aht_s, t.acw_s) for k, t in rows.items()} == {
        "a1": (1, 130, 30),
        "a2": (1, 210, 10),
    }


def test_the_24_hour_window_forgets_older_calls(centre):
    assert centre.snapshot(now=at(3900 + 86400 - 1)).last_24h.offered == 1
