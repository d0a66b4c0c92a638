"""Routing rules (editable data) and dispatch previews."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from rexian.domain.routing import ANY, RoutingRule, rules_to_csv
from rexian.services import routing_rules as svc
from rexian.web.api.schemas import Strict
from rexian.web.api.work_orders import ERRORS
from rexian.web.deps import CurrentActor, HotlineDep

router = APIRouter(prefix="/api/v1/routing-rules", tags=["routing"])


class RuleIn(Strict):
    priority: int = Field(ge=svc.PRIORITIES[0], le=svc.PRIORITIES[-1])
    unit_code: str = Field(min_length=1, max_length=64, description="a unit code or {district} / {street}")
    category: str = Field(ANY, max_length=200, description="taxonomy path prefix, or * for any")
    district: str = Field(ANY, max_length=64)
    street: str = Field(ANY, max_length=64)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=500)


class ProposedRule(RuleIn):
    id: str = Field(min_length=1, max_length=32)


class ImpactIn(Strict):
    rules: list[ProposedRule] = Field(max_length=5000, description="the whole proposed rule set")
    orders: int = Field(svc.IMPACT_ORDERS, ge=1, le=10000, description="how many of the newest orders to try them on")


class Pair(BaseModel):
    now: int
    proposed: int


class UnitRef(BaseModel):
    code: str
    name: str | None


class Move(BaseModel):
    from_unit: UnitRef = Field(description="code review: the review queue")
    to_unit: UnitRef
    orders: int
    examples: list[str] = Field(description="tracking codes of some of those orders")


class ImpactOut(BaseModel):
    orders: int
    changed: int = Field(description="orders the proposed rules would send elsewhere")
    review: Pair
    backstop: Pair
    handled: int = Field(description="orders with a unit that handled them (after any return or reassignment)")
    agree: Pair = Field(description="of those, how many each rule set would send to that unit")
    moves: list[Move]


@router.post("/impact", response_model=ImpactOut, responses=ERRORS)
def rule_impact(body: ImpactIn, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """规则变更影响评估: what the proposed rules would do to the newest orders, before they replace the rules in
    force. Nothing is changed."""
    rules = [RoutingRule(keywords=tuple(r.keywords), **r.model_dump(exclude={"keywords"})) for r in body.rules]
    impact = svc.rule_impact(hl, rules, actor, body.orders)
    names = hl.unit_names()

    def ref(code: str) -> dict[str, Any]:
        return {"code": code, "name": names.get(code)}

    return {"orders": impact.orders, "changed": impact.changed,
            "review": dict(zip(("now", "proposed"), impact.review)),
            "backstop": dict(zip(("now", "proposed"), impact.backstop)), "handled": impact.handled,
            "agree": dict(zip(("now", "proposed"), impact.agree)),
            "moves": [{"from_unit": ref(a), "to_unit": ref(b), "orders": n, "examples": list(codes)}
                      for a, b, n, codes in impact.moves]}


@router.get("")
def list_rules(hl: HotlineDep, actor: CurrentActor) -> list[dict[str, Any]]:
    """The active city's rules, highest priority first."""
    return [asdict(r) for r in svc.list_rules(hl)]


@router.get("/export.csv", response_class=Response)
def export_rules(hl: HotlineDep, actor: CurrentActor) -> Response:
    return Response(rules_to_csv(svc.list_rules(hl)), media_type="text/csv; charset=utf-8")


@router.put("/{rule_id}")
def put_rule(rule_id: Annotated[str, Path(min_length=1, max_length=32)], body: RuleIn, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    rule = RoutingRule(id=rule_id, keywords=tuple(body.keywords), **body.model_dump(exclude={"keywords"}))
    return asdict(svc.put_rule(hl, rule, actor))


@router.delete("/{rule_id}", status_code=204)
def delete_rule(rule_id: Annotated[str, Path(min_length=1, max_length=32)], hl: HotlineDep, actor: CurrentActor) -> Response:
    svc.delete_rule(hl, rule_id, actor)
    return Response(status_code=204)
