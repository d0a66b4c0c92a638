"""The PostgreSQL engine's pool: no ping for a connection just used, a dead idle one replaced before use."""

from __future__ import annotations

from sqlalchemy import create_engine, event, text

from rexian.adapters.db import engine as engine_module
from rexian.adapters.db.engine import make_engine


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
