"""The hotline's running context: the adapters bootstrap chose, handed to every use case."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from rexian.adapters.db.repo_office import NotificationRepository
from rexian.adapters.db.uow import SqlUnitOfWork
from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import Clock
from rexian.domain.sla import DeadlinePolicy, TimeLimits
from rexian.domain.units import UnitTree
from rexian.domain.workorder import Action, WorkOrder


@dataclass(frozen=True)
class CityProfile:
    """The city this hotline serves: its name and the prefix of its tracking codes."""

    key: str  # e.g. guangzhou
    name: str  # e.g. 广州市
    code_prefix: str  # e.g. GZ


# What every app process keeps in memory and must drop when any process changes it (Hotline.refresh)
SHARED_CACHES = ("calendar", "units", "rules", "contacts", "knowledge", "tokens")


def mark_changed(tx: Any, *caches: str) -> None:
    """In the transaction of a change: every process holding these caches drops them at its next refresh."""
    for cache in caches:
        tx.settings.set(f"changed.{cache}", uuid.uuid4().hex)  # a new value each time: no lost update


@dataclass
class Hotline:
    uow: SqlUnitOfWork
    clock: Clock
    city: CityProfile
    limits: TimeLimits = field(default_factory=TimeLimits)
    dispatcher: Any | None = None  # intake intelligence (services.dispatching.Dispatcher), when attached
    knowledge: Any | None = None  # the shared knowledge base (services.knowledge.KnowledgeBase), built on first use
    intakes: Any | None = None  # new orders stored by group commit (services.workorders), made on first use
    listeners: list[Callable[[WorkOrder, Action], None]] = field(default_factory=list)
    # written with the change, in its transaction (an outbox): (tx, action, the orders with their new events)
    recorders: list[Callable[[Any, Action, Sequence[WorkOrder]], None]] = field(default_factory=list)
    refresh_every: float = 1.0  # seconds between two looks at the other processes' changes
    _cache: dict[str, Any] = field(default_factory=dict)  # what each shared cache holds in this process
    _marks: dict[str, Any] | None = None
    _marks_read_at: float = float("-inf")
    _lock: Lock = field(default_factory=Lock)

    def refresh(self) -> None:
        """Drop the caches another process's change made stale (the calendar loaded from the CLI, rules edited
        on another worker, ...), bring the knowledge index up to date and learn the dispatches and returns other
        processes stored: the changes mark the caches in the database, read here at most every
        `refresh_every` seconds."""
        now = time.monotonic()
        if now - self._marks_read_at < self.refresh_every:
            return
        self._marks_read_at = now
        try:
            with self.uow.begin() as tx:
                marks = tx.settings.get_many([f"changed.{cache}" for cache in SHARED_CACHES])
        except Exception:  # noqa: BLE001 - the database is away: keep the caches, look again next time
            logging.getLogger(__name__).warning("could not read the shared caches' marks", exc_info=True)
            return
        before, self._marks = self._marks, marks
        stale = set() if before is None else {
            cache for cache in SHARED_CACHES if marks.get(f"changed.{cache}") != before.get(f"changed.{cache}")}
        self.forget(*stale)
        if "knowledge" in stale and self.knowledge is not None:
            self.knowledge.sync()
        if self.dispatcher is not None:
            self.dispatcher.catch_up()  # the dispatches and returns other processes stored meanwhile

    def forget(self, *caches: str) -> None:
        """Drop what this process holds of `caches` (it changed them, or another process did): the next use
        loads them again; the router is rebuilt at once when its rules or units changed."""
        with self._lock:
            for cache in caches:
                self._cache.pop(cache, None)
        if self.dispatcher is not None and {"units", "rules"} & set(caches):
            self.dispatcher.reload_rules()

    def fresh(self) -> bool:
        """Whether this process looked at the other processes' changes within `refresh_every`: what it holds
        may then be used without a look (on the event loop, which must not wait on the database)."""
        return time.monotonic() - self._marks_read_at < self.refresh_every

    def held(self, cache: str) -> Any:
        """What this process holds of `cache` (None: nothing yet), without looking for changes."""
        with self._lock:
            return self._cache.get(cache)

    def _cached(self, cache: str, load: Callable[[Any], Any]) -> Any:
        """The cache's value in this process, loaded from the database (`load(tx)`) when it has none."""
        self.refresh()
        with self._lock:
            if cache not in self._cache:
                with self.uow.begin() as tx:
                    self._cache[cache] = load(tx)
            return self._cache[cache]

    def policy(self) -> DeadlinePolicy:
        """The deadline policy on the working calendar loaded from the database (cached)."""
        return self._cached(  # type: ignore[no-any-return]
            "calendar", lambda tx: DeadlinePolicy(WorkingCalendar.from_days(tx.calendar.days()), self.limits))

    def unit_names(self) -> dict[str, str]:
        """Unit code → name of the active units (cached)."""
        return self._units()[0]  # type: ignore[no-any-return]

    def unit_tree(self) -> UnitTree:
        """Which units sit below which (cached)."""
        return self._units()[1]  # type: ignore[no-any-return]

    def _units(self) -> tuple[dict[str, str], UnitTree]:
        return self._cached(  # type: ignore[no-any-return]
            "units", lambda tx: ({u.code: u.name for u in tx.units.all()}, UnitTree.of(tx.units.parents())))

    def unit_contacts(self) -> dict[str, dict[str, Any]]:
        """Unit code → where its e-mail and SMS notices go (units without one are left out; cached)."""
        return self._cached("contacts", lambda tx: NotificationRepository(tx.conn).contacts())  # type: ignore[no-any-return]

    def token_users(self) -> dict[str, Any]:
        """Token hash → (when looked up, the user or None) for the tokens this process has checked: dropped
        when a token is revoked or a user deactivated, by any process (services.auth)."""
        self.refresh()
        with self._lock:  # filled by services.auth as tokens are looked up: nothing to load
            return self._cache.setdefault("tokens", {})  # type: ignore[no-any-return]

    def analyse(self, order: WorkOrder) -> Any:
        self.refresh()
        return self.dispatcher.analyse(order) if self.dispatcher else None

    def route(self, order: WorkOrder) -> Any:
        self.refresh()
        return self.dispatcher.route(order) if self.dispatcher else None

    def record_with(self, tx: Any, action: Action, orders: Sequence[WorkOrder]) -> None:
        """What must be stored with a change itself (notices to the unit) runs in its transaction, before the
        orders are saved: it commits or rolls back with the change. One call for all the orders the change made."""
        if orders:
            for recorder in self.recorders:
                recorder(tx, action, orders)

    def after_commit(self, order: WorkOrder, action: Action) -> None:
        """Side effects (notifications) run after the commit and never undo it."""
        for listener in self.listeners:
            try:
                listener(order, action)
            except Exception:  # noqa: BLE001 - a failing notifier must not fail the use case
                logging.getLogger(__name__).exception("after-commit listener failed")
