"""Request dependencies: the hotline, the acting user, rate limits. Permission rules live in the domain."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from threading import Lock
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import actor_for_token
from rexian.services.context import Hotline

_bearer = HTTPBearer(auto_error=False)
CITIZEN = Actor("citizen", Role.CITIZEN)


def get_hotline(request: Request) -> Hotline:
    return request.app.state.hotline


HotlineDep = Annotated[Hotline, Depends(get_hotline)]


def optional_actor(hl: HotlineDep, request: Request,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor | None:
    if credentials is not None:
        actor = actor_for_token(hl, credentials.credentials)
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


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


class RateLimiter:
    """A sliding-window limit per client address for the open (citizen) endpoints."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window = limit, window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise HTTPException(429, headers={"Retry-After": str(int(self.window))})
            hits.append(now)


def citizen_rate_limit(request: Request) -> None:
    """Applied only when the caller is not an authenticated user."""
    if request.headers.get("authorization"):
        return
    request.app.state.public_limiter.check(request.client.host if request.client else "unknown")
