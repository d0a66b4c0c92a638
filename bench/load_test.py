"""Mixed load test: intake, listing, actions and searches against one multi-worker server on PostgreSQL,
with the SLA sweep running beside it (issue 8, "Load").

This process is the load generator; the server is uvicorn with `--workers N` on a fresh pgserver
database (Guangzhou loaded), started with bench_intake's helpers. `--concurrency` client threads, each
on its own keep-alive connection (bench_intake.closed_loop), pick a request kind by weight for `--seconds` after a
warm-up:
  intake 60%   POST /api/v1/work-orders (a real 泰迪杯 message, a caller phone, an Idempotency-Key)
  list   20%   GET  /api/v1/work-orders?limit=20 (a dispatcher's queue)
  action 10%   dispatch an order filed here to 石牌街道, or sign one dispatched here (its unit's staff)
  search 10%   GET  /api/v1/kb/search (the message's title) or the citizen portal's lookup by code+phone
Meanwhile `rexian sla sweep --every` runs as a service beside it, sweeping every `--sweep-every` seconds
(production: a minute). Any status other than
the expected 2xx is an error. Requests carry a bearer token, so the citizen rate limit (per address) does
not apply (in production citizens come from many addresses).

The machine is shared, so the run first measures bench_intake's bare FastAPI endpoint (`--bare-seconds`,
the same workers, clients and bodies, no database) and reports intake latency as a ratio to it, with the
load average.

    .venv/bin/python bench/load_test.py [--seconds 15] [--workers 2] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import psutil
from bench_intake import (
    PHONE,
    SHIPAI,
    Call,
    closed_loop,
    intake_body,
    load_bodies,
    prepare_database,
    staff_tokens,
    uvicorn_server,
)
from bench_intake import drive as drive_one

WEIGHTS = {"intake": 60, "list": 20, "action": 10, "search": 10}


class Load:
    """What the client threads share: the orders to act on and the codes to look up."""

    def __init__(self, bodies: list[bytes], tokens: dict[str, str], weights: dict[str, int]) -> None:
        self.bodies, self.weights = bodies, weights
        self.auth = {name: {"authorization": f"Bearer {t}", "content-type": "application/json"}
                     for name, t in tokens.items()}
        self.to_dispatch: deque[int] = deque()
        self.to_sign: deque[int] = deque()
        self.codes: deque[str] = deque(maxlen=1000)
        self.counter = 0
        self.lock = threading.Lock()

    def client(self, i: int) -> Callable[[], Call]:
        """Client i's next request, drawn by weight with its own random generator."""
        rng = random.Random(i)
        return lambda: self.request(rng)

    def request(self, rng: random.Random) -> Call:
        kind = rng.choices(list(self.weights), weights=list(self.weights.values()))[0]
        if kind == "action":
            with self.lock:
                if self.to_sign and (not self.to_dispatch or rng.random() < 0.5):
                    oid = self.to_sign.popleft()
                    return Call(kind, "POST", f"/api/v1/work-orders/{oid}/actions/sign", b"{}", self.auth["shipai"],
                                200)
                if self.to_dispatch:
                    oid = self.to_dispatch.popleft()
                    body = json.dumps({"unit_code": SHIPAI}).encode()
                    return Call(kind, "POST", f"/api/v1/work-orders/{oid}/actions/dispatch", body,
                                self.auth["dispatcher"], 200)
            kind = "intake"  # nothing to act on yet
        if kind == "search":
            if self.codes and rng.random() < 0.5:
                code = rng.choice(self.codes)
                return Call(kind, "GET", f"/api/v1/public/orders/{code}?phone={PHONE}", None, self.auth["agent"], 200)
            title = json.loads(rng.choice(self.bodies))["title"][:40]
            return Call(kind, "GET", f"/api/v1/kb/search?q={quote(title)}", None, self.auth["agent"], 200)
        if kind == "list":
            return Call(kind, "GET", "/api/v1/work-orders?limit=20", None, self.auth["dispatcher"], 200)
        with self.lock:
            self.counter += 1
            n = self.counter
        return Call(kind, "POST", "/api/v1/work-orders", intake_body(self.bodies, n),
                    {**self.auth["agent"], "idempotency-key": f"load-{n}"}, 201)

    def settle(self, call: Call, status: int, payload: bytes) -> None:
        """Remember what an intake or a dispatch created for the actions and portal lookups."""
        if call.kind == "intake" and status == 201:
            order = json.loads(payload)
            with self.lock:
                self.to_dispatch.append(order["id"])
                self.codes.append(order["code"])
        elif call.path.endswith("/dispatch") and status == 200:
            with self.lock:
                self.to_sign.append(json.loads(payload)["id"])


