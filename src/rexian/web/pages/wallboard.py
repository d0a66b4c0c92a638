"""The wallboard (/wallboard): live call-centre numbers on a large screen, refreshed every 2 s."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rexian.domain.access import check_write
from rexian.web.pages.common import StaffActor, render

router = APIRouter(include_in_schema=False)


@router.get("/wallboard", response_class=HTMLResponse)
def wallboard_page(request: Request, actor: StaffActor) -> HTMLResponse:
    check_write(actor, "read_wallboard")
    return render(request, "wallboard/wallboard.html")
