"""Operations around every request: a request id, JSON logs, Prometheus metrics, a body-size limit.

One pure ASGI middleware (cheaper than BaseHTTPMiddleware on the intake hot path) does the per-request
work; /metrics serves the request counters and gauges counted in the database on scrape, so a scrape reports
the same overdue and queue figures whichever worker answers it. The counters are this process's, or with
PROMETHEUS_MULTIPROC_DIR set (deploy/rexian.service does) those of every worker writing to that directory.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rexian.adapters.db.tables import work_orders
from rexian.domain.workorder import OPEN, Action, Status, WorkOrder
from rexian.services.context import Hotline

request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("rexian.access")

JSON_LIMIT = 1024 * 1024  # any body that is not a file upload
UPLOAD_LIMIT = 11 * 1024 * 1024  # multipart: one 10 MB attachment and its form fields
INTAKE_ROUTES = frozenset({"/api/v1/work-orders", "/open311/v2/requests.{fmt}"})
QUEUES = {"review": Status.REVIEW, "returned": Status.RETURNED, "callback": Status.REPLIED}
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the request id of the request being served (for log shippers)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": datetime.fromtimestamp(record.created).astimezone().isoformat(),
                                 "level": record.levelname, "logger": record.name,
                                 "message": record.getMessage(), "request_id": request_id.get()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A dictConfig sending every log line (uvicorn's too) to stderr as JSON; for gunicorn's logconfig_dict."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter}}, "handlers": {"stderr": handler},
            "root": {"handlers": ["stderr"], "level": level},
            "loggers": {"uvicorn.access": {"level": "WARNING"}}}  # our access log replaces it


class Metrics:
    """The process's counters; one registry per app so that test apps do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("rexian_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("rexian_http_request_seconds", "HTTP request duration", ["method", "route"],
                                 registry=self.registry)
        self.intakes = Counter("rexian_intakes", "work orders created through the API", registry=self.registry)
        self.dispatch = Histogram("rexian_dispatch_latency_seconds", "time from intake to dispatch",
                                  buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600, 72 * 3600),
                                  registry=self.registry)

    def on_commit(self, order: WorkOrder, action: Action) -> None:
        if action == Action.DISPATCH and order.dispatched_at:
            self.dispatch.observe(max(0.0, (order.dispatched_at - order.received_at).total_seconds()))


class OrderGauges(Collector):
    """Overdue orders and the office's queues, two indexed counts per scrape."""

    def __init__(self, hl: Hotline) -> None:
        self.hl = hl

    def collect(self) -> Iterable[GaugeMetricFamily]:
        open_statuses = [s.value for s in OPEN if s != Status.SUSPENDED]
        with self.hl.uow.begin() as tx:
            by_status = dict(tx.conn.execute(select(work_orders.c.status, func.count())
                                             .group_by(work_orders.c.status)).all())
            overdue = tx.conn.execute(select(func.count()).where(
                work_orders.c.status.in_(open_statuses), work_orders.c.reply_due < self.hl.clock.now())).scalar()
        queues = GaugeMetricFamily("rexian_queue_size", "orders waiting in an office queue", labels=["queue"])
        for name, status in QUEUES.items():
            queues.add_metric([name], by_status.get(status.value, 0))
        yield queues
        yield GaugeMetricFamily("rexian_overdue_orders", "open orders past their reply deadline", value=overdue or 0)
        statuses = GaugeMetricFamily("rexian_orders", "orders by status", labels=["status"])
        for status, count in sorted(by_status.items()):
            statuses.add_metric([status], count)
        yield statuses


class RequestMiddleware:
    """Request id in and out, a 413 for oversized bodies, an access-log line and metrics per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, json_limit: int = JSON_LIMIT,
                 upload_limit: int = UPLOAD_LIMIT) -> None:
        self.app, self.metrics = app, metrics
        self.json_limit, self.upload_limit = json_limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500
        limit = self.upload_limit if headers.get("content-type", "").startswith("multipart/") else self.json_limit
        try:
            if int(headers.get("content-length") or 0) > limit:
                status = 413
                await _too_large(limit)(scope, receive, _with_id(send, rid))
                return
            received = 0

            async def counted() -> Message:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
                return message

            async def sent(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await _with_id(send, rid)(message)

            try:
                await self.app(scope, counted, sent)
            except _TooLarge:
                status = 413
                await _too_large(limit)(scope, receive, _with_id(send, rid))
        except ValueError:  # a Content-Length that is not a number
            status = 400
            await JSONResponse({"detail": "bad Content-Length"}, 400)(scope, receive, _with_id(send, rid))
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(seconds)
        if method == "POST" and status == 201 and route in INTAKE_ROUTES:
            self.metrics.intakes.inc()
        if access_log.isEnabledFor(logging.INFO):
            access_log.info("%s %s %s", method, scope["path"], status, extra={"fields": {
                "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 2)}})


class _TooLarge(HTTPException):
    """Raised from the body stream; an HTTPException so FastAPI's body parsing lets it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return f"请求体过大（上限 {limit} 字节） / request body too large (limit {limit} bytes)"


def _too_large(limit: int) -> Response:
    return JSONResponse({"detail": _too_large_message(limit)}, 413)


def _with_id(send: Send, rid: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
        await send(message)

    return wrapped


def install_observability(app: FastAPI) -> None:
    """Add the request middleware, /metrics and the dispatch-latency listener to `app`."""
    metrics = Metrics()
    hl: Hotline = app.state.hotline
    hl.listeners.append(metrics.on_commit)
    metrics.registry.register(OrderGauges(hl))
    app.add_middleware(RequestMiddleware, metrics=metrics)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus() -> Response:
        registry = metrics.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up their files
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(OrderGauges(hl))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def database_ok(request: Request) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with request.app.state.hotline.uow.begin() as tx:
            tx.conn.exec_driver_sql("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure to reach the database means unhealthy
        logging.getLogger(__name__).exception("health check: database unreachable")
        return False
    return True
