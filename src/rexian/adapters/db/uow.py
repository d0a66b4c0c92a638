"""Unit of work: one transaction, the repositories that share it, commit or roll back as a whole."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

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
        sqlite = engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock() if sqlite else None
        self._apart = not sqlite  # PostgreSQL: codes in a statement of their own, reads without BEGIN/ROLLBACK

    def begin(self, write: bool = False, streams: bool = False) -> Transaction:
        """`streams`: a read whose rows come through a server-side cursor, which PostgreSQL keeps only inside
        a transaction (other reads there run without one)."""
        return Transaction(self.engine, write, self._write_lock if write else None, self._apart, streams)


class Transaction:
    conn: Connection

    def __init__(self, engine: Engine, write: bool, lock: threading.Lock | None = None,
                 apart: bool = False, streams: bool = False) -> None:
        self._engine, self._write, self._lock, self._apart, self._streams = engine, write, lock, apart, streams
        self._reading: Any = None

    def __enter__(self) -> Transaction:
        if self._lock is not None:
            self._lock.acquire()
        self.conn = self._engine.connect()
        if self._write:
            self.conn.execution_options(write=True)
        elif self._apart and not self._streams:
            # A read needs no transaction of its own on PostgreSQL: at READ COMMITTED each statement sees its own
            # snapshot either way, and the driver's autocommit spares the BEGIN and ROLLBACK round trips.
            self._reading = self.conn.connection.dbapi_connection
            self._reading.autocommit = True
        self.orders = WorkOrderRepository(self.conn)
        self.units = UnitRepository(self.conn)
        self.users = UserRepository(self.conn)
        self.calendar = CalendarRepository(self.conn)
        self.rules = RuleRepository(self.conn)
        self.audit = AuditRepository(self.conn)
        self.settings = SettingsRepository(self.conn)
        return self

    def next_codes(self, prefix: str, n: int = 1) -> list[str]:
        """The next `n` tracking codes for `prefix` (the city and the day). Where writers run side by side
        (PostgreSQL) and nothing has run in this transaction yet, they are taken in a statement of their own, so
        intakes do not queue on the day's counter row until each one commits; a filing that then fails leaves a
        gap in the day's numbers, as a sequence would. Otherwise (SQLite, one writer at a time; a bulk import
        taking codes chunk by chunk) they are part of the transaction."""
        if not self._apart or self.conn.in_transaction():
            return self.orders.next_codes(prefix, n)
        return self.orders.next_codes_committed(prefix, n)

    def commit(self) -> None:
        self.conn.commit()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()  # no round trip after a read: the driver has no transaction open
            if self._reading is not None and not self._reading.closed:
                self._reading.autocommit = False  # back to the pool as it came
            self.conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()
