"""Request ids, JSON logs, Prometheus metrics, the health check and the body-size limit."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import free_port
from tests.integration.conftest import SHIPAI, auth
from tests.integration.test_api_lifecycle import act, file_order

from rexian.domain.clock import FixedClock
from rexian.services.context import Hotline
from rexian.web.app import create_app
from rexian.web.observability import JSON_LIMIT, JsonFormatter, request_id


def _metric(client: TestClient, line_start: str) -> float:
    text = client.get("/metrics").text
    return float(next(line for line in text.splitlines() if line.startswith(line_start)).split()[-1])


def test_a_request_id_is_kept_when_sane_and_replaced_when_hostile(client):
    assert client.get("/health", headers={"X-Request-ID": "call-42.a"}).headers["x-request-id"] == "call-42.a"
    hostile = client.get("/health", headers={"X-Request-ID": "x\" ; DROP TABLE work_orders; <script>"})
    fresh = client.get("/health").headers["x-request-id"]
    assert hostile.headers["x-request-id"] != fresh and len(fresh) == 32 and fresh.isalnum()
    assert "<" not in hostile.headers["x-request-id"]


def test_log_lines_are_json_carrying_the_request_id():
    token = request_id.set("req-7")
    try:
        record = logging.LogRecord("rexian.test", logging.INFO, __file__, 1, "已受理 %s", ("GZ-1",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["request_id"] == "req-7" and line["message"] == "已受理 GZ-1" and line["level"] == "INFO"


def test_the_access_log_names_the_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="rexian.access"):
        client.get("/health", headers={"X-Request-ID": "trace-me"})
    record = next(r for r in caplog.records if r.name == "rexian.access")
    assert record.message == "GET /health 200"
    assert record.fields["status"] == 200 and record.fields["route"] == "/health"  # type: ignore[attr-defined]


def test_metrics_count_intakes_dispatch_latency_queues_and_overdue_orders(client, tokens, clock: FixedClock):
    assert _metric(client, "rexian_intakes_total") == 0
    orders = [file_order(client, tokens["agent"]) for _ in range(3)]
    assert _metric(client, "rexian_intakes_total") == 3
    clock.advance(minutes=30)
    act(client, tokens["dispatcher"], orders[0]["id"], "dispatch", unit_code=SHIPAI)
    assert _metric(client, "rexian_dispatch_latency_seconds_count") == 1
    assert _metric(client, "rexian_dispatch_latency_seconds_sum") == 1800
    assert _metric(client, 'rexian_overdue_orders') == 0
    clock.advance(days=60)
    assert _metric(client, 'rexian_overdue_orders') == 3
    assert _metric(client, 'rexian_queue_size{queue="review"}') >= 0
    assert _metric(client, 'rexian_orders{status="dispatched"}') == 1


def _metric_of(base: str, line_start: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return float(next(line for line in text.splitlines() if line.startswith(line_start)).split()[-1])


def _app_process(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`rexian.web.main:app` in a uvicorn process of its own, as a gunicorn worker runs it; its base URL."""
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "uvicorn", "rexian.web.main:app", "--port", str(port),
                                    "--log-level", "warning"], env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def _wait_until_up(process: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def test_app_processes_sharing_a_metrics_directory_each_report_the_counts_of_all(database_url, tmp_path):
    """Behind gunicorn a scrape reaches whichever worker nginx picks. With PROMETHEUS_MULTIPROC_DIR (which
    deploy/rexian.service sets) every worker's /metrics adds up the counters of all of them: two app processes
    that took 2 and 3 intakes both report 5."""
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "REXIAN_DATABASE_URL": database_url, "REXIAN_HOME": str(tmp_path / "home"),
           "REXIAN_INTELLIGENCE": "0", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    apps = [_app_process(env, tmp_path / f"app{i}.log") for i in (1, 2)]
    try:
        for (process, base), i in zip(apps, (1, 2), strict=True):
            _wait_until_up(process, base, tmp_path / f"app{i}.log")
        body = json.dumps({"content": "石牌村路口路灯不亮已经一周", "channel": "web"}).encode()
        for (_, base), intakes in zip(apps, (2, 3), strict=True):
            for _ in range(intakes):
                request = urllib.request.Request(f"{base}/api/v1/work-orders", body,
                                                 {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    assert response.status == 201
        for _, base in apps:
            assert _metric_of(base, "rexian_intakes_total") == 5
            assert _metric_of(base, 'rexian_http_requests_total{method="POST",route="/api/v1/work-orders"') == 5
    finally:
        for process, _ in apps:
            process.terminate()
            process.wait(10)


def test_the_health_check_answers_503_when_the_database_is_down(hotline: Hotline, clock):
    with TestClient(create_app(hotline)) as up:
        assert up.get("/health").json() == {"status": "ok"}
    down = Hotline(uow=_UnreachableDatabase(), clock=clock, city=hotline.city)  # type: ignore[arg-type]
    with TestClient(create_app(down)) as c:
        assert c.get("/health").status_code == 503


class _UnreachableDatabase:
    def begin(self, write: bool = False):  # noqa: ANN201
        raise ConnectionRefusedError("database server is gone")


@pytest.mark.parametrize("size", [JSON_LIMIT + 1, 5 * JSON_LIMIT])
def test_an_oversized_json_body_is_refused_with_413(client, tokens, size):
    body = json.dumps({"content": "噪" * (size // 3 + 1), "channel": "phone"})
    response = client.post("/api/v1/work-orders", content=body, headers={
        **auth(tokens["agent"]), "Content-Type": "application/json"})
    assert response.status_code == 413 and response.headers["x-request-id"]


def test_an_oversized_body_without_a_length_is_refused_while_streaming(client, tokens):
    chunks = (b"x" * 65536 for _ in range(JSON_LIMIT // 65536 + 2))
    response = client.post("/api/v1/work-orders", content=chunks, headers={
        **auth(tokens["agent"]), "Content-Type": "application/json"})
    assert response.status_code == 413, response.text


def test_a_body_just_under_the_limit_is_read(client, tokens):
    body = json.dumps({"content": "油烟扰民" + " " * (JSON_LIMIT - 200), "channel": "phone"})
    response = client.post("/api/v1/work-orders", content=body, headers={
        **auth(tokens["agent"]), "Content-Type": "application/json"})
    assert response.status_code != 413
