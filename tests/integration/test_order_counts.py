"""The dashboard's order counts on SQLite and PostgreSQL: kept equal to a recount of the orders through
intake, transitions and merges, and the dashboard built from them equal to counting the orders."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import Column, delete, event, select, true
from sqlalchemy.sql import visitors
from tests.integration.conftest import ROOT, SHIPAI
from typer.testing import CliRunner

from rexian.adapters.db.repo_analytics import (
    COUNTED,
    MEASURES,
    _contributions,
    _upsert_counts,
    grouped_counts,
)
from rexian.adapters.db.tables import work_orders as wo
from rexian.adapters.db.tables_analytics import order_counts
from rexian.cli.main import app
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.vocabulary import Channel, Role
from rexian.domain.workorder import Action, Actor
from rexian.services import analytics
from rexian.services import workorders as uc

OFFICE = Actor("dispatcher", Role.DISPATCHER)
AGENT = Actor("agent", Role.AGENT)
SHIPAI_STAFF = Actor("shipai", Role.UNIT_STAFF, SHIPAI)
APPEALS = [  # content, channel, category, district, hours before now
    ("石牌村路口路灯不亮已经一周", Channel.PHONE, "城乡建设/市政设施", "天河区", 1),
    ("华景新城小区停水两天了", Channel.WEB, "城乡建设/供水", "天河区", 5),
    ("江南西路餐馆油烟直排", Channel.WECHAT, "环境保护/大气污染", "海珠区", 20),
    ("工地夜间打桩噪音扰民", Channel.PHONE, "环境保护/噪声污染", "天河区", 30),
    ("小区门口占道经营", Channel.APP, None, None, 26 * 24),
    ("公交站台破损", Channel.PHONE, "交通运输/公共交通", "白云区", 9 * 24 + 3),
]


def file_all(hotline, clock) -> list[int]:
    ids = []
    for content, channel, category, district, hours in APPEALS:
        order, _ = uc.file_appeal(hotline, uc.AppealIntake(
            content=content, channel=channel, category=category, district=district,
            received_at=clock.now() - timedelta(hours=hours), auto_dispatch=False), ROOT)
        ids.append(order.id)
    return ids


def stored(hotline) -> dict:
    """The stored counts, summed over the stripes."""
    sums: dict = {}
    with hotline.uow.begin() as tx:
        for r in tx.conn.execute(select(order_counts)):
            key = (str(r.day), r.dimension, r.value)
            sums[key] = tuple(a + r._mapping[m] for a, m in zip(sums.get(key, (0,) * len(MEASURES)), MEASURES))
    return {k: v for k, v in sums.items() if any(v)}


def recounted(hotline) -> dict:
    with hotline.uow.begin() as tx:
        rows = tx.conn.execute(grouped_counts(tx.conn, true()))
        return {(str(r.day), r.dimension, r.value): tuple(r._mapping[m] for m in MEASURES) for r in rows}


def test_the_order_counts_equal_a_recount_after_intake_transitions_and_merges(hotline, clock):
    ids = file_all(hotline, clock)
    assert stored(hotline) == recounted(hotline) and len(stored(hotline)) > len(APPEALS)
    late, on_time, returned, merged = ids[5], ids[0], ids[3], ids[2]
    for oid in (late, on_time, returned):
        uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
        uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    uc.perform(hotline, on_time, Action.REPLY, SHIPAI_STAFF, {"text": "已修复"})
    uc.perform(hotline, on_time, Action.CALLBACK, AGENT, {"satisfaction": "satisfied"})
    uc.perform(hotline, returned, Action.RETURN, SHIPAI_STAFF, {"reason": "不属本单位", "legal_basis": "第十六条"})
    uc.perform(hotline, merged, Action.MERGE, OFFICE, {"master_id": ids[1]})
    clock.advance(days=40)
    uc.perform(hotline, late, Action.REPLY, SHIPAI_STAFF, {"text": "已修复"})
    uc.perform(hotline, late, Action.CALLBACK, AGENT, {"satisfaction": "unsatisfied"})

    counts = stored(hotline)
    assert counts == recounted(hotline)
    unit = {m: sum(v[MEASURES.index(m)] for k, v in counts.items() if k[1:] == ("unit", SHIPAI)) for m in MEASURES}
    assert unit == {"orders": 3, "replied_on_time": 1, "replied_late": 1, "rated": 2, "satisfied": 1, "returns": 1}


def test_the_dashboard_counts_whole_days_and_the_partial_days_at_either_end_like_the_orders(hotline, clock):
    ids = file_all(hotline, clock)
    uc.perform(hotline, ids[0], Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    clock.advance(days=20)  # the order's reply deadline has passed without a reply
    with hotline.uow.begin() as tx:
        orders = tx.conn.execute(select(wo)).all()
    for days in (1, 2, 10, 30, 366):
        data = analytics.dashboard(hotline, OFFICE, days)
        end = clock.now() + timedelta(seconds=1)
        inside = [o for o in orders if end - timedelta(days=days) <= o.received_at < end]
        assert data["total"] == len(inside)
        assert {d["name"]: d["count"] for d in data["districts"]} == Counter(o.district for o in inside if o.district)
        assert sum(c["count"] for c in data["categories"]) == len(inside)
        assert Counter(v["channel"] for v in data["volume"] for _ in range(v["count"])) == Counter(
            o.channel for o in inside)
        late = sum(o.reply_due is not None and o.replied_at is None and o.reply_due < clock.now() for o in inside)
        assert data["on_time"]["due"] == late
        assert [(u["unit_code"], u["orders"], u["late"]) for u in data["units"]] == (
            [(SHIPAI, 1, 1)] if late else [])
    assert analytics.dashboard(hotline, OFFICE, 366)["total"] == len(APPEALS)


def test_rexian_db_recount_rebuilds_the_counts_from_the_orders(hotline, clock, database_url, monkeypatch):
    file_all(hotline, clock)
    expected = stored(hotline)
    with hotline.uow.begin(write=True) as tx:
        tx.conn.execute(delete(order_counts))
        tx.commit()
    assert stored(hotline) == {}
    monkeypatch.setenv("REXIAN_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["db", "recount"])
    assert result.exit_code == 0, result.output
    assert stored(hotline) == expected


def test_past_days_fold_from_their_stripes_into_one_row_each_and_the_sums_stay(hotline, clock):
    file_all(hotline, clock)
    today = clock.now().astimezone(LOCAL_TZ).date()
    expected, before = stored(hotline), rows_by_stripe(hotline)
    folded = analytics.fold_order_counts(hotline)
    after = rows_by_stripe(hotline)
    assert stored(hotline) == expected == recounted(hotline)
    assert all(stripe == 0 for day, stripe in after if day < today)
    assert {k for k in after if k[0] == today} == {k for k in before if k[0] == today}  # today stays striped
    if hotline.uow.engine.dialect.name == "postgresql":  # several stripes: the past days had some
        assert folded > 0 and any(stripe > 0 for day, stripe in before if day < today)
    else:  # one writer, one stripe: nothing to fold
        assert folded == 0 and before == after
    assert analytics.fold_order_counts(hotline) == 0


def rows_by_stripe(hotline) -> Counter:
    """How many count rows each (day, stripe) has."""
    with hotline.uow.begin() as tx:
        return Counter((r.day, r.stripe) for r in tx.conn.execute(select(order_counts)))


def test_the_fold_gives_up_rather_than_keep_a_writer_waiting(hotline, clock):
    """A writer holding a row the fold needs (an import of past orders, say) is not kept waiting: the fold
    gives up after a moment and leaves the stripes for the next sweep."""
    file_all(hotline, clock)
    if hotline.uow.engine.dialect.name != "postgresql":  # one writer at a time, one stripe: nothing to fold
        assert {stripe for _, stripe in rows_by_stripe(hotline)} == {0}
        return
    expected = stored(hotline)
    with hotline.uow.begin() as tx:  # a key of a past day with counts in another stripe: the fold adds them to 0
        key = tx.conn.execute(select(order_counts.c.day, order_counts.c.dimension, order_counts.c.value).where(
            order_counts.c.stripe > 0, order_counts.c.day < clock.now().astimezone(LOCAL_TZ).date())).first()
    with hotline.uow.engine.connect() as writer:  # a writer holds that key's stripe-0 row
        writer.execute(_upsert_counts("postgresql"), [{**key._mapping, "stripe": 0, **dict.fromkeys(MEASURES, 0)}])
        started = time.monotonic()
        assert analytics.fold_order_counts(hotline) == 0
        assert time.monotonic() - started < 5
        writer.rollback()
    assert analytics.fold_order_counts(hotline) > 0
    assert stored(hotline) == expected == recounted(hotline)


def test_orders_stored_as_one_batch_count_like_orders_stored_one_by_one(hotline, clock):
    batch = [(uc.new_order(hotline, uc.AppealIntake(
        content=content, channel=channel, category=category, district=district,
        received_at=clock.now() - timedelta(hours=hours), auto_dispatch=False), ROOT), None)
        for content, channel, category, district, hours in APPEALS]
    assert [created for _, created in uc.store_intakes(hotline, batch)] == [True] * len(APPEALS)
    assert stored(hotline) == recounted(hotline) and len(stored(hotline)) > len(APPEALS)


def test_the_counted_columns_are_every_column_the_counts_are_made_of():
    """save() skips the counts when none of COUNTED changed: COUNTED must be what _contributions reads."""
    read = {c.name for c in visitors.iterate(_contributions("sqlite")) if isinstance(c, Column) and c.table is wo}
    assert read == set(COUNTED)


def test_a_sign_for_or_a_reminder_moves_no_counts_and_reads_none(hotline, clock):
    [oid, *_] = file_all(hotline, clock)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    before = stored(hotline)
    statements: list[str] = []
    event.listen(hotline.uow.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    uc.perform(hotline, oid, Action.REMIND, OFFICE)
    assert not [s for s in statements if "order_counts" in s or "CASE WHEN" in s]
    assert stored(hotline) == before == recounted(hotline)
