"""Shared fixtures: a fresh database on SQLite and on a real PostgreSQL (pgserver), a fixed clock."""

from __future__ import annotations

import os
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend."""
    from rexian.adapters.db.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rexian.db'}"
    else:
        server_url = request.getfixturevalue("postgres_server_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2026-09-28 10:00 in Guangzhou: the week before the National Day holiday."""
    return FixedClock(datetime(2026, 9, 28, 10, 0, tzinfo=LOCAL_TZ))
