"""Request dependencies: the hotline, the acting user, rate limits. Permission rules live in the domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import actor_for_token, cached_actor_for_token
from rexian.services.context import Hotline
from rexian.services.ratelimit import RateLimit

_bearer = HTTPBearer(auto_error=False)
CITIZEN = Actor("citizen", Role.CITIZEN)


# The dependencies are async so that FastAPI calls them on the event loop: a plain `def` costs each request a
# trip to the thread pool. Only what touches the database goes there.

async def get_hotline(request: Request) -> Hotline:
    return request.app.state.hotline


HotlineDep = Annotated[Hotline, Depends(get_hotline)]


async def optional_actor(hl: HotlineDep, request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                         ) -> Actor | None:
    if credentials is not None:
        known, actor = cached_actor_for_token(hl, credentials.credentials)
        if not known:
            actor = await run_in_threadpool(actor_for_token, hl, credentials.credentials)
        if actor is None:
            raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
        return actor
    session_actor: Actor | None = getattr(request.state, "actor", None)
    if session_actor is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        # a browser session writing through the API must prove the page is ours (CSRF)
        expected = request.session.get("csrf")
        if not expected or request.headers.get("x-csrf-token") != expected:
            raise HTTPException(403, detail={"error": "csrf", "message": "页面已过期，请刷新后重试",
                                             "message_en": "missing or stale CSRF token: reload the page"})
    return session_actor


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


class RateLimiter:
    """A limit per client address (citizens' open endpoints, log-in), shared by every app process."""

    def __init__(self, hl: Hotline, scope: str, limit: int, window_s: int) -> None:
        self.limit = RateLimit(hl, scope, limit, window_s)

    def check(self, key: str) -> None:
        wait = self.limit.wait_s(key)
        if wait:
            raise HTTPException(429, headers={"Retry-After": str(wait)})


async def citizen_rate_limit(request: Request) -> None:
    """Applied only when the caller is not an authenticated user."""
    if request.headers.get("authorization"):
        return
    await run_in_threadpool(request.app.state.public_limiter.check,
                            request.client.host if request.client else "unknown")
