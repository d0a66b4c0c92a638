"""Per-intake cost in one process: SQL statements, database round trips and CPU milliseconds.

The app runs in this process, called as an ASGI app (no sockets, no test client) on a fresh database; `--orders`
intakes (real 泰迪杯 messages, an agent's token, an Idempotency-Key each, as bench/load_test.py sends
them) are filed after a warm-up. Statements are counted with a SQLAlchemy cursor listener, round trips
as statements plus transaction starts/ends and pool pre-pings. The baseline is bench_intake's bare
FastAPI endpoint called the same way in the same run, so `cpu vs bare` says what intake itself costs
whatever else the machine is doing. `--profile N` prints the N most expensive functions (cProfile); to
see the endpoint and its dependencies in that profile, they run on the event loop's thread instead of
the thread pool (for this measurement only).

    .venv/bin/python bench/profile_intake.py [--orders 300] [--backend postgresql|sqlite] [--profile 25]
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench_intake import bare_app, load_bodies, prepare_database
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
            event.listen(engine, name, lambda conn, name=name: self.kinds.update([name.upper()]))
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.kinds["ping"] += 1
            return ping(dbapi_connection)

        engine.dialect.do_ping = counted_ping

    def _statement(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        words = statement.split()
        self.kinds[" ".join(words[:3] if words[0] in ("INSERT", "UPDATE") else words[:1])] += 1

    def statements(self) -> int:
        return sum(n for k, n in self.kinds.items() if k not in ("BEGIN", "COMMIT", "ROLLBACK", "ping"))


async def call(app: Any, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to the ASGI `app`; the response status."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(k.encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body))}.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def post_all(app: Any, path: str, bodies: list[bytes], headers: dict[str, str], n: int,
             first: int = 0) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, failures) for `n` posts, one after the other."""

    async def run() -> int:
        failures = 0
        for i in range(first, first + n):
            body = json.loads(bodies[i % len(bodies)])
            body["caller"] = {"phone": "13800138000"}
            status = await call(app, path, json.dumps(body, ensure_ascii=False).encode(),
                                {**headers, "idempotency-key": f"profile-{i}"})
            failures += status != 201
        return failures

    cpu, wall = time.process_time(), time.perf_counter()
    failures = asyncio.run(run())
    return time.process_time() - cpu, time.perf_counter() - wall, failures


def in_this_thread() -> None:
    """Run thread-pool work (sync endpoints, dependencies, `run_in_threadpool`) on the calling thread, so that
    cProfile sees it."""
    import anyio.to_thread

    async def run_here(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_here


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
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
        post_all(app, "/api/v1/work-orders", bodies, headers, 30, first=10**6)  # warm-up
        post_all(bare_app, "/bare", bodies, {"content-type": "application/json"}, 30)
        counts = Counts(hotline.uow.engine)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler:
            profiler.enable()
        cpu, wall, failed = post_all(app, "/api/v1/work-orders", bodies, headers, args.orders)
        if profiler:
            profiler.disable()
        bare_cpu, _, _ = post_all(bare_app, "/bare", bodies, {"content-type": "application/json"}, args.orders)
        hotline.uow.engine.dispose()
    n = args.orders
    per = {k: v / n for k, v in sorted(counts.kinds.items())}
    trips = sum(counts.kinds.values()) / n
    print(f"{args.backend}, {n} intakes{' + intelligence' if args.intelligence else ''}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"statements per intake {counts.statements() / n:.2f}; round trips {trips:.2f}: "
          + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(f"intake CPU {cpu / n * 1000:.2f} ms (wall {wall / n * 1000:.2f} ms), bare endpoint CPU "
          f"{bare_cpu / n * 1000:.2f} ms, cpu vs bare {cpu / bare_cpu:.2f}; failures {failed}")
    if profiler and args.dump:
        profiler.dump_stats(args.dump)
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
