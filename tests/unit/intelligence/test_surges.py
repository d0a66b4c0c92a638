from datetime import timedelta

from tests.unit.intelligence.conftest import parse_time

from rexian.intelligence.surges import SurgeDetector


def _baseline(appeals):
    """The real message times, all under one key: the platform's normal daily volume."""
    return [("A市", parse_time(r["留言时间"]), r["留言编号"]) for r in appeals]


def _now(events):
    return max(at for _, at, _ in events) - timedelta(days=1)


def test_the_real_baseline_alone_raises_no_alert(appeals):
    events = _baseline(appeals)
    assert SurgeDetector().detect(events, _now(events)) == []


def test_a_replayed_burst_at_one_estate_fires_with_its_evidence(appeals):
    events = _baseline(appeals)
    now = _now(events)
    history = [("魅力之城", at, rid) for _, at, rid in events[::200]]
    burst = [("魅力之城", now - timedelta(hours=3 * i + 1), f"burst-{i}") for i in range(12)]
    alerts = SurgeDetector().detect(events + history + burst, now)
    assert [a.key for a in alerts] == ["魅力之城"]
    assert set(alerts[0].evidence_ids) >= {f"burst-{i}" for i in range(12)}
    assert alerts[0].ratio > 3 and alerts[0].p_value < 1e-4
