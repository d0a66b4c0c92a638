"""Fixed-window hit counters in the database, so a rate limit holds across app processes and restarts."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from rexian.adapters.db.tables_limits import rate_limit_hits

_PRUNE = delete(rate_limit_hits).where(rate_limit_hits.c.scope == bindparam("scope"),
                                       rate_limit_hits.c.window_start < bindparam("window_start"))


@cache
def _count_hit(dialect_name: str) -> Any:
    stmt = (postgresql if dialect_name == "postgresql" else sqlite).insert(rate_limit_hits).values(hits=1)
    return stmt.on_conflict_do_update(index_elements=["scope", "window_start", "client"],
                                      set_={"hits": rate_limit_hits.c.hits + 1}).returning(rate_limit_hits.c.hits)


class HitCounters:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def hit(self, scope: str, client: str, window_start: int) -> int:
        """Count one hit by `client` in the window starting at `window_start` (one atomic upsert); return
        the window's total so far. On PostgreSQL the commit does not wait for the WAL flush: a crash may
        forget the last hits, which costs a limit nothing and saves a disk flush per citizen request."""
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        return self.conn.execute(_count_hit(self.conn.dialect.name),
                                 {"scope": scope, "window_start": window_start, "client": client}).scalar_one()

    def prune(self, scope: str, before: int) -> None:
        """Drop the scope's windows that started before `before`."""
        self.conn.execute(_PRUNE, {"scope": scope, "window_start": before})
