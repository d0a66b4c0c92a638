"""The application factory: JSON API, OpenAPI docs at /docs, server-rendered pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from rexian import __version__
from rexian.bootstrap import bootstrap
from rexian.config import get_settings, secret_key
from rexian.domain.workorder import Actor
from rexian.services.context import Hotline
from rexian.web.api import analytics as analytics_api
from rexian.web.api import calls as calls_api
from rexian.web.api import cti as cti_api
from rexian.web.api import knowledge as kb_api
from rexian.web.api import open311, routing, units, work_orders
from rexian.web.api import portal as portal_api
from rexian.web.deps import RateLimiter
from rexian.web.errors import install_error_handlers
from rexian.web.observability import database_ok, install_observability
from rexian.web.pages import agent_desk, common, desk, home
from rexian.web.pages import analytics as analytics_pages
from rexian.web.pages import kb as kb_pages
from rexian.web.pages import wallboard as wallboard_pages


def create_app(hotline: Hotline | None = None, public_rate_limit: int = 60) -> FastAPI:
    """Build the app on `hotline` (or the configured one). `public_rate_limit`: citizen requests a minute."""
    app = FastAPI(title="Rexian 12345 API", version=__version__,
                  description="Rexian (热线): the open 12345 government-service hotline platform.")
    app.state.hotline = hotline or bootstrap()
    app.state.public_limiter = RateLimiter(app.state.hotline, "public", public_rate_limit, 60)
    app.state.login_limiter = RateLimiter(app.state.hotline, "login", 10, 60)
    install_error_handlers(app)
    install_observability(app)  # request ids, JSON access log, /metrics, 413 on oversized bodies

    app.add_middleware(SessionActor, hotline=app.state.hotline)
    app.add_middleware(SessionMiddleware, secret_key=secret_key(get_settings()), same_site="lax",
                       session_cookie="rexian_session", max_age=12 * 3600)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # A request is matched against the routers in this order, route by route (~15 µs a router): the busiest
    # APIs first. The API paths (/api/, /open311/) and the pages' paths never overlap.
    for api in (work_orders, portal_api, kb_api, calls_api, open311, units, routing, analytics_api, cti_api):
        app.include_router(api.router)
    for pages in (common, home, kb_pages, desk, agent_desk, analytics_pages, wallboard_pages):
        app.include_router(pages.router)

    @app.get("/health", tags=["operations"], responses={503: {"description": "the database is unreachable"}})
    def health(request: Request) -> dict[str, str]:
        if not database_ok(request):
            raise HTTPException(503, "数据库不可用 / the database is unreachable")
        return {"status": "ok"}

    return app


class SessionActor:
    """A logged-in person's session becomes the request's actor (tokens are checked per route). A plain ASGI
    middleware: requests without a session pass straight through, with no task or thread of their own."""

    def __init__(self, app: ASGIApp, hotline: Hotline) -> None:
        self.app, self.hotline = app, hotline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope.get("session", {}).get("user") if scope["type"] == "http" else None
        if name:
            scope.setdefault("state", {})["actor"] = await run_in_threadpool(_actor_named, self.hotline, name)
        await self.app(scope, receive, send)


def _actor_named(hl: Hotline, name: str) -> Actor | None:
    with hl.uow.begin() as tx:
        user = tx.users.by_name(name)
    return Actor(user.name, user.role, user.unit_code) if user and user.active else None
