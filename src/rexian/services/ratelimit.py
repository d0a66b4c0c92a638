"""Rate limits shared by every app process: hits per client counted in fixed windows in the database."""

from __future__ import annotations

from threading import Lock

from rexian.adapters.db.ratelimit import HitCounters
from rexian.services.context import Hotline


class RateLimit:
    """At most `limit` hits per client in each `window_s`-second window of the hotline's clock, over all
    processes. Each process drops the scope's finished windows once per window, so the table stays small."""

    def __init__(self, hl: Hotline, scope: str, limit: int, window_s: int) -> None:
        self.hl, self.scope, self.limit, self.window = hl, scope, limit, window_s
        self._pruned_before = 0
        self._lock = Lock()

    def wait_s(self, client: str) -> int:
        """Count a hit by `client`; 0 when it is within the limit, else the seconds until the window ends."""
        client, now = client[:64], self.hl.clock.now().timestamp()
        start = int(now // self.window) * self.window
        with self._lock:
            prune, self._pruned_before = start > self._pruned_before, max(start, self._pruned_before)
        with self.hl.uow.begin(write=True) as tx:
            counters = HitCounters(tx.conn)
            if prune:
                counters.prune(self.scope, start)
            hits = counters.hit(self.scope, client, start)
            tx.commit()
        return 0 if hits <= self.limit else max(1, int(start + self.window - now))
