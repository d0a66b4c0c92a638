"""gunicorn settings for Rexian: uvicorn workers on a local port, nginx in front (docs/deploy.md).

    gunicorn -c deploy/gunicorn.conf.py rexian.web.main:app

Values come from the environment so one file serves every machine.
"""

import multiprocessing
import os

from rexian.web.observability import logging_config

bind = os.environ.get("REXIAN_BIND", "127.0.0.1:8000")
worker_class = "uvicorn.workers.UvicornWorker"
workers = int(os.environ.get("REXIAN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
# Keep-alive towards nginx; longer than nginx's upstream keepalive_timeout so gunicorn never closes first.
keepalive = 75
# A request that takes longer is a bug or a stuck database; the worker is replaced.
timeout = 60
graceful_timeout = 30
# Recycle workers now and then so slow leaks (caches, fragmentation) cannot grow without bound.
max_requests = 20000
max_requests_jitter = 2000
# Trust X-Forwarded-* only from nginx on this machine.
forwarded_allow_ips = os.environ.get("REXIAN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Structured JSON logs with the request id (rexian.web.observability); the app writes its own access log.
logconfig_dict = logging_config(os.environ.get("REXIAN_LOG_LEVEL", "INFO"))
accesslog = None
