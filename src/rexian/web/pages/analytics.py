"""Dashboard (/dashboard, wall mode with ?wall=1) and the period report page (/reports)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rexian.domain.access import check_write
from rexian.services.analytics import period_report
from rexian.web.pages.common import StaffActor, render

router = APIRouter(include_in_schema=False)

# Guangzhou's 11 districts on a tile grid, laid out roughly as on the map (column, row).
DISTRICT_TILES = (
    ("从化区", 3, 0),
    ("花都区", 1, 1), ("白云区", 2, 1), ("增城区", 4, 1),
    ("荔湾区", 1, 2), ("越秀区", 2, 2), ("天河区", 3, 2), ("黄埔区", 4, 2),
    ("海珠区", 2, 3),
    ("番禺区", 2, 4),
    ("南沙区", 3, 5),
)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, actor: StaffActor, wall: int = 0, days: int = 30) -> HTMLResponse:
    check_write(actor, "read_analytics")
    return render(request, "analytics/dashboard.html", wall=bool(wall), days=max(1, min(days, 366)),
                  tiles=DISTRICT_TILES)


@router.get("/reports", response_class=HTMLResponse)
def report_page(request: Request, actor: StaffActor,
                period: Literal["day", "week", "month"] = "week") -> HTMLResponse:
    hl = request.app.state.hotline
    report = period_report(hl, actor, period)
    return render(request, "analytics/report.html", report=report, period=period, tiles=DISTRICT_TILES,
                  counts={d["name"]: d["count"] for d in report["districts"]})
