"""Crash test: intake at full speed against a real uvicorn server, SIGKILL it mid-run, restart it,
retry every unacknowledged request with its Idempotency-Key, then check nothing was lost or doubled.

    python bench/crash_test.py --seconds 6 --kills 2                       (SQLite in a temporary REXIAN_HOME)
    python bench/crash_test.py --seconds 8 --kills 1 --database-kills 2    (a throwaway PostgreSQL whose
                                                                            postmaster is SIGKILLed too)

The app server keeps running while the database is down: its requests fail (the client retries them)
and its connection pool reconnects once PostgreSQL is back from crash recovery.

Checks: every order that got a 201 is stored exactly once (by idempotency key), and every order's
status equals the to_status of its last event (no half-done transition).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "rexian.web.main:app", "--port", str(port),
                             "--log-level", "warning"], env=env, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


class ThrowawayPostgres:
    """A PostgreSQL server of our own (pgserver) that can be SIGKILLed and restarted on the same data folder."""

    def __init__(self) -> None:
        import pgserver

        self.pgdata = Path(tempfile.mkdtemp(prefix="rexian-crash-pg-")) / "pgdata"
        self.server = pgserver.get_server(self.pgdata, cleanup_mode="delete")
        self.url = self.server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)

    def kill(self) -> None:
        """SIGKILL the postmaster (its pid heads postmaster.pid) and wait for its backends to notice and exit."""
        import psutil

        postmaster = psutil.Process(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
        backends = postmaster.children()
        postmaster.send_signal(signal.SIGKILL)
        postmaster.wait()
        psutil.wait_procs(backends, timeout=30)

    def restart(self) -> None:
        """Start again on the same data folder: PostgreSQL replays its WAL (crash recovery) first."""
        self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()


def _schedule(kills: int, database_kills: int) -> list[str]:
    """The kills in order, app and database alternating while both remain."""
    return [target for i in range(max(kills, database_kills))
            for target, n in (("database", database_kills), ("app", kills)) if i < n]


def _agent_token(url: str) -> str:
    """Migrate the database and give an agent a bearer token (in process: three CLI runs cost seconds each)."""
    from rexian.adapters.db.migrate import upgrade
    from rexian.bootstrap import bootstrap
    from rexian.config import Settings
    from rexian.domain.vocabulary import Role
    from rexian.domain.workorder import Actor
    from rexian.services.auth import add_user, issue_token

    upgrade(url)
    hl = bootstrap(Settings(database_url=url), intelligence=False)
    admin = Actor("crash-test", Role.ADMIN)
    add_user(hl, "crash-agent", Role.AGENT, admin)
    token = issue_token(hl, "crash-agent", admin)
    hl.uow.engine.dispose()
    return token


def run(seconds: float, kills: int, threads: int, database_url: str | None = None,
        database: ThrowawayPostgres | None = None, database_kills: int = 0) -> dict[str, int]:
    """Drive intake, kill the app server `kills` times and `database`'s server `database_kills` times,
    and count what was lost, doubled or torn."""
    if database_kills and database is None:
        raise ValueError("killing the database server needs a ThrowawayPostgres")
    home = Path(tempfile.mkdtemp(prefix="rexian-crash-"))
    env = {**os.environ, "REXIAN_HOME": str(home), "REXIAN_INTELLIGENCE": "0", "PYTHONPATH": str(ROOT / "src")}
    url = (database.url if database else database_url) or env.get("REXIAN_DATABASE_URL") \
        or f"sqlite:///{home / 'rexian.db'}"
    env["REXIAN_DATABASE_URL"] = url
    token = _agent_token(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1/work-orders"
    acked: dict[str, int] = {}  # idempotency key -> order id from a 201/200
    failures: list[int] = []  # one entry per attempt that got no 200/201 (a 5xx or no answer)
    pending: list[str] = []  # keys still unanswered when the clients stopped
    lock, stop = threading.Lock(), threading.Event()
    server = start_server(env, port)

    def post(client: httpx.Client, key: str) -> bool:
        try:
            r = client.post(base, json={"content": f"崩溃测试 {key} 路面塌陷", "channel": "web"},
                            headers={"Idempotency-Key": key, "Authorization": f"Bearer {token}"}, timeout=5)
        except httpx.HTTPError:
            r = None
        with lock:
            if r is not None and r.status_code in (200, 201):
                acked[key] = r.json()["id"]
                return True
            failures.append(r.status_code if r is not None else 0)
        return False

    def client_loop() -> None:
        """Like a real client: a request without an answer is retried with the same key."""
        with httpx.Client() as client:
            while not stop.is_set():
                key = uuid.uuid4().hex
                while not post(client, key):
                    if stop.is_set():
                        with lock:
                            pending.append(key)
                        break
                    time.sleep(0.05)

    workers = [threading.Thread(target=client_loop) for _ in range(threads)]
    for w in workers:
        w.start()
    schedule = _schedule(kills, database_kills)
    for target in schedule:
        time.sleep(seconds / (len(schedule) + 1))
        if target == "database":
            database.kill()  # type: ignore[union-attr]
            database.restart()  # type: ignore[union-attr]
            continue
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = start_server(env, port)
    time.sleep(seconds / (len(schedule) + 1))
    stop.set()
    for w in workers:
        w.join()
    with httpx.Client() as client:  # retry everything not acknowledged, with the same key
        for key in list(pending):
            for _ in range(5):
                if post(client, key):
                    break
    server.send_signal(signal.SIGTERM)
    server.wait()
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT idempotency_key, count(*) FROM work_orders GROUP BY 1")).all())
        torn = conn.execute(text(
            "SELECT count(*) FROM work_orders o JOIN work_order_events e ON e.order_id = o.id WHERE e.id = "
            "(SELECT max(id) FROM work_order_events WHERE order_id = o.id) AND e.to_status <> o.status")).scalar()
    engine.dispose()
    return {"acknowledged": len(acked), "kills": kills, "database_kills": database_kills, "failed_attempts": len(failures),
            "retried_at_end": len(pending), "stored": sum(stored.values()),
            "lost": sum(1 for k in acked if k not in stored), "duplicated": sum(1 for n in stored.values() if n > 1),
            "unacknowledged_after_retry": sum(1 for k in pending if k not in acked), "torn": int(torn or 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-kills", type=int, default=0,
                        help="also SIGKILL a throwaway PostgreSQL server this often (runs on it instead of SQLite)")
    args = parser.parse_args()
    database = ThrowawayPostgres() if args.database_kills else None
    try:
        result = run(args.seconds, args.kills, args.threads, database=database, database_kills=args.database_kills)
    finally:
        if database:
            database.close()
    print(result)
    raise SystemExit(1 if result["lost"] or result["duplicated"] or result["torn"] else 0)


if __name__ == "__main__":
    main()
