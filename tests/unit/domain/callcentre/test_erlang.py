"""Erlang B/C against textbook values and a direct factorial formula."""

import math
from fractions import Fraction

import pytest

from rexian.domain.callcentre.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    service_level,
    staffing_plan,
)


def exact_erlang_c(n: int, a: int) -> float:
    """Erlang C with exact rational arithmetic: (A^n/n! · n/(n-A)) / (Σ_{k<n} A^k/k! + A^n/n! · n/(n-A))."""
    top = Fraction(a**n, math.factorial(n)) * Fraction(n, n - a)
    return float(top / (sum(Fraction(a**k, math.factorial(k)) for k in range(n)) + top))


def test_erlang_b_table_value():
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=1e-4)


def test_erlang_c_for_one_and_two_agents_matches_the_closed_forms():
    rho = 0.5
    assert erlang_c(1, rho) == pytest.approx(rho)  # M/M/1
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))  # M/M/2


@pytest.mark.parametrize(("n", "a"), [(3, 2), (14, 10), (30, 25), (60, 50)])
def test_erlang_c_matches_the_factorial_formula(n, a):
    assert erlang_c(n, float(a)) == pytest.approx(exact_erlang_c(n, a), rel=1e-9)


def test_the_textbook_example_needs_14_agents():
    """100 calls in 30 min, 180 s handling, 80 % within 20 s: 10 erlangs, 14 agents,
    P(wait) 17.4 %, service level 88.8 % (the standard worked example)."""
    assert agents_needed(100, 180, target=0.8, within_s=20) == 14
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert average_speed_of_answer(14, 10.0, 180) == pytest.approx(0.1741 * 180 / 4, abs=0.01)


def test_erlang_c_stays_finite_at_a_city_s_volume():
    c = erlang_c(1000, 950.0)
    assert 0 < c < 1
    assert agents_needed(1600, 240) > 1600 * 240 / 1800


def test_fewer_agents_than_erlangs_never_catch_up():
    assert erlang_c(9, 10.0) == 1.0
    assert service_level(9, 10.0, 180, 20) == 0.0
    assert average_speed_of_answer(10, 10.0, 180) == math.inf


def test_each_planned_half_hour_meets_the_target_with_one_agent_fewer_missing_it():
    plan = staffing_plan([0, 50, 400, 1200], aht_s=240, target=0.8, within_s=15)
    assert plan[0].agents == 0
    for p in plan[1:]:
        assert p.service_level >= 0.8
        assert service_level(p.agents - 1, p.traffic, 240, 15) < 0.8