def drive(base: str, load: Load, concurrency: int, warmup: float, seconds: float, cpu: CpuMeter
          ) -> tuple[dict[str, list[float]], dict[str, Counter[str]]]:
    """The mixed load for `seconds` after `warmup`, the CPU meter running over the same window."""
    marks = [threading.Timer(warmup, cpu.mark_start), threading.Timer(warmup + seconds, cpu.mark_end)]
    for mark in marks:
        mark.start()
    try:
        return closed_loop(base, load.client, concurrency, warmup, seconds, load.settle, "mixed")
    finally:
        for mark in marks:
            mark.join()


class Sweeper:
    """One `rexian sla sweep --every S --json` process beside the load (a sweep service, as in a container
    without cron; the imports are paid once, as they would be): each sweep's duration, and its errors."""

    def __init__(self, env: dict[str, str], every: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "rexian.cli.main", "sla", "sweep", "--every", str(every),
                                      "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.seconds: list[float] = []
        self.errors: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.proc.stdout, self._sweep), (self.proc.stderr, self._error))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, sink: Any) -> None:
        for line in stream:
            sink(line.strip())

    def _sweep(self, line: str) -> None:
        self.seconds.append(json.loads(line)["seconds"])

    def _error(self, line: str) -> None:
        if line.startswith("Error:") or "Traceback" in line:
            self.errors.append(line)

    def stop(self) -> dict[str, Any]:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=5)
        return {"runs": len(self.seconds), "failed": len(self.errors), "max_s": max(self.seconds, default=None),
                "first_error": self.errors[0] if self.errors else ""}


