"""Integration fixtures: a hotline on a real database with Guangzhou loaded, users with tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.clock import FixedClock
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import add_user, issue_token
from rexian.services.context import Hotline
from rexian.web.app import create_app

ROOT = Actor("test-admin", Role.ADMIN)
# unit codes from data/cities/guangzhou/units.csv: 天河区人民政府 and two of its street offices
TIANHE = "440106"
SHIPAI = "440106006"
LIEDE = "440106013"
USERS = {
    "admin": (Role.ADMIN, None),
    "agent": (Role.AGENT, None),
    "dispatcher": (Role.DISPATCHER, None),
    "supervisor": (Role.SUPERVISOR, None),
    "tianhe": (Role.UNIT_ADMIN, TIANHE),
    "shipai": (Role.UNIT_STAFF, SHIPAI),
    "liede": (Role.UNIT_STAFF, LIEDE),
}


@pytest.fixture
def hotline(database_url: str, clock: FixedClock) -> Iterator[Hotline]:
    hl = bootstrap(Settings(database_url=database_url), clock=clock, intelligence=False)
    yield hl
    hl.uow.engine.dispose()


@pytest.fixture
def other_process(database_url: str, clock: FixedClock) -> Iterator[Hotline]:
    """A second app process on the same database (another worker or machine), that looks at the other
    processes' changes at every use instead of once a second."""
    hl = bootstrap(Settings(database_url=database_url), clock=clock, intelligence=False)
    hl.refresh_every = 0
    yield hl
    hl.uow.engine.dispose()


@pytest.fixture
def tokens(hotline: Hotline) -> dict[str, str]:
    for name, (role, unit) in USERS.items():
        add_user(hotline, name, role, ROOT, unit)
    return {name: issue_token(hotline, name, ROOT) for name in USERS}


@pytest.fixture
def client(hotline: Hotline) -> Iterator[TestClient]:
    with TestClient(create_app(hotline, public_rate_limit=1000)) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
