"""Backup and restore round-trip every order and event, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.conftest import ROOT, SHIPAI, TIANHE

from rexian.adapters.db.tables import work_order_events, work_orders
from rexian.domain.errors import InvalidInput
from rexian.domain.vocabulary import Channel, Role
from rexian.domain.workorder import Action, Actor, Caller
from rexian.services.backup import backup, restore
from rexian.services.context import Hotline
from rexian.services.workorders import AppealIntake, file_appeal, perform

STAFF = Actor("shipai", Role.UNIT_STAFF, SHIPAI)


def _fill(hl: Hotline, n: int, tag: str) -> None:
    for i in range(n):
        order, _ = file_appeal(hl, AppealIntake(content=f"{tag} 第{i}号：小区门口垃圾堆积无人清运", channel=Channel.PHONE,
                                                caller=Caller(name="李女士", phone="13900139000")), ROOT)
        if i % 2:
            perform(hl, order.id or 0, Action.DISPATCH, ROOT, {"unit_code": SHIPAI if i % 4 == 1 else TIANHE})
        if i % 4 == 1:
            perform(hl, order.id or 0, Action.SIGN, STAFF)


def _snapshot(hl: Hotline) -> dict[str, list[dict[str, Any]]]:
    with hl.uow.begin() as tx:
        return {t.name: [dict(r._mapping) for r in tx.conn.execute(select(t).order_by(t.c.id))]
                for t in (work_orders, work_order_events)}


def test_a_restore_brings_back_every_order_and_event_of_the_backup(hotline: Hotline, database_url: str,
                                                                 tmp_path: Path):
    _fill(hotline, 8, "备份前")
    before = _snapshot(hotline)
    file = backup(database_url, tmp_path / "rexian.backup")
    _fill(hotline, 3, "备份后")  # changes after the backup must vanish on restore
    assert len(_snapshot(hotline)["work_orders"]) == len(before["work_orders"]) + 3
    hotline.uow.engine.dispose()
    restore(database_url, file)
    after = _snapshot(hotline)
    assert len(after["work_orders"]) == 8 and len(after["work_order_events"]) > 8
    assert after == before


def test_a_backup_of_the_other_database_kind_is_refused(hotline: Hotline, database_url: str, tmp_path: Path):
    stranger = tmp_path / "not-a-backup.bin"
    stranger.write_bytes(b"PGDMP" if database_url.startswith("sqlite") else b"SQLite format 3\x00")
    with pytest.raises(InvalidInput):
        restore(database_url, stranger)
