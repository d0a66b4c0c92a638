"""Unit of work: one transaction, the repositories that share it, commit or roll back as a whole."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Connection, Engine

from rexian.adapters.db.repositories import (
    AuditRepository,
    CalendarRepository,
    RuleRepository,
    SettingsRepository,
    UnitRepository,
    UserRepository,
    WorkOrderRepository,
)


class SqlUnitOfWork:
    """`with uow.begin(write=True) as tx:` ... `tx.commit()`; leaving without commit rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time; queueing writers of this process on a lock is fair and
        # fast, where SQLite's busy handler makes them sleep with growing back-off.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def begin(self, write: bool = False) -> Transaction:
        return Transaction(self.engine, write, self._write_lock if write else None)


class Transaction:
    conn: Connection

    def __init__(self, engine: Engine, write: bool, lock: threading.Lock | None = None) -> None:
        self._engine, self._write, self._lock = engine, write, lock

    def __enter__(self) -> Transaction:
        if self._lock is not None:
            self._lock.acquire()
        self.conn = self._engine.connect()
        if self._write:
            self.conn.execution_options(write=True)
        self._tx = self.conn.begin()
        self.orders = WorkOrderRepository(self.conn)
        self.units = UnitRepository(self.conn)
        self.users = UserRepository(self.conn)
        self.calendar = CalendarRepository(self.conn)
        self.rules = RuleRepository(self.conn)
        self.audit = AuditRepository(self.conn)
        self.settings = SettingsRepository(self.conn)
        return self

    def commit(self) -> None:
        self._tx.commit()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
            self.conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()
