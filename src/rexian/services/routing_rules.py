"""Routing rules are data: list, replace (CSV import), add or remove one, each change audited; and what a
change would do to the recent orders before it is made."""

from __future__ import annotations

from rexian.adapters.db.repositories import OrderFilter
from rexian.domain.access import check_write
from rexian.domain.errors import InvalidInput, NotFound
from rexian.domain.routing import RoutingRule, RuleImpact
from rexian.domain.workorder import Actor
from rexian.services.context import Hotline, mark_changed

PLACEHOLDERS = {"{district}", "{street}", "{community}"}
PRIORITIES = range(-1000, 10001)
LENGTHS = {"id": 32, "unit_code": 64, "category": 200, "district": 64, "street": 64}  # what the table holds


def list_rules(hl: Hotline) -> list[RoutingRule]:
    with hl.uow.begin() as tx:
        return sorted(tx.rules.all(hl.city.key), key=lambda r: (-r.priority, r.id))


def _validate(hl: Hotline, rules: list[RoutingRule]) -> None:
    for r in rules:
        if r.priority not in PRIORITIES:
            raise InvalidInput(f"规则{r.id}的优先级须在{PRIORITIES[0]}至{PRIORITIES[-1]}之间",
                               f"rule {r.id}: priority must be from {PRIORITIES[0]} to {PRIORITIES[-1]}")
        wrong = [name for name, most in LENGTHS.items() if not 0 < len(getattr(r, name)) <= most]
        if wrong:
            raise InvalidInput(f"规则{r.id[:32]}的字段为空或过长：{'、'.join(wrong)}",
                               f"rule {r.id[:32]}: empty or too long: {', '.join(wrong)}")
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise InvalidInput("规则编号重复", "duplicate rule ids")
    known = set(hl.unit_names())
    unknown = sorted({r.unit_code for r in rules if r.unit_code not in known | PLACEHOLDERS})
    if unknown:
        raise InvalidInput(f"规则指向不存在的单位：{'、'.join(unknown[:5])}",
                           f"rules name unknown units: {', '.join(unknown[:5])}")


def replace_rules(hl: Hotline, rules: list[RoutingRule], actor: Actor) -> int:
    check_write(actor, "manage_rules")
    _validate(hl, rules)
    with hl.uow.begin(write=True) as tx:
        tx.rules.replace_all(hl.city.key, rules)
        mark_changed(tx, "rules")
        tx.audit.record(hl.clock.now(), actor.name, "rules.replace", "routing_rules", hl.city.key,
                        {"count": len(rules)})
        tx.commit()
    hl.forget("rules")
    return len(rules)


def put_rule(hl: Hotline, rule: RoutingRule, actor: Actor) -> RoutingRule:
    """Add a rule or replace the one with the same id."""
    rules = [r for r in list_rules(hl) if r.id != rule.id] + [rule]
    replace_rules(hl, rules, actor)
    return rule


def delete_rule(hl: Hotline, rule_id: str, actor: Actor) -> None:
    rules = list_rules(hl)
    remaining = [r for r in rules if r.id != rule_id]
    if len(remaining) == len(rules):
        raise NotFound(f"规则不存在：{rule_id}", f"no rule {rule_id}")
    replace_rules(hl, remaining, actor)


IMPACT_ORDERS = 1000  # recent orders a rule change is tried on, by default


def rule_impact(hl: Hotline, rules: list[RoutingRule], actor: Actor, orders: int = IMPACT_ORDERS) -> RuleImpact:
    """规则变更影响评估: the newest `orders` orders routed by the rules in force and by `rules`, with the ranker
    learnt from the dispatch history; where they part, and how often each agrees with the unit that handled
    the order. Nothing is changed."""
    from rexian.services.dispatching import Dispatcher

    check_write(actor, "manage_rules")
    _validate(hl, rules)
    dispatcher = hl.dispatcher or Dispatcher(hl, classifier=None)
    with hl.uow.begin() as tx:
        recent, _ = tx.orders.query(OrderFilter(), limit=orders)
    decisions = dispatcher.compare(rules, recent)
    return RuleImpact.of((o.code, o.dispatched_unit, now, proposed) for o, (now, proposed) in zip(recent, decisions))
