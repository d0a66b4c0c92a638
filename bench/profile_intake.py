"""Per-request cost in one process: SQL statements, database round trips and CPU milliseconds.

The app runs in this process, called as an ASGI app (no sockets, no test client) on a fresh database; `--orders`
requests of one `--kind` of bench/load_test.py's mix are made one after the other after a warm-up:
intakes (real 泰迪杯 messages, an agent's token, an Idempotency-Key each, as the load test sends them), or a
dispatcher's list of 20, the portal's look-up by code and phone, a knowledge search, a dispatch or a unit's
sign-for over orders filed (and dispatched) first, unmeasured. Statements are counted with a SQLAlchemy cursor
listener, round trips as statements plus transaction starts/ends and pool pre-pings. The baseline is
bench_intake's bare FastAPI endpoint called the same way in the same run, so `cpu vs bare` says what the
request itself costs whatever else the machine is doing. `--profile N` prints the N most expensive functions
(cProfile); to see the endpoint and its dependencies in that profile, they run on the event loop's thread
instead of the thread pool (for this measurement only).

    .venv/bin/python bench/profile_intake.py [--kind intake|list|track|search|dispatch|sign] [--orders 300]
                                             [--backend postgresql|sqlite] [--profile 25]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench_intake import PHONE, SHIPAI, bare_app, intake_body, load_bodies, prepare_database, staff_tokens
from sqlalchemy import event


def fresh_database(stack: ExitStack, backend: str) -> dict[str, str]:
    """Environment for a migrated database with Guangzhou loaded (and its agent's token in REXIAN_TOKEN)."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rexian-profile-")))
    os.chmod(tmp, 0o755)  # pgserver runs postgres as its own user when we are root
    env = {**os.environ, "REXIAN_HOME": str(tmp / "home"), "PYTHONUNBUFFERED": "1"}
    env.pop("REXIAN_DATABASE_URL", None)
    if backend == "postgresql":
        import pgserver

        server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        stack.callback(server.cleanup)
        env["REXIAN_DATABASE_URL"] = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    env["REXIAN_TOKEN"] = prepare_database(env)
    return env


class Counts:
    """Statements and round trips seen on an engine, by kind of statement."""

    def __init__(self, engine: Any) -> None:
        self.kinds: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        for name in ("begin", "commit", "rollback"):
            event.listen(engine, name, lambda conn, name=name: self._transaction(conn, name))
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.kinds["ping"] += 1
            return ping(dbapi_connection)

        engine.dialect.do_ping = counted_ping

    def _transaction(self, conn: Any, name: str) -> None:
        if not getattr(conn.connection.dbapi_connection, "autocommit", False):  # else the driver sends nothing
            self.kinds[name.upper()] += 1

    def _statement(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        words = statement.split()
        self.kinds[" ".join(words[:3] if words[0] in ("INSERT", "UPDATE") else words[:1])] += 1

    def statements(self) -> int:
        return sum(n for k, n in self.kinds.items() if k not in ("BEGIN", "COMMIT", "ROLLBACK", "ping"))


async def call(app: Any, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """`method` `path` (with its query) with `body` to the ASGI `app`; the response status and body."""
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": query.encode(),
             "headers": [(k.encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body))}.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    status, payload = 0, b""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, payload
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            payload += message.get("body", b"")

    await app(scope, receive, send)
    return status, payload


Request = tuple[str, str, bytes, dict[str, str], int]  # method, path, body, headers, expected status


def intakes(bodies: list[bytes], headers: dict[str, str], first: int = 0) -> Callable[[int], Request]:
    """The i-th intake of the load test: a real message, a caller phone, an Idempotency-Key."""

    def request(i: int) -> Request:
        return ("POST", "/api/v1/work-orders", intake_body(bodies, first + i),
                {**headers, "idempotency-key": f"profile-{first + i}"}, 201)

    return request


def run_all(app: Any, request: Callable[[int], Request], n: int) -> tuple[float, float, int, list[bytes]]:
    """(CPU seconds, wall seconds, failures, response bodies) for `n` requests, one after the other."""

    async def run() -> tuple[int, list[bytes]]:
        failures, payloads = 0, []
        for i in range(n):
            method, path, body, headers, expected = request(i)
            status, payload = await call(app, method, path, body, headers)
            failures += status != expected
            payloads.append(payload)
        return failures, payloads

    cpu, wall = time.process_time(), time.perf_counter()
    failures, payloads = asyncio.run(run())
    return time.process_time() - cpu, time.perf_counter() - wall, failures, payloads


def other_kinds(bodies: list[bytes], tokens: dict[str, str], orders: list[dict[str, Any]]
                ) -> dict[str, Callable[[int], Request]]:
    """The load test's other requests, over the orders filed before: a dispatcher's list of 20, the portal's
    look-up by code and phone, a knowledge search by a message's title, a dispatch, and the unit's sign-for."""
    auth = {name: {"authorization": f"Bearer {t}", "content-type": "application/json"} for name, t in tokens.items()}
    to_unit = json.dumps({"unit_code": SHIPAI}).encode()
    return {
        "list": lambda i: ("GET", "/api/v1/work-orders?limit=20", b"", auth["dispatcher"], 200),
        "track": lambda i: ("GET", f"/api/v1/public/orders/{orders[i % len(orders)]['code']}?phone={PHONE}", b"",
                            auth["agent"], 200),
        "search": lambda i: ("GET", f"/api/v1/kb/search?q={quote(json.loads(bodies[i % len(bodies)])['title'][:40])}",
                             b"", auth["agent"], 200),
        "dispatch": lambda i: ("POST", f"/api/v1/work-orders/{orders[i]['id']}/actions/dispatch", to_unit,
                               auth["dispatcher"], 200),
        "sign": lambda i: ("POST", f"/api/v1/work-orders/{orders[i]['id']}/actions/sign", b"{}", auth["shipai"], 200),
    }


def in_this_thread() -> None:
    """Run thread-pool work (sync endpoints, dependencies, `run_in_threadpool`) on the calling thread, so that
    cProfile sees it."""
    import anyio.to_thread

    async def run_here(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_here


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="requests measured")
    parser.add_argument("--kind", choices=("intake", "list", "track", "search", "dispatch", "sign"), default="intake",
                        help="the load test's request to measure (the others act on orders filed first)")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--intelligence", action="store_true", help="classify, locate and route (needs a model)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    parser.add_argument("--dump", type=Path, help="with --profile: also write the cProfile data here")
    args = parser.parse_args()
    bodies = load_bodies()
    with ExitStack() as stack:
        env = fresh_database(stack, args.backend)
        os.environ.update({k: env[k] for k in ("REXIAN_HOME", "REXIAN_DATABASE_URL") if k in env})
        from rexian.bootstrap import bootstrap
        from rexian.web.app import create_app

        hotline = bootstrap(intelligence=args.intelligence)
        app = create_app(hotline)
        if args.profile:
            in_this_thread()
        headers = {"authorization": f"Bearer {env['REXIAN_TOKEN']}", "content-type": "application/json"}
        bare = [("POST", "/bare", b, {"content-type": "application/json"}, 200) for b in bodies]
        run_all(bare_app, lambda i: bare[i % len(bare)], 30)
        n, warm = args.orders, 30
        kinds = {"intake": intakes(bodies, headers)}
        if args.kind != "intake":  # the orders the other kinds read and act on, filed (and dispatched) unmeasured
            *_, payloads = run_all(app, kinds["intake"], warm + n)
            kinds = other_kinds(bodies, {**staff_tokens(env), "agent": env["REXIAN_TOKEN"]},
                                [json.loads(p) for p in payloads])
            if args.kind == "sign":
                run_all(app, kinds["dispatch"], warm + n)
        run_all(app, kinds[args.kind], warm)  # warm-up
        measured = lambda i: kinds[args.kind](warm + i)  # noqa: E731 - past the warm-up's orders (and keys)
        counts = Counts(hotline.uow.engine)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler:
            profiler.enable()
        cpu, wall, failed, _ = run_all(app, measured, n)
        if profiler:
            profiler.disable()
        bare_cpu, *_ = run_all(bare_app, lambda i: bare[i % len(bare)], n)
        hotline.uow.engine.dispose()
    per = {k: v / n for k, v in sorted(counts.kinds.items())}
    trips = sum(counts.kinds.values()) / n
    print(f"{args.backend}, {n} × {args.kind}{' + intelligence' if args.intelligence else ''}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"statements per request {counts.statements() / n:.2f}; round trips {trips:.2f}: "
          + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(f"{args.kind} CPU {cpu / n * 1000:.2f} ms (wall {wall / n * 1000:.2f} ms), bare endpoint CPU "
          f"{bare_cpu / n * 1000:.2f} ms, cpu vs bare {cpu / bare_cpu:.2f}; failures {failed}")
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
