"""The agent desk page (/desk): live transcript on the left, the auto-filled work order on the right."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rexian.domain.access import check_write
from rexian.services.calls import demo_calls
from rexian.web.pages.common import StaffActor, render

router = APIRouter(include_in_schema=False)


@router.get("/desk", response_class=HTMLResponse)
def agent_desk(request: Request, actor: StaffActor) -> HTMLResponse:
    check_write(actor, "take_calls")
    return render(request, "agent_desk.html", demo_calls=demo_calls())
