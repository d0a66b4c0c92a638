"""Unit of work: one transaction, the repositories that share it, commit or roll back as a whole."""

from __future__ import annotations

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

    def begin(self, write: bool = False) -> Transaction:
        return Transaction(self.engine, write)


class Transaction:
    conn: Connection

    def __init__(self, engine: Engine, write: bool) -> None:
        self._engine, self._write = engine, write

    def __enter__(self) -> Transaction:
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
        if self._tx.is_active:
            self._tx.rollback()
        self.conn.close()
