"""The dispatch router: rules, wildcards, history, returns, backstop and review."""

from __future__ import annotations

import pytest

from rexian.domain.routing import (
    DispatchContext,
    DispatchRanker,
    Router,
    RoutingRule,
    RuleImpact,
    rules_from_csv,
    rules_to_csv,
)
from rexian.domain.units import Unit, UnitKind

UNITS = [
    Unit("TH", "天河区人民政府", UnitKind.DISTRICT, district="天河区"),
    Unit("HZ", "海珠区人民政府", UnitKind.DISTRICT, district="海珠区"),
    Unit("SP", "石牌街道办事处", UnitKind.STREET, "TH", district="天河区", street="石牌街道"),
    Unit("ZJ", "市住房城乡建设局", UnitKind.DEPARTMENT),
    Unit("SW", "市水务局", UnitKind.DEPARTMENT),
    Unit("PW", "市供电局", UnitKind.ENTERPRISE),
]


def ctx(text="小区物业不管楼道垃圾", category="城乡建设/物业管理", confidence=0.9,
        district="天河区", street="石牌街道") -> DispatchContext:
    return DispatchContext(text, category, confidence, district, street)


def test_the_higher_priority_rule_wins():
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设"),
             RoutingRule("R2", 20, "{street}", category="城乡建设/物业管理")]
    decision = Router(rules, UNITS).decide(ctx())
    assert (decision.unit_code, decision.rule_id) == ("SP", "R2")
    assert "城乡建设/物业管理 at 天河区石牌街道 → 石牌街道办事处 by rule R2" in decision.explanation


def test_on_equal_priority_the_more_specific_rule_wins():
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设"),
             RoutingRule("R2", 10, "SW", category="城乡建设", district="天河区")]
    assert Router(rules, UNITS).decide(ctx()).rule_id == "R2"


def test_wildcards_match_any_category_and_district_but_a_prefix_must_be_a_whole_level():
    rules = [RoutingRule("R1", 10, "PW", keywords=("停电",)),
             RoutingRule("R2", 10, "SW", category="城乡")]
    router = Router(rules, UNITS)
    assert router.decide(ctx("突然停电了", category="能源", district=None, street=None)).unit_code == "PW"
    assert router.decide(ctx("楼道垃圾", district=None, street=None)).needs_review


def test_rules_round_trip_through_csv():
    rules = [RoutingRule("R1", 5, "PW", district="天河区", keywords=("停电", "跳闸"), note="供电")]
    assert rules_from_csv(rules_to_csv(rules)) == rules
    with pytest.raises(ValueError, match="unit_code"):
        rules_from_csv("id,priority,unit_code\nR9,1,\n")


def test_with_no_unit_fixed_the_district_is_the_backstop():
    decision = Router([], UNITS).decide(ctx(street=None))
    assert decision.backstop and decision.unit_code == "TH" and not decision.needs_review
    assert "区级兜底" in decision.explanation


def test_a_placeholder_falls_back_a_level_and_a_catch_all_district_rule_is_the_backstop():
    rules = [RoutingRule("R1", 700, "{street}", keywords=("噪音",)),
             RoutingRule("R0", 0, "{district}")]
    router = Router(rules, UNITS)
    assert router.decide(ctx("噪音扰民")).unit_code == "SP"
    no_street = router.decide(ctx("噪音扰民", street=None))
    assert no_street.unit_code == "TH" and no_street.rule_id == "R1" and not no_street.backstop
    catch_all = router.decide(ctx("别的事", street=None))
    assert catch_all.unit_code == "TH" and catch_all.backstop and catch_all.rule_id == "R0"


def test_the_demo_city_rules_load_from_their_csv():
    from rexian.config import DATA_DIR

    rules = rules_from_csv((DATA_DIR / "cities/guangzhou/routing_rules.csv").read_text("utf-8"))
    assert len(rules) > 50 and any(r.unit_code == "{street}" for r in rules)


def test_below_the_threshold_the_order_goes_to_review():
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设")]
    router = Router(rules, UNITS, review_threshold=0.8)
    unsure = router.decide(ctx(confidence=0.2))
    assert unsure.needs_review and unsure.unit_code is None and "review queue" in unsure.explanation
    assert router.decide(ctx(confidence=0.95)).unit_code == "ZJ"


def test_without_district_or_candidate_the_order_goes_to_review():
    decision = Router([], UNITS).decide(ctx(district=None, street=None))
    assert decision.needs_review and not decision.backstop


