"""Shared fixtures: a fresh database on SQLite and on a real PostgreSQL (pgserver), a fixed clock."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from rexian.domain.clock import LOCAL_TZ, FixedClock

BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    """A TCP port nobody listens on right now, for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

# Tests never pick up a model trained on the developer's machine: a fresh clone has none, so every
# run sees the same thing. Tests that need a classifier train a small one themselves.
os.environ["REXIAN_MODEL_DIR"] = tempfile.mkdtemp(prefix="rexian-models-")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """REXIAN_TEST_POSTGRES_URL when given, else a throwaway server from the pgserver wheel."""
    given = os.environ.get("REXIAN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="rexian-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


def _prepare(url: str) -> None:
    """Migrate and load the demo city (Guangzhou) once; tests copy the result."""
    from rexian.adapters.db.migrate import upgrade
    from rexian.bootstrap import bootstrap
    from rexian.config import Settings
    from rexian.domain.vocabulary import Role
    from rexian.domain.workorder import Actor
    from rexian.services.cities import load_city_into

    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    load_city_into(hl, "guangzhou", Actor("test-setup", Role.ADMIN))
    hl.uow.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> str:
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE "rexian_template"')
    admin.dispose()
    _prepare(make_url(postgres_server_url).set(database="rexian_template").render_as_string(hide_password=False))
    return "rexian_template"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database with the demo city's units and rules, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "rexian.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2026-09-28 10:00 in Guangzhou: the week before the National Day holiday."""
    return FixedClock(datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL_TZ))
