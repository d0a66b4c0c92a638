"""Nothing lost: SIGKILL the app server, and on PostgreSQL the database server, in the middle of intake;
every acknowledged order is there once and no transition is half done."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "crash_test.py"


def crash_test():  # noqa: ANN201 - the bench script, loaded as a module
    spec = importlib.util.spec_from_file_location("crash_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def check(result: dict[str, int]) -> None:
    assert result["acknowledged"] > 20, result
    assert result["failed_attempts"] > 0, result  # the kills did interrupt requests in flight
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["torn"] == 0, result
    assert result["unacknowledged_after_retry"] == 0, result


def test_a_killed_server_on_sqlite_loses_and_doubles_nothing():
    check(crash_test().run(seconds=6, kills=2, threads=4))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_killed_app_and_database_servers_on_postgresql_lose_and_double_nothing(backend):
    script = crash_test()
    database = script.ThrowawayPostgres()  # our own server: the shared one must not be killed
    try:
        check(script.run(seconds=8, kills=1, threads=4, database=database, database_kills=2))
    finally:
        database.close()