def test_history_ranks_where_rules_are_missing_and_says_how_many_went_there():
    router = Router([], UNITS, DispatchRanker())
    for _ in range(3):
        router.learn(ctx("自来水停水三天", category="城乡建设/供水"), "SW")
    router.learn(ctx(), "SP")
    decision = router.decide(ctx("又停水了，自来水没有", category="城乡建设/供水"))
    assert decision.unit_code == "SW" and decision.rule_id is None
    assert "3 similar past orders went there" in decision.explanation


def test_history_learned_in_one_district_carries_over_to_another():
    router = Router([], UNITS, DispatchRanker())
    for _ in range(3):
        router.learn(ctx("噪音扰民", category="环境保护/噪声"), "TH")
    decision = router.decide(ctx("噪音扰民", category="环境保护/噪声", district="海珠区", street=None))
    assert decision.unit_code == "HZ" and not decision.backstop


def test_history_breaks_a_tie_between_rules():
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设"),
             RoutingRule("R2", 10, "SW", category="城乡建设")]
    router = Router(rules, UNITS, DispatchRanker(), review_threshold=0.3)
    for _ in range(4):
        router.learn(ctx(), "SW")
    decision = router.decide(ctx())
    assert decision.unit_code == "SW" and "rules tied" in decision.explanation


def test_after_a_return_the_same_context_no_longer_goes_to_that_unit():
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设")]
    router = Router(rules, UNITS, DispatchRanker())
    assert router.decide(ctx()).unit_code == "ZJ"
    router.penalise(ctx(), "ZJ")
    assert router.decide(ctx()).unit_code != "ZJ"


def test_a_return_also_overrides_what_history_had_learned():
    router = Router([], UNITS, DispatchRanker(), review_threshold=0.0)
    for _ in range(5):
        router.learn(ctx(), "ZJ")
    router.learn(ctx(), "SP")
    assert router.decide(ctx()).unit_code == "ZJ"
    router.penalise(ctx(), "ZJ")
    assert router.decide(ctx()).unit_code == "SP"


def test_the_rules_shortlisted_by_category_and_district_decide_as_a_scan_of_every_rule_would():
    """The router looks only at the rules an order's top-level category and district allow; over every
    combination of categories and places (named by rules or not, prefixes that are not a whole level, none)
    the units and rules it picks are those of a plain scan of all the rules."""
    rules = [RoutingRule("R1", 10, "ZJ", category="城乡建设"),
             RoutingRule("R2", 20, "{street}", category="城乡建设/物业管理"),
             RoutingRule("R3", 20, "SW", category="城乡建设/物业管理", district="海珠区"),
             RoutingRule("R4", 15, "PW", keywords=("停电",)),
             RoutingRule("R5", 15, "SW", category="城乡", district="天河区"),
             RoutingRule("R6", 5, "{district}"),
             RoutingRule("R7", 30, "PW", category="能源/供电", street="石牌街道")]
    router = Router(rules, UNITS)
    scan = Router(rules, UNITS)
    scan._shortlist = lambda ctx: scan.rules  # type: ignore[method-assign]  # every rule, in rank order
    categories = ["城乡建设", "城乡建设/物业管理", "城乡建设/物业管理/收费", "城乡", "城乡规划", "能源/供电", "能源", None, ""]
    places = [("天河区", "石牌街道"), ("天河区", None), ("海珠区", None), ("越秀区", None), (None, None)]
    for text in ("小区物业不管楼道垃圾", "家里又停电了"):
        for category in categories:
            for district, street in places:
                c = ctx(text=text, category=category, district=district, street=street)
                assert router._matching_rules(c) == scan._matching_rules(c), (text, category, district)
                assert router.decide(c) == scan.decide(c)


def test_a_rule_change_is_measured_on_past_orders_before_it_is_made():
    now = Router([RoutingRule("R1", 10, "ZJ", category="城乡建设")], UNITS)
    proposed = Router([RoutingRule("R1", 10, "ZJ", category="城乡建设"),
                       RoutingRule("R2", 20, "{street}", category="城乡建设/物业管理")], UNITS)
    orders = [("A1", ctx(), "SP"), ("A2", ctx(), "ZJ"), ("A3", ctx(category="城乡建设/住房"), None),
              ("A4", ctx(text="有事", category=None, district=None, street=None), None)]
    impact = RuleImpact.of((code, handler, now.decide(c), proposed.decide(c)) for code, c, handler in orders)
    assert (impact.orders, impact.changed, impact.handled) == (4, 2, 2)
    assert impact.agree == (1, 1)  # A2 agreed before, A1 after
    assert impact.review == (1, 1) and impact.backstop == (0, 0)
    assert impact.moves == (("ZJ", "SP", 2, ("A1", "A2")),)
