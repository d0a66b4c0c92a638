"""Nothing lost: SIGKILL the server in the middle of intake; every acknowledged order is there once."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "crash_test.py"


def crash_test():  # noqa: ANN201 - the bench script, loaded as a module
    spec = importlib.util.spec_from_file_location("crash_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def check(result: dict[str, int]) -> None:
    assert result["acknowledged"] > 20, result
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["torn"] == 0, result
    assert result["unacknowledged_after_retry"] == 0, result


def test_a_killed_server_on_sqlite_loses_and_doubles_nothing():
    check(crash_test().run(seconds=6, kills=2, threads=4))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_killed_server_on_postgresql_loses_and_doubles_nothing(backend, postgres_server_url):
    name = f"crash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    check(crash_test().run(seconds=6, kills=2, threads=4, database_url=url))
