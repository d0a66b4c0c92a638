"""The composition root: the one place that picks concrete adapters and wires the hotline."""

from __future__ import annotations

from sqlalchemy import Engine

from rexian.adapters.db.engine import make_engine
from rexian.adapters.db.uow import SqlUnitOfWork
from rexian.config import Settings, get_settings
from rexian.domain.clock import Clock, SystemClock
from rexian.services.analytics import attach_analytics
from rexian.services.context import CityProfile, Hotline
from rexian.services.notifications import attach_notifications

DEFAULT_CITY = CityProfile(key="guangzhou", name="广州市", code_prefix="GZ")


def bootstrap(settings: Settings | None = None, clock: Clock | None = None, engine: Engine | None = None,
              intelligence: bool = True) -> Hotline:
    """Build a Hotline on the configured database; with `intelligence`, classify, locate and route
    every intake when a trained model and the city's rules are there."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    uow = SqlUnitOfWork(engine)
    hl = Hotline(uow=uow, clock=clock or SystemClock(), city=_active_city(uow))
    attach_analytics(hl)  # reply scores, duplicate index, kept current after each change
    attach_notifications(hl)
    if intelligence:
        from rexian.services.dispatching import attach_intelligence

        attach_intelligence(hl)
    return hl


def _active_city(uow: SqlUnitOfWork) -> CityProfile:
    try:
        with uow.begin() as tx:
            stored = tx.settings.get("city")
    except Exception:  # noqa: BLE001 - a database not yet migrated has no settings table
        stored = None
    return CityProfile(**stored) if stored else DEFAULT_CITY
