"""Intake benchmark: POST /api/v1/work-orders over HTTP on SQLite and PostgreSQL, beside a bare endpoint.

Every case is a real uvicorn server (one worker, the same settings) started by this script on a fresh
database; this process is the load generator: `--concurrency` clients post real citizen messages
(泰迪杯2020 附件2: 留言主题 as title, 留言详情 as content, channel web, an agent's bearer token) for
`--seconds` after a warm-up. The baseline is a bare FastAPI endpoint defined here (`POST /bare`,
the same JSON body parsed, 201 `{"ok": true}`), measured in the same run so the ratios say what
intake itself costs. Intelligence (classification, location, automatic dispatch) is switched by
REXIAN_INTELLIGENCE=0/1 and needs a trained model (`rexian model train`); without one that case is
skipped. Each server is measured loaded (`--concurrency` clients) and then with one client, where
the latency intelligence adds to a single request is not multiplied by queueing.

Client and server share this machine's cores, so the numbers include the client's own overhead. The
client is the standard library's http.client, one thread and keep-alive connection per client: httpx
(sync or async) spent 2-8x more CPU per request here and capped even the bare endpoint near 150-570/s.

    .venv/bin/python bench/bench_intake.py [--seconds 20] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI
from tqdm import tqdm

from rexian.config import get_settings
from rexian.intelligence.text import clean_text

BENCH_DIR = Path(__file__).resolve().parent
MESSAGES = BENCH_DIR.parent / "data" / "teddy2020c" / "attachment2_sample_visible.csv"
INTAKE_PATH = "/api/v1/work-orders"
TARGET_RATE, TARGET_P99_MS, TARGET_ADDED_P99_MS = 300.0, 100.0, 5.0

bare_app = FastAPI(title="bare baseline")


@bare_app.post("/bare", status_code=201)
def bare(body: dict[str, Any]) -> dict[str, bool]:
    """The floor: the same request parsed and answered by FastAPI, with no work behind it."""
    return {"ok": True}


@bare_app.get("/health")
def bare_health() -> dict[str, str]:
    return {"status": "ok"}


@dataclass
class Stats:
    """One measured phase: completed orders per second and client-side latency in milliseconds."""

    concurrency: int
    seconds: float
    ok: int
    errors: int
    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Case:
    name: str
    loaded: Stats
    single: Stats | None
    intelligence_observed: bool | None  # None for the bare endpoint


def load_bodies() -> list[bytes]:
    """Request bodies from real messages, encoded once so the client spends its time on HTTP."""
    with MESSAGES.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    bodies = [
        {
            "title": clean_text(r["留言主题"])[:500],
            "content": clean_text(r["留言详情"])[:20000],
            "channel": "web",
        }
        for r in rows
    ]
    return [json.dumps(b, ensure_ascii=False).encode() for b in bodies if b["content"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rexian(env: dict[str, str], *args: str) -> str:
    """Run a `rexian` CLI command in `env`; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "rexian.cli.main", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rexian {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_database(env: dict[str, str]) -> str:
    """Migrate, load Guangzhou, add an agent; its bearer token."""
    rexian(env, "db", "upgrade")
    rexian(env, "city", "load", "guangzhou")
    rexian(env, "user", "add", "bench", "--role", "agent")
    return rexian(env, "user", "token", "bench").strip().splitlines()[-1]


SHIPAI = "440106006"  # 石牌街道办事处
PHONE = "13800138000"  # the callers' phone in the load: the portal looks orders up by code and this


def intake_body(bodies: list[bytes], n: int) -> bytes:
    """The n-th intake of the load: a real message (cycling through `bodies`) from the load's caller phone."""
    body = json.loads(bodies[n % len(bodies)])
    body["caller"] = {"phone": PHONE}
    return json.dumps(body, ensure_ascii=False).encode()


def staff_tokens(env: dict[str, str]) -> dict[str, str]:
    """Add a dispatcher and a member of 石牌街道's staff; their bearer tokens by name."""
    rexian(env, "user", "add", "dispatcher", "--role", "dispatcher")
    rexian(env, "user", "add", "shipai", "--role", "unit_staff", "--unit", SHIPAI)
    return {name: rexian(env, "user", "token", name).strip().splitlines()[-1] for name in ("dispatcher", "shipai")}


@contextmanager
def uvicorn_server(app: str, env: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """A uvicorn serving `app` with `workers` processes; its base URL. Stopped on exit, whatever happened."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{app} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Call:
    """One request of a closed-loop client: its kind (for the counts), what to send, the status expected."""

    kind: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expected: int


def closed_loop(base: str, clients: Callable[[int], Callable[[], Call]], concurrency: int, warmup: float,
                seconds: float, on_response: Callable[[Call, int, bytes], None] | None = None, label: str = "load"
                ) -> tuple[dict[str, list[float]], dict[str, Counter[str]]]:
    """`concurrency` threads, each on its own keep-alive connection, send the calls `clients(i)()` gives them
    back to back (reconnecting after a failure); only what ends in the window after the warm-up counts.
    Returns latencies in seconds and errors (unexpected statuses, exceptions), by kind."""
    latencies: dict[str, list[float]] = {}
    errors: dict[str, Counter[str]] = {}
    host, port = base.removeprefix("http://").split(":")
    start = time.perf_counter()
    t0, t1 = start + warmup, start + warmup + seconds

    def client(i: int) -> None:
        next_call = clients(i)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while (sent := time.perf_counter()) < t1:
            call = next_call()
            try:
                conn.request(call.method, call.path, call.body, call.headers)
                response = conn.getresponse()
                payload = response.read()
                error = None if response.status == call.expected else str(response.status)
                if on_response:
                    on_response(call, response.status, payload)
            except (OSError, http.client.HTTPException) as e:
                error = type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            done = time.perf_counter()
            if t0 <= done <= t1:
                if error is None:
                    latencies.setdefault(call.kind, []).append(done - sent)  # atomic under the GIL
                else:
                    errors.setdefault(call.kind, Counter())[error] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    total = int(round(warmup + seconds))
    with tqdm(total=total, desc=f"{label} c={concurrency}", unit="s", file=sys.stderr, leave=False) as bar:
        for _ in range(total):
            time.sleep(max(0.0, start + bar.n + 1 - time.perf_counter()))
            bar.update(1)
            bar.set_postfix(ok=sum(len(v) for v in list(latencies.values())),
                            errors=sum(sum(c.values()) for c in list(errors.values())))
    for t in threads:
        t.join()
    return latencies, errors


def drive(base: str, path: str, headers: dict[str, str], bodies: list[bytes], concurrency: int, warmup: float,
          seconds: float, label: str) -> tuple[Stats, dict[str, Any] | None]:
    """POST the bodies to `path` in a closed loop (client i sends bodies i, i + concurrency, …). Returns the
    stats and the first created order (to see whether intelligence ran)."""
    headers = {**headers, "content-type": "application/json"}
    sample: list[dict[str, Any]] = []

    def clients(i: int) -> Callable[[], Call]:
        sent = iter(range(i, 1 << 62, concurrency))
        return lambda: Call("post", "POST", path, bodies[next(sent) % len(bodies)], headers, 201)

    def keep_first(call: Call, status: int, payload: bytes) -> None:
        if status == 201 and not sample:
            sample.append(json.loads(payload))

    latencies, errors = closed_loop(base, clients, concurrency, warmup, seconds, keep_first, label)
    ok, failed = latencies.get("post", []), errors.get("post", Counter())
    ms = np.array(ok) * 1000 if ok else np.array([np.nan])
    stats = Stats(
        concurrency=concurrency,
        seconds=seconds,
        ok=len(ok),
        errors=sum(failed.values()),
        rate=len(ok) / seconds,
        p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)),
        max_ms=float(np.max(ms)),
        error_kinds=dict(failed),
    )
    return stats, (sample[0] if sample else None)


def measure(
    name: str, base: str, path: str, token: str | None, bodies: list[bytes], args: argparse.Namespace
) -> Case:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    loaded, sample = drive(base, path, headers, bodies, args.concurrency, args.warmup, args.seconds, name)
    single = None
    if args.single_seconds > 0:
        single, _ = drive(base, path, headers, bodies, 1, 1.0, args.single_seconds, name)
    observed = None
    if token is not None:
        observed = bool(
            sample and (sample.get("category") or (sample.get("dispatch") or {}).get("explanation"))
        )
    return Case(name, loaded, single, observed)


def run_cases(
    args: argparse.Namespace, stack: ExitStack, log: Callable[[str], None]
) -> tuple[list[Case], list[str]]:
    bodies = load_bodies()
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rexian-bench-")))
    os.chmod(tmp, 0o755)  # pgserver runs postgres as its own user when we are root
    model_dir = get_settings().model_dir
    has_model = (model_dir / "classifier.joblib").exists()
    base_env = {**os.environ, "REXIAN_MODEL_DIR": str(model_dir), "PYTHONUNBUFFERED": "1"}
    base_env.pop("REXIAN_DATABASE_URL", None)
    cases: list[Case] = []
    notes: list[str] = (
        []
        if has_model
        else [
            f"no trained model at {model_dir / 'classifier.joblib'}: intelligence cases skipped (rexian model train)"
        ]
    )
    log(
        f"{len(bodies)} real messages as request bodies; concurrency {args.concurrency}, "
        f"{args.seconds:g} s per case after {args.warmup:g} s warm-up"
    )

    with uvicorn_server("bench_intake:bare_app", base_env, tmp / "bare.log") as base:
        cases.append(measure("bare FastAPI", base, "/bare", None, bodies, args))

    sqlite_home = tmp / "sqlite"
    env = {**base_env, "REXIAN_HOME": str(sqlite_home)}
    log("preparing SQLite (migrate, load Guangzhou, add user)…")
    token = prepare_database(env)
    shutil.copytree(sqlite_home, tmp / "sqlite-intel")  # the same fresh database for each SQLite case
    with uvicorn_server(
        "rexian.web.main:app", {**env, "REXIAN_INTELLIGENCE": "0"}, tmp / "sqlite0.log"
    ) as base:
        cases.append(measure("SQLite intake", base, INTAKE_PATH, token, bodies, args))
    if has_model:
        env = {**base_env, "REXIAN_HOME": str(tmp / "sqlite-intel"), "REXIAN_INTELLIGENCE": "1"}
        with uvicorn_server("rexian.web.main:app", env, tmp / "sqlite1.log") as base:
            cases.append(measure("SQLite intake + intelligence", base, INTAKE_PATH, token, bodies, args))

    if args.no_postgresql:
        return cases, notes
    try:
        import pgserver
    except ImportError:
        notes.append("pgserver not installed: PostgreSQL case skipped")
        return cases, notes
    log("starting PostgreSQL (pgserver) and preparing it…")
    (tmp / "pg").mkdir()
    server = pgserver.get_server(tmp / "pg" / "data", cleanup_mode="stop")
    stack.callback(server.cleanup)
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    env = {
        **base_env,
        "REXIAN_HOME": str(tmp / "pg-home"),
        "REXIAN_DATABASE_URL": url,
        "REXIAN_INTELLIGENCE": "1" if has_model else "0",
    }
    token = prepare_database(env)
    name = "PostgreSQL intake" + (" + intelligence" if has_model else "")
    with uvicorn_server("rexian.web.main:app", env, tmp / "pg.log") as base:
        cases.append(measure(name, base, INTAKE_PATH, token, bodies, args))
    return cases, notes


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def summarise(cases: list[Case]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ratios to the bare endpoint, intelligence against none, and the issues' targets."""
    by = {c.name: c for c in cases}
    bare = by["bare FastAPI"]
    ratios: dict[str, Any] = {
        c.name: {
            "p50_vs_bare": c.loaded.p50_ms / bare.loaded.p50_ms,
            "p99_vs_bare": c.loaded.p99_ms / bare.loaded.p99_ms,
        }
        for c in cases
        if c is not bare
    }
    targets: list[dict[str, Any]] = []
    for c in cases:
        if c.name.startswith("SQLite"):
            targets.append(
                {
                    "target": f"{c.name}: ≥ {TARGET_RATE:g} orders/s",
                    "value": c.loaded.rate,
                    "pass": c.loaded.rate >= TARGET_RATE,
                }
            )
            targets.append(
                {
                    "target": f"{c.name}: p99 < {TARGET_P99_MS:g} ms",
                    "value": c.loaded.p99_ms,
                    "pass": c.loaded.p99_ms < TARGET_P99_MS,
                }
            )
    plain, smart = by.get("SQLite intake"), by.get("SQLite intake + intelligence")
    if plain and smart:
        for phase in ("loaded", "single"):
            a, b = getattr(plain, phase), getattr(smart, phase)
            if a is None or b is None:
                continue
            added = b.p99_ms - a.p99_ms
            ratios[f"intelligence vs none ({phase}, c={a.concurrency})"] = {
                "p50_ratio": b.p50_ms / a.p50_ms,
                "p99_ratio": b.p99_ms / a.p99_ms,
                "added_p99_ms": added,
            }
            targets.append(
                {
                    "target": f"intelligence adds ≤ {TARGET_ADDED_P99_MS:g} ms p99 ({a.concurrency} "
                    f"client{'s' if a.concurrency > 1 else ''})",
                    "value": added,
                    "pass": added <= TARGET_ADDED_P99_MS,
                }
            )
    return ratios, targets


def print_report(
    cases: list[Case], ratios: dict[str, Any], targets: list[dict[str, Any]], notes: list[str]
) -> None:
    print(
        f"{'case':<32} {'clients':>7} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}"
        f"  intelligence"
    )
    for c in cases:
        seen = "" if c.intelligence_observed is None else ("ran" if c.intelligence_observed else "off")
        for s in (c.loaded, c.single):
            if s is not None:
                print(
                    f"{c.name:<32} {s.concurrency:>7} {s.rate:>9.1f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f}"
                    f" {s.max_ms:>8.1f} {s.errors:>7}  {seen}" + (f"  {s.error_kinds}" if s.errors else "")
                )
    print()
    for name, r in ratios.items():
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()))
    print()
    for t in targets:
        print(f"{verdict(t['pass'])}  {t['target']}: {t['value']:.1f}")
    for note in notes:
        print(f"note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per case (loaded)")
    parser.add_argument(
        "--single-seconds",
        type=float,
        default=None,
        help="seconds with one client after each loaded run (default: half of --seconds; 0: none)",
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.single_seconds is None:
        args.single_seconds = args.seconds / 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped on kill too

    def log(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        with ExitStack() as stack:
            cases, notes = run_cases(args, stack, log)
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped")
    ratios, targets = summarise(cases)
    if args.json:
        print(
            json.dumps(
                {
                    "cpus": os.cpu_count(),
                    "concurrency": args.concurrency,
                    "seconds": args.seconds,
                    "cases": [asdict(c) for c in cases],
                    "ratios": ratios,
                    "targets": targets,
                    "notes": notes,
                },
                ensure_ascii=False,
            )
        )
    else:
        print_report(cases, ratios, targets, notes)


if __name__ == "__main__":
    main()
