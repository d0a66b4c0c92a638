"""What every server-rendered page shares: templates, language, elderly mode, log-in, CSRF."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from rexian.domain.access import may
from rexian.domain.workorder import Actor
from rexian.services.auth import actor_for_password
from rexian.web.i18n import LANGUAGES, pick_language, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
router = APIRouter(include_in_schema=False)


def language(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.cookies.get("lang"),
                         request.headers.get("accept-language"))


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, detail={"error": "csrf", "message": translate("error.csrf", "zh"),
                                         "message_en": translate("error.csrf", "en")})


def session_actor(request: Request) -> Actor | None:
    return getattr(request.state, "actor", None)


def require_staff(request: Request) -> Actor:
    """Pages for staff: redirect to the log-in page when nobody is logged in."""
    actor = session_actor(request)
    if actor is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return actor


StaffActor = Annotated[Actor, Depends(require_staff)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    response = TEMPLATES.TemplateResponse(request, template, {
        "lang": lang, "t": lambda key, **v: translate(key, lang, **v), "languages": LANGUAGES,
        "elderly": request.cookies.get("elderly") == "1", "actor": session_actor(request),
        "csrf_token": csrf_token(request), "may": lambda what: may(session_actor(request), what), **context,
    }, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/")


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, name: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=200)], csrf: Annotated[str, Form(max_length=100)],
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    check_csrf(request, csrf)
    request.app.state.login_limiter.check(request.client.host if request.client else "unknown")
    actor = actor_for_password(request.app.state.hotline, name, password)
    if actor is None:
        return render(request, "login.html", status_code=401, next=next, failed=True)
    request.session["user"] = actor.name
    request.session["csrf"] = secrets.token_urlsafe(24)  # a fresh token after log-in
    return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/prefs")
def preferences(request: Request, elderly: str | None = None, lang: str | None = None,
                back: str = "/") -> Response:
    """Switch elderly mode or the language; remembered in a cookie for a year."""
    response = RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", 303)
    if elderly in ("0", "1"):
        response.set_cookie("elderly", elderly, max_age=365 * 86400, samesite="lax")
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
