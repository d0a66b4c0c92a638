"""The PostgreSQL engine's pool: no ping for a connection just used, a dead idle one replaced before use; reads
without a server transaction."""

from __future__ import annotations

from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, text

from rexian.adapters.db import engine as engine_module
from rexian.adapters.db.engine import make_engine
from rexian.adapters.db.uow import SqlUnitOfWork


def pings(engine) -> list[int]:  # noqa: ANN001 - counts the pings the engine's dialect sends
    sent: list[int] = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_conn: sent.append(1) or ping(dbapi_conn)
    return sent


def backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres_server_url):
    engine = make_engine(postgres_server_url)
    sent = pings(engine)
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(3)] == [first] * 3
    assert sent == []
    engine.dispose()


def test_an_idle_connection_whose_server_side_died_is_replaced_before_use(postgres_server_url, monkeypatch):
    engine = make_engine(postgres_server_url)
    sent = pings(engine)
    dead = backend_pid(engine)
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    admin.dispose()
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)  # as if it had sat idle
    errors: list[BaseException] = []
    event.listen(engine, "handle_error", lambda context: errors.append(context.original_exception))
    assert backend_pid(engine) != dead
    assert sent and errors == []
    engine.dispose()


def test_intakes_and_reads_work_on_connections_pinged_after_sitting_idle(hotline, monkeypatch):
    """A ping is a statement of its own: the connection must come out of it as it went in (no transaction
    left open), or taking a tracking code apart, or a read without BEGIN, could not switch to autocommit."""
    from tests.integration.test_storage import AGENT, intake

    from rexian.services import workorders as uc

    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)  # every connection has sat idle
    sent = pings(hotline.uow.engine)
    codes = [uc.file_appeal(hotline, intake(), AGENT)[0].code for _ in range(3)]
    assert len(set(codes)) == 3
    assert uc.get_order(hotline, 1, AGENT)[0].code == codes[0]
    assert sent or hotline.uow.engine.dialect.name == "sqlite"


def test_a_read_opens_no_transaction_on_the_server_and_hands_its_connection_back_as_it_came(postgres_server_url):
    uow = SqlUnitOfWork(make_engine(postgres_server_url))
    with uow.begin() as tx:
        raw = tx.conn.connection.dbapi_connection
        assert tx.conn.execute(text("SELECT 1")).scalar_one() == 1
        assert raw.info.transaction_status == TransactionStatus.IDLE  # no BEGIN was sent, no ROLLBACK will be
    with uow.begin(write=True) as tx:  # the same pooled connection, writing in a transaction again
        assert tx.conn.connection.dbapi_connection is raw and not raw.autocommit
        tx.conn.execute(text("SELECT 1"))
        assert raw.info.transaction_status == TransactionStatus.INTRANS
    uow.engine.dispose()