class CpuMeter:
    """CPU seconds each part used over the measured window: the app's workers, PostgreSQL, the sweep service,
    this load generator, and everything else on the machine (other tenants). Processes are sampled every
    `every` seconds, so a PostgreSQL backend that exits in the window (a pool's overflow connection) still
    counts, up to its last sample; `backends` is how many distinct PostgreSQL processes were seen."""

    def __init__(self, pg_data: Path, every: float = 0.25) -> None:
        self.pg_data, self.every = pg_data, every
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, float] = {}
        self.machine: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _processes(self) -> list[tuple[str, psutil.Process]]:
        me = psutil.Process()
        found = [("load generator", me)]
        for child in me.children(recursive=True):
            try:
                cmd = " ".join(child.cmdline())
            except psutil.Error:
                continue
            found.append(("sweep" if "sla sweep" in cmd else "app", child))
        postmaster = psutil.Process(int((self.pg_data / "postmaster.pid").read_text().split()[0]))
        found += [("postgres", p) for p in (postmaster, *postmaster.children(recursive=True))]
        return found

    def _sample(self) -> None:
        for part, process in self._processes():
            try:
                t = process.cpu_times()
            except psutil.Error:
                continue
            self.first.setdefault(process.pid, (part, t.user + t.system))
            self.last[process.pid] = t.user + t.system
        m = psutil.cpu_times()
        self.machine.append(m.user + m.system + m.nice + getattr(m, "irq", 0) + getattr(m, "softirq", 0))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def mark_start(self) -> None:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def mark_end(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        used: dict[str, float] = defaultdict(float)
        for pid, (part, first) in self.first.items():
            used[part] += self.last[pid] - first
        used["other"] = max(0.0, self.machine[-1] - self.machine[0] - sum(used.values()))
        return dict(used)

    def backends(self) -> int:
        return sum(part == "postgres" for part, _ in self.first.values())


def report(latencies: dict[str, list[float]], errors: dict[str, Counter[str]], seconds: float) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for kind in WEIGHTS:
        ms = np.array(latencies.get(kind, [])) * 1000
        kinds[kind] = {"ok": len(ms), "per_s": len(ms) / seconds,
                       "p50_ms": float(np.percentile(ms, 50)) if len(ms) else None,
                       "p99_ms": float(np.percentile(ms, 99)) if len(ms) else None,
                       "errors": dict(errors.get(kind, {}))}
    every = np.concatenate([np.array(v) for v in latencies.values()]) * 1000
    return {"kinds": kinds, "total_per_s": len(every) / seconds,
            "p50_ms": float(np.percentile(every, 50)), "p99_ms": float(np.percentile(every, 99)),
            "errors": sum(sum(c.values()) for c in errors.values())}


def mix(text: str) -> dict[str, int]:
    """`intake=60,list=20` → {"intake": 60, "list": 20}; only the kinds this test knows."""
    weights = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in WEIGHTS or not weight.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: expected KIND=WEIGHT, KIND one of {', '.join(WEIGHTS)}")
        weights[kind.strip()] = int(weight)
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--sweep-every", type=float, default=5.0, help="seconds between SLA sweeps")
    parser.add_argument("--bare-seconds", type=float, default=5.0, help="seconds on the bare endpoint (0: skip)")
    parser.add_argument("--mix", type=mix, default=WEIGHTS,
                        help="request kinds and weights, e.g. intake=1 for intakes only (default: "
                             + ",".join(f"{k}={v}" for k, v in WEIGHTS.items()) + ")")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    import pgserver

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rexian-load-")))
        os.chmod(tmp, 0o755)  # pgserver runs postgres as its own user when we are root
        server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        stack.callback(server.cleanup)
        env = {**os.environ, "REXIAN_HOME": str(tmp / "home"), "REXIAN_INTELLIGENCE": "0",
               "PYTHONUNBUFFERED": "1",
               "REXIAN_DATABASE_URL": server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)}
        tokens = {"agent": prepare_database(env), **staff_tokens(env)}
        load = Load(load_bodies(), tokens, args.mix)
        bare = None
        if args.bare_seconds > 0:
            with uvicorn_server("bench_intake:bare_app", env, tmp / "bare.log", workers=args.workers) as base:
                bare, _ = drive_one(base, "/bare", {}, load.bodies, args.concurrency, args.warmup,
                                    args.bare_seconds, "bare")
        cpu = CpuMeter(tmp / "pg")
        with uvicorn_server("rexian.web.main:app", env, tmp / "server.log", workers=args.workers) as base:
            sweeper = Sweeper(env, args.sweep_every)
            try:
                latencies, errors = drive(base, load, args.concurrency, args.warmup, args.seconds, cpu)
            finally:
                sweeps = sweeper.stop()
    result = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "workers": args.workers,
              "concurrency": args.concurrency, "seconds": args.seconds, **report(latencies, errors, args.seconds),
              "cpu_seconds": cpu.seconds(), "postgres_processes": cpu.backends(), "sweeps": sweeps}
    intake = result["kinds"]["intake"]
    if bare is not None and intake["ok"]:
        result["bare"] = {"per_s": bare.rate, "p50_ms": bare.p50_ms, "p99_ms": bare.p99_ms,
                          "intake_p50_vs_bare": intake["p50_ms"] / bare.p50_ms,
                          "intake_p99_vs_bare": intake["p99_ms"] / bare.p99_ms}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"{args.workers} workers, {args.concurrency} clients, {args.seconds:g} s on {os.cpu_count()} CPUs "
          "(client, server and PostgreSQL share them), load average "
          + " ".join(f"{x:.2f}" for x in result["load_average"]))
    print(f"{'kind':<8} {'ok':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for kind, k in result["kinds"].items():
        p50 = f"{k['p50_ms']:8.1f}" if k["p50_ms"] is not None else f"{'-':>8}"
        p99 = f"{k['p99_ms']:8.1f}" if k["p99_ms"] is not None else f"{'-':>8}"
        print(f"{kind:<8} {k['ok']:>7} {k['per_s']:>8.1f} {p50} {p99}  {k['errors'] or 0}")
    print(f"{'all':<8} {'':>7} {result['total_per_s']:>8.1f} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f}"
          f"  {result['errors']}")
    if "bare" in result:
        b = result["bare"]
        print(f"{'bare':<8} {'':>7} {b['per_s']:>8.1f} {b['p50_ms']:8.1f} {b['p99_ms']:8.1f}  "
              f"(intake/bare: p50 {b['intake_p50_vs_bare']:.1f}x, p99 {b['intake_p99_vs_bare']:.1f}x)")
    cpu_used = result["cpu_seconds"]
    print("CPU over the measured window (cores busy): " + ", ".join(
        f"{part} {used / args.seconds:.2f}" for part, used in cpu_used.items())
        + f"; per intake: app {cpu_used['app'] / max(1, intake['ok']) * 1000:.1f} ms, "
        f"postgres {cpu_used['postgres'] / max(1, intake['ok']) * 1000:.1f} ms (all requests charged to intakes); "
        f"{result['postgres_processes']} PostgreSQL processes seen")
    s = result["sweeps"]
    print(f"SLA sweep: {s['runs']} runs beside the load, {s['failed']} failed, slowest {s['max_s'] or 0:.2f} s"
          + (f"\n  {s['first_error']}" if s["first_error"] else ""))


if __name__ == "__main__":
    main()
