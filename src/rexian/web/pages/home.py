"""The citizen portal at /: ask the knowledge base, file an appeal, track and rate it, ask for a call back.

Server-rendered forms that work without JavaScript. A filed or found order is shown at a signed link
(/track/<token>), which is the citizen's proof of ownership from then on; otherwise code + phone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rexian.domain.errors import DomainError
from rexian.domain.vocabulary import AppealType
from rexian.services import knowledge as kb
from rexian.services import portal
from rexian.web.deps import CITIZEN
from rexian.web.errors import STATUS_OF
from rexian.web.pages.common import check_csrf, language, render

router = APIRouter(include_in_schema=False)
FILE_TYPES = [AppealType.HELP, AppealType.COMPLAINT, AppealType.CONSULTATION, AppealType.SUGGESTION,
              AppealType.REPORT]


def error_message(request: Request, error: DomainError) -> str:
    return error.message_en if language(request) == "en" else error.message_zh


def error_status(error: DomainError) -> int:
    return next((s for cls, s in STATUS_OF.items() if isinstance(error, cls)), 400)


def limit_public(request: Request) -> None:
    request.app.state.public_limiter.check(request.client.host if request.client else "unknown")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/ask", response_class=HTMLResponse)
def ask(request: Request, q: str = "") -> HTMLResponse:
    q = q.strip()[:500]
    if q:
        limit_public(request)
    results = kb.knowledge_base(request.app.state.hotline).search(q, 8) if q else []
    return render(request, "portal_ask.html", q=q, results=results)


def _file_page(request: Request, status_code: int = 200, similar: list[dict[str, object]] | None = None,
               error: str | None = None, **form: object) -> HTMLResponse:
    return render(request, "portal_file.html", status_code=status_code, types=FILE_TYPES,
                  places=portal.places(request.app.state.hotline), form=form, similar=similar, error=error)


@router.get("/file", response_class=HTMLResponse)
def file_form(request: Request, content: str = "") -> HTMLResponse:
    return _file_page(request, content=content[:2000], appeal_type="help")


@router.post("/file", response_class=HTMLResponse)
def file(request: Request, csrf: Annotated[str, Form(max_length=100)],
         content: Annotated[str, Form(max_length=5000)], phone: Annotated[str, Form(max_length=40)],
         appeal_type: Annotated[AppealType, Form()] = AppealType.HELP,
         title: Annotated[str, Form(max_length=200)] = "", address: Annotated[str, Form(max_length=300)] = "",
         place: Annotated[str, Form(max_length=64)] = "", name: Annotated[str, Form(max_length=100)] = "",
         anonymous: Annotated[bool, Form()] = False, confidential: Annotated[bool, Form()] = False,
         same_as: Annotated[str, Form(max_length=40)] = "", checked: Annotated[bool, Form()] = False) -> Response:
    """File an appeal; first show similar open orders nearby (once), so the citizen may join one."""
    check_csrf(request, csrf)
    limit_public(request)
    hl = request.app.state.hotline
    form = {"content": content, "phone": phone, "appeal_type": appeal_type.value, "title": title,
            "address": address, "place": place, "name": name, "anonymous": anonymous, "confidential": confidential}
    try:
        where = portal.place(hl, place or None)
        if not checked and content.strip():
            similar = portal.similar_open_orders(hl, f"{title} {content}", where.district if where else None,
                                                 where.street if where else None)
            if similar:
                return _file_page(request, similar=similar, **form)
        order = portal.file_from_portal(hl, CITIZEN, appeal_type=appeal_type, title=title, content=content,
                                        address=address, place_code=place or None, name=name, phone=phone,
                                        anonymous=anonymous, confidential=confidential, same_as=same_as or None)
    except DomainError as e:
        return _file_page(request, error_status(e), error=error_message(request, e), **form)
    return RedirectResponse(f"{portal.track_path(order.code)}?filed=1", status_code=303)


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return render(request, "portal_track.html", order=None)


@router.post("/track", response_class=HTMLResponse)
def track_find(request: Request, csrf: Annotated[str, Form(max_length=100)],
               code: Annotated[str, Form(max_length=40)], phone: Annotated[str, Form(max_length=40)]) -> Response:
    check_csrf(request, csrf)
    limit_public(request)
    try:
        order = portal.find_own_order(request.app.state.hotline, code, phone)
    except DomainError as e:
        return render(request, "portal_track.html", status_code=error_status(e), order=None, code=code,
                      error=error_message(request, e))
    return RedirectResponse(portal.track_path(order.code), status_code=303)


def _order_page(request: Request, token: str, status_code: int = 200, **extra: object) -> HTMLResponse:
    hl = request.app.state.hotline
    order = portal.order_by_code(hl, portal.code_of_track(token))
    return render(request, "portal_track.html", status_code=status_code, order=portal.public_view(hl, order),
                  token=token, **extra)


@router.get("/track/{token}", response_class=HTMLResponse)
def track(request: Request, token: str, filed: bool = False, rated: bool = False) -> HTMLResponse:
    try:
        return _order_page(request, token, filed=filed, rated=rated)
    except DomainError as e:
        return render(request, "portal_track.html", status_code=404, order=None, error=error_message(request, e))


@router.post("/track/{token}/rate", response_class=HTMLResponse)
def rate(request: Request, token: str, csrf: Annotated[str, Form(max_length=100)],
         satisfied: Annotated[bool, Form()], reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_csrf(request, csrf)
    limit_public(request)
    hl = request.app.state.hotline
    try:
        order = portal.order_by_code(hl, portal.code_of_track(token))
        portal.rate(hl, order, satisfied, reason, CITIZEN)
    except DomainError as e:
        try:
            return _order_page(request, token, error_status(e), error=error_message(request, e))
        except DomainError:
            return render(request, "portal_track.html", status_code=404, order=None, error=error_message(request, e))
    return RedirectResponse(f"/track/{token}?rated=1", status_code=303)


@router.post("/call-me", response_class=HTMLResponse)
def call_me(request: Request, csrf: Annotated[str, Form(max_length=100)],
            phone: Annotated[str, Form(max_length=40)], name: Annotated[str, Form(max_length=100)] = "") -> Response:
    """"Call me back": files a consultation asking the hotline to ring the citizen."""
    check_csrf(request, csrf)
    limit_public(request)
    try:
        order = portal.request_callback(request.app.state.hotline, CITIZEN, phone, name)
    except DomainError as e:
        return render(request, "home.html", status_code=error_status(e), callback_error=error_message(request, e))
    return RedirectResponse(f"{portal.track_path(order.code)}?filed=1", status_code=303)
