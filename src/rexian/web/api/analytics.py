"""Analytics endpoints for the office: duplicates, surges, low-quality replies, dashboard, reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from rexian.services import analytics
from rexian.web.api.work_orders import ERRORS
from rexian.web.deps import CurrentActor, HotlineDep

router = APIRouter(prefix="/api/v1", tags=["analytics"])


@router.get("/work-orders/{order_id}/duplicates", responses=ERRORS)
def work_order_duplicates(order_id: int, hl: HotlineDep, actor: CurrentActor,
                          k: Annotated[int, Query(ge=1, le=20)] = 5) -> list[dict[str, Any]]:
    """Earlier open orders about the same problem at the same place (并单 suggestions), with reasons."""
    return analytics.duplicate_candidates(hl, order_id, actor, k)


@router.get("/analytics/surges", responses=ERRORS)
def surges(hl: HotlineDep, actor: CurrentActor) -> list[dict[str, Any]]:
    """Open surge alerts (突发/集中诉求), strongest first, each with its evidence (order codes)."""
    return analytics.open_surges(hl, actor)


@router.get("/analytics/low-quality-replies", responses=ERRORS)
def low_quality_replies(hl: HotlineDep, actor: CurrentActor,
                        below: Annotated[float, Query(ge=0, le=100)] = analytics.LOW_QUALITY,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Replies waiting for their callback that scored below `below`, lowest first, with reasons."""
    return analytics.low_quality_replies(hl, actor, below, limit)


@router.get("/analytics/dashboard", responses=ERRORS)
def dashboard(hl: HotlineDep, actor: CurrentActor,
              days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    """Volume by day and channel, category mix, districts, on-time and satisfaction rates, unit
    performance, the latest hotspots and the open surges over the last `days` days."""
    return analytics.dashboard(hl, actor, days)


@router.get("/analytics/report", responses=ERRORS)
def report(hl: HotlineDep, actor: CurrentActor,
           period: Literal["day", "week", "month"] = "week") -> dict[str, Any]:
    """The period report for the government (what `rexian report summary` writes)."""
    return analytics.period_report(hl, actor, period)
