"""Cluster-wide locks for periodic work, so several app processes on one PostgreSQL behave as one."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine


@contextmanager
def exclusive(engine: Engine, job: str) -> Iterator[bool]:
    """Yield whether this process may run `job` now. On PostgreSQL a session advisory lock is held for
    the block, and a process that finds it taken gets False at once instead of waiting. SQLite serves
    one host whose writers are serialised already, so there it is always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(job.encode())
    with engine.connect() as conn:
        got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                conn.commit()
