"""Group commit: what many threads hand in at about the same time is stored in one transaction.

The first caller to arrive while nobody is storing becomes the leader: it takes everything handed in so far
(its own item first, up to `max_batch`), stores it in one go and hands each caller its outcome. Callers that
arrive meanwhile wait; when the leader is done, the first of them leads the next batch. Nobody waits for a
timer: a lone caller stores at once, and batches grow only while a store is already under way, which is
exactly when the database is the bottleneck. Each caller gets its outcome only after its batch committed
(or the exception that ended it), so an acknowledgement still means "stored".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "ready", "leads", "result", "error")

    def __init__(self, item: T) -> None:
        self.item, self.ready, self.leads = item, threading.Event(), False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """`submit(item)` returns `store(batch)`'s outcome for `item`. `store` gets a list of items and returns, in
    the same order, a result or an exception for each; if it raises, every item of the batch gets that."""

    def __init__(self, store: Callable[[list[T]], Sequence[R | BaseException]], max_batch: int = 64) -> None:
        self._store, self._max = store, max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Slot[T, R]] = []
        self._busy = False

    @property
    def waiting(self) -> int:
        """How many callers wait for a batch to take them (a queue size worth watching)."""
        with self._lock:
            return len(self._waiting)

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            slot.leads = not self._busy
            self._busy = True
        if not slot.leads:
            slot.ready.wait()  # for its outcome, or to lead the next batch
        if slot.leads:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[:self._max], self._waiting[self._max:]
        try:
            outcomes: Sequence[R | BaseException] = list(self._store([slot.item for slot in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
        except BaseException as error:  # noqa: BLE001 - handed to every caller of the batch
            outcomes = [error] * len(batch)
        for slot, outcome in zip(batch, outcomes):
            if isinstance(outcome, BaseException):
                slot.error = outcome
            else:
                slot.result = outcome
        with self._lock:
            if self._waiting:
                self._waiting[0].leads = True  # the next batch is led by the first caller waiting
                self._waiting[0].ready.set()
            else:
                self._busy = False
        for slot in batch:
            slot.ready.set()
