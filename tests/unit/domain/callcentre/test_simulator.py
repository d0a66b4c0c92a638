"""The simulator plays days through CallCentre.apply; where Erlang's assumptions hold it must agree."""

from datetime import date

import pytest

from rexian.domain.callcentre.erlang import average_speed_of_answer, service_level, staffing_plan
from rexian.domain.callcentre.forecast import CallForecast
from rexian.domain.callcentre.simulator import MANDARIN_ONLY, SimulationConfig, simulate_day


def erlang_world(aht_s: float, seed: int = 1) -> SimulationConfig:
    """Erlang C's world: one skill, exponential handling, no wrap-up, nobody hangs up."""
    return SimulationConfig(
        talk_mean_s=aht_s, talk_sigma=None, acw_mean_s=0, patience_mean_s=None, mix=MANDARIN_ONLY, seed=seed
    )


@pytest.mark.parametrize("agents", [25, 23])
def test_a_steady_day_matches_erlang_c_within_a_few_points(agents):
    calls, aht = 150, 240.0  # 20 erlangs every half hour
    report = simulate_day([calls] * 48, [agents] * 48, erlang_world(aht))
    traffic = calls * aht / 1800
    assert report.day.abandoned == 0
    assert report.day.service_level == pytest.approx(service_level(agents, traffic, aht, 15), abs=0.03)
    assert report.day.asa_s == pytest.approx(average_speed_of_answer(agents, traffic, aht), rel=0.25)


def test_the_erlang_plan_meets_its_target_over_a_simulated_day():
    calls = CallForecast.flat(8000).for_day(date(2026, 3, 2))
    plan = [p.agents for p in staffing_plan(calls, aht_s=240, target=0.8, within_s=15)]
    report = simulate_day(calls, plan, erlang_world(240, seed=3))
    assert report.day.service_level >= 0.78
    assert report.day.offered == report.day.answered


@pytest.fixture(scope="module")
def busy_day():
    """A realistic, thinly staffed day: priority, language and topic callers, impatience, 110 transfers."""
    calls = CallForecast.flat(6000).for_day(date(2026, 3, 2))
    plan = [max(p.agents - 2, 1) for p in staffing_plan(calls, aht_s=240)]
    return simulate_day(calls, plan, SimulationConfig(dedicated_seats=1, seed=7))


def test_every_call_of_a_simulated_day_is_answered_or_abandoned(busy_day):
    day = busy_day.day
    assert day.abandoned > 0
    assert day.offered == day.answered + day.abandoned
    assert sum(t.offered for t in busy_day.by_interval) == day.offered


def test_older_callers_wait_less_than_everyone_else_in_a_simulated_day(busy_day):
    assert busy_day.vulnerable.offered > 50
    assert busy_day.vulnerable.asa_s < busy_day.others.asa_s
    assert busy_day.vulnerable.service_level > busy_day.others.service_level


def test_calls_reach_110_at_most_once_in_a_simulated_day(busy_day):
    assert busy_day.transferred_out > 0
    assert all(r.transfers <= 1 for r in busy_day.ledger.records)


def test_fewer_agents_mean_more_abandoned_calls():
    calls = [60.0] * 48
    config = SimulationConfig(seed=5)
    assert (
        simulate_day(calls, [6] * 48, config).day.abandoned
        > simulate_day(calls, [10] * 48, config).day.abandoned
    )


def test_with_a_ring_time_every_answer_waits_for_the_ring_and_some_callers_hang_up_while_it_rings():
    calls = [80.0] * 48
    ringing = simulate_day(calls, [12] * 48, SimulationConfig(ring_s=5.0, patience_mean_s=20.0, seed=2))
    at_once = simulate_day(calls, [12] * 48, SimulationConfig(patience_mean_s=20.0, seed=2))
    records = ringing.ledger.records
    assert min(r.wait_s for r in records if r.answered_at is not None) == pytest.approx(5.0)
    assert ringing.day.offered == ringing.day.answered + ringing.day.abandoned
    assert any(r.answered_at is None and r.wait_s < 5.0 for r in records)  # hung up while it rang
    assert ringing.day.abandoned > at_once.day.abandoned
