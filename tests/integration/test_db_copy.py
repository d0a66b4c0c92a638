"""`rexian db copy`: a SQLite hotline moves to PostgreSQL with every row, and goes on working there."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from tests.integration.conftest import ROOT, SHIPAI

from rexian.adapters.db.migrate import upgrade
from rexian.adapters.db.tables import metadata
from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.errors import InvalidInput
from rexian.domain.vocabulary import Channel, Role
from rexian.domain.workorder import Action, Actor
from rexian.services import workorders as uc
from rexian.services.backup import copy_database

AGENT = Actor("agent", Role.AGENT)


def _empty_postgres(server_url: str) -> str:
    name = f"copy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}
    engine.dispose()
    return counts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_hotline_moves_to_postgresql_whole_and_keeps_working(hotline, database_url, postgres_server_url,
                                                                     clock):
    first, _ = uc.file_appeal(hotline, uc.AppealIntake(content="石牌街道路灯不亮", channel=Channel.PHONE), AGENT)
    uc.perform(hotline, first.id, Action.DISPATCH, ROOT, {"unit_code": SHIPAI})
    second, _ = uc.file_appeal(hotline, uc.AppealIntake(content="同一路灯", channel=Channel.WEB), AGENT)
    uc.perform(hotline, second.id, Action.MERGE, ROOT, {"master_id": first.id})
    target = _empty_postgres(postgres_server_url)

    copied = copy_database(database_url, target)

    assert copied == _counts(database_url) == _counts(target)
    moved = bootstrap(Settings(database_url=target), clock=clock, intelligence=False)
    order, events = uc.get_order(moved, first.id, ROOT)
    assert order.related_ids == [second.id] and [e["action"] for e in events][:2] == ["receive", "dispatch"]
    third, _ = uc.file_appeal(moved, uc.AppealIntake(content="新的诉求", channel=Channel.APP), AGENT)
    assert third.id > second.id  # the sequences moved past the copied ids
    with pytest.raises(InvalidInput):
        copy_database(database_url, target)  # never into a database that already has orders
    moved.uow.engine.dispose()
