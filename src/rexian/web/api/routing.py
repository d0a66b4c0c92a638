"""Routing rules (editable data) and dispatch previews."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import Field

from rexian.domain.routing import ANY, RoutingRule, rules_to_csv
from rexian.services import routing_rules as svc
from rexian.web.api.schemas import Strict
from rexian.web.deps import CurrentActor, HotlineDep

router = APIRouter(prefix="/api/v1/routing-rules", tags=["routing"])


class RuleIn(Strict):
    priority: int = Field(ge=-1000, le=10000)
    unit_code: str = Field(min_length=1, max_length=64, description="a unit code or {district} / {street}")
    category: str = Field(ANY, max_length=200, description="taxonomy path prefix, or * for any")
    district: str = Field(ANY, max_length=64)
    street: str = Field(ANY, max_length=64)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=500)


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
