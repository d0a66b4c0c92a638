"""Storage guarantees on both databases: concurrency, idempotency, the sweep, import, migrations."""

from __future__ import annotations

import csv
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from tests.integration.conftest import ROOT, SHIPAI

from rexian.adapters.db.repositories import OrderFilter
from rexian.adapters.db.tables import metadata
from rexian.config import DATA_DIR
from rexian.domain.errors import ConcurrencyConflict, IllegalTransition
from rexian.domain.vocabulary import AppealType, Channel, Role
from rexian.domain.workorder import Action, Actor, Caller
from rexian.services import workorders as uc
from rexian.services.importing import import_file

AGENT = Actor("agent", Role.AGENT)
OFFICE = Actor("dispatcher", Role.DISPATCHER)
SHIPAI_STAFF = Actor("shipai", Role.UNIT_STAFF, SHIPAI)


def intake(**extra) -> uc.AppealIntake:
    return uc.AppealIntake(content="石牌街道路灯不亮已经一周", channel=Channel.PHONE, appeal_type=AppealType.HELP,
                           caller=Caller("陈女士", "13912345678"), **extra)


def test_the_schema_matches_the_migrations(hotline):
    with hotline.uow.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_two_concurrent_transitions_of_one_order_cannot_both_win(hotline):
    order, _ = uc.file_appeal(hotline, intake(), AGENT)
    uc.perform(hotline, order.id, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    barrier, outcomes = threading.Barrier(2), []

    def sign() -> None:
        barrier.wait()
        try:
            uc.perform(hotline, order.id, Action.SIGN, SHIPAI_STAFF)
            outcomes.append("won")
        except (ConcurrencyConflict, IllegalTransition) as e:
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1
    _, events = uc.get_order(hotline, order.id, OFFICE)
    assert [e["action"] for e in events].count("sign") == 1


def test_a_stale_version_loses_even_when_the_move_is_legal(hotline):
    order, _ = uc.file_appeal(hotline, intake(), AGENT)
    uc.perform(hotline, order.id, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    with pytest.raises(ConcurrencyConflict):
        uc.perform(hotline, order.id, Action.REMIND, OFFICE, {}, expected_version=order.version)


def test_concurrent_intakes_with_one_idempotency_key_store_one_order(hotline):
    barrier, ids = threading.Barrier(4), []

    def file() -> None:
        barrier.wait()
        ids.append(uc.file_appeal(hotline, intake(), AGENT, "same-key")[0].id)

    threads = [threading.Thread(target=file) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 4 and len(set(ids)) == 1


def test_tracking_codes_are_unique_and_sequential_per_day(hotline):
    codes = [uc.file_appeal(hotline, intake(), AGENT)[0].code for _ in range(3)]
    assert codes == ["GZ20260928-000001", "GZ20260928-000002", "GZ20260928-000003"]


def test_an_intake_waits_for_another_to_commit_only_where_writers_take_turns(hotline):
    """PostgreSQL: the day's counter row is updated in a statement of its own, so an intake still in its
    transaction does not hold up the next, and the one that never commits leaves a gap. SQLite has one writer
    at a time: the next intake waits, and the rolled-back code is given again."""
    side_by_side = hotline.uow.engine.dialect.name == "postgresql"
    slow = uc.new_order(hotline, intake(), AGENT)
    done: list[str] = []
    other = threading.Thread(target=lambda: done.append(uc.file_appeal(hotline, intake(), AGENT)[0].code))
    with hotline.uow.begin(write=True) as tx:
        slow.code = tx.next_codes("GZ20260928")[0]  # the day's first code
        assert tx.orders.get(1) is None and tx.conn.in_transaction()  # ... and the transaction goes on
        other.start()
        other.join(timeout=10 if side_by_side else 1)
        assert done == (["GZ20260928-000002"] if side_by_side else [])
    other.join(timeout=10)
    assert slow.code == "GZ20260928-000001"  # never stored: rolled back
    assert done == ["GZ20260928-000002" if side_by_side else "GZ20260928-000001"]
    assert uc.file_appeal(hotline, intake(), AGENT)[0].code == (
        "GZ20260928-000003" if side_by_side else "GZ20260928-000002")


def commits_of(hotline) -> list[int]:
    """A list that grows by one for every transaction committed on the hotline's engine."""
    seen: list[int] = []
    event.listen(hotline.uow.engine, "commit", lambda conn: seen.append(1))
    return seen


def test_intakes_arriving_together_are_stored_in_one_transaction_with_their_own_codes_and_events(hotline):
    commits = commits_of(hotline)
    batch = [(uc.new_order(hotline, intake(), AGENT), key) for key in ("k1", "k2", None)]
    results = uc.store_intakes(hotline, batch)
    assert [created for _, created in results] == [True, True, True] and len(commits) == 1
    assert [order.code for order, _ in results] == [f"GZ20260928-00000{i}" for i in (1, 2, 3)]
    with hotline.uow.begin() as tx:
        for order, _ in results:
            assert tx.orders.get(order.id).code == order.code
            assert [e["action"] for e in tx.orders.events(order.id)] == ["receive"]


def test_a_batch_holding_a_retried_key_stores_the_others_and_answers_the_retry_with_the_first_order(hotline):
    first, _ = uc.file_appeal(hotline, intake(), AGENT, idempotency_key="k-retry")
    batch = [(uc.new_order(hotline, intake(), AGENT), key) for key in ("k-new", "k-retry", None)]
    results = uc.store_intakes(hotline, batch)
    assert [created for _, created in results] == [True, False, True]
    assert results[1][0].id == first.id and results[1][0].code == first.code
    with hotline.uow.begin() as tx:
        orders, total = tx.orders.query(OrderFilter())
        assert total == 3 and len({o.code for o in orders}) == 3
        for order in orders:  # the batch that was turned away left no events behind
            assert [e["action"] for e in tx.orders.events(order.id)] == ["receive"]


def test_an_order_that_cannot_be_stored_fails_alone_and_not_its_batch(hotline):
    batch = [(uc.new_order(hotline, intake(), AGENT), key) for key in ("k1", "k2", "k3")]
    batch[1][0].channel = None  # cannot be written: its batch fails, then each order is tried alone
    results = uc.store_intakes(hotline, batch)
    assert isinstance(results[1], AttributeError)
    assert [r[1] for r in (results[0], results[2])] == [True, True]
    with hotline.uow.begin() as tx:
        orders, total = tx.orders.query(OrderFilter())
        assert total == 2 and {o.code for o in orders} == {results[0][0].code, results[2][0].code}
        for order in orders:
            assert [e["action"] for e in tx.orders.events(order.id)] == ["receive"]


def test_intakes_filed_at_once_from_many_threads_are_each_stored_once(hotline):
    barrier = threading.Barrier(12)
    results: list[tuple] = []

    def one(i: int) -> None:
        barrier.wait()
        results.append(uc.file_appeal(hotline, intake(), AGENT, idempotency_key=f"k{i}"))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 12 and all(created for _, created in results)
    with hotline.uow.begin() as tx:
        orders, total = tx.orders.query(OrderFilter())
    assert total == 12 and {o.code for o in orders} == {o.code for o, _ in results}
    assert hotline.intakes.waiting == 0


def test_the_sla_sweep_marks_late_orders_once(hotline, clock):
    order, _ = uc.file_appeal(hotline, intake(), AGENT)
    uc.perform(hotline, order.id, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    assert uc.sweep_deadlines(hotline) == {"orders": 0, "sign": 0, "reply": 0, "yellow": 0}
    clock.advance(days=2)  # Wed 30 Sep: the sign-for deadline (end of Tue 29 Sep) has passed
    assert uc.sweep_deadlines(hotline) == {"orders": 1, "sign": 1, "reply": 0, "yellow": 0}
    assert uc.sweep_deadlines(hotline) == {"orders": 0, "sign": 0, "reply": 0, "yellow": 0}
    stored, events = uc.get_order(hotline, order.id, OFFICE)
    assert stored.overdue == ["sign"] and [e["action"] for e in events].count("remind") == 1
    clock.set(stored.reply_due - timedelta(hours=2))  # the reply light turns yellow: one reminder, once
    assert uc.sweep_deadlines(hotline) == {"orders": 0, "sign": 0, "reply": 0, "yellow": 1}
    assert uc.sweep_deadlines(hotline) == {"orders": 0, "sign": 0, "reply": 0, "yellow": 0}
    _, events = uc.get_order(hotline, order.id, OFFICE)
    assert [e["reason"] for e in events if e["action"] == "remind"][-1] == uc.YELLOW_REMINDER


def test_importing_the_real_teddy_and_beijing_exports_twice_stores_each_row_once(hotline):
    teddy = DATA_DIR / "teddy2020c" / "attachment2_sample_visible.csv"
    beijing = DATA_DIR / "beijing12345" / "workorders_2024-08_09.csv"
    first = import_file(hotline, teddy, ROOT)
    assert first.format == "teddy" and first.imported + first.skipped_existing == first.total == 383
    assert first.skipped_existing == 1  # the file repeats one 留言编号 (see PROVENANCE)
    second = import_file(hotline, teddy, ROOT)
    assert second.imported == 0 and second.skipped_existing == 383
    bj = import_file(hotline, beijing, ROOT)
    assert bj.format == "beijing" and bj.imported == 224 and not bj.rejected
    with beijing.open(encoding="utf-8") as f:
        chaoyang = sum(1 for row in csv.DictReader(f) if row["被反映区"] == "朝阳区")
    orders, total = uc.list_orders(hotline, ROOT, uc.OrderFilter(district="朝阳区"), 500, 0)
    assert total == chaoyang and all(o.category and "/" in o.category for o in orders)


def test_bad_rows_are_rejected_with_their_reason(hotline, tmp_path: Path):
    export = tmp_path / "export.csv"
    export.write_text("留言编号,留言主题,留言时间,留言详情\n1,路灯,2020/1/2 10:00:00,路灯不亮\n"
                      "2,,2020/1/2 10:00:00,\n3,噪音,昨天,工地夜间施工\n", encoding="utf-8")
    report = import_file(hotline, export, ROOT)
    assert report.imported == 1
    assert sorted(r["line"] for r in report.rejected) == [3, 4]
    assert all(r["reason"] and r["reason_en"] for r in report.rejected)


def test_the_sweep_reaches_every_late_order_however_many_pages(hotline, clock):
    ids = []
    for _ in range(5):
        order, _ = uc.file_appeal(hotline, intake(), AGENT)
        uc.perform(hotline, order.id, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
        ids.append(order.id)
    clock.advance(days=2)
    assert uc.sweep_deadlines(hotline, batch=2)["sign"] == 5
    assert uc.sweep_deadlines(hotline, batch=2)["sign"] == 0


def test_two_cities_in_one_database_may_use_the_same_rule_ids(hotline):
    from rexian.domain.routing import RoutingRule
    from rexian.services.cities import load_city_into
    from rexian.services.routing_rules import list_rules, replace_rules

    load_city_into(hotline, "beijing", ROOT, activate=False)  # its one rule is R-BACKSTOP
    mine = [RoutingRule("R-BACKSTOP", 0, "{district}", note="区级兜底"), RoutingRule("R001", 900, SHIPAI)]
    assert replace_rules(hotline, mine, ROOT) == 2
    assert sorted(r.id for r in list_rules(hotline)) == ["R-BACKSTOP", "R001"]
    with hotline.uow.begin() as tx:
        assert [r.id for r in tx.rules.all("beijing")] == ["R-BACKSTOP"]
