"""The deployment files in deploy/ (docs/deploy.md) are valid: nginx accepts its configuration,
gunicorn's settings match the app, and the partitioning script runs on a migrated PostgreSQL database
that then still takes orders, idempotently, into monthly partitions."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, make_url, text
from tests.integration.conftest import auth
from tests.integration.test_api_lifecycle import SHIPAI, act

from rexian.web.observability import JSON_LIMIT, UPLOAD_LIMIT

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = Path("/usr/sbin/nginx")


def nginx_sizes(conf: str) -> list[int]:
    return [int(n) * 1024 * 1024 for n in re.findall(r"client_max_body_size (\d+)m;", conf)]


@pytest.mark.skipif(not NGINX.exists() or not shutil.which("openssl"), reason="nginx or openssl not installed")
def test_nginx_accepts_the_configuration(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rexian",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    conf = (DEPLOY / "nginx.conf").read_text()
    conf = conf.replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", str(cert))
    conf = conf.replace("/etc/ssl/private/ssl-cert-snakeoil.key", str(key))
    conf = conf.replace("/tmp/rexian-nginx", str(tmp_path / "nginx"))
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    done = subprocess.run([str(NGINX), "-t", "-c", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_nginx_body_limits_are_the_apps():
    assert sorted(nginx_sizes((DEPLOY / "nginx.conf").read_text())) == [JSON_LIMIT, UPLOAD_LIMIT]


def test_gunicorn_settings_use_uvicorn_workers_and_the_apps_json_logs(monkeypatch):
    monkeypatch.setenv("REXIAN_WORKERS", "3")
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    settings: dict = {}
    exec(compile(ast.parse(source), "gunicorn.conf.py", "exec"), settings)
    assert settings["worker_class"] == "uvicorn.workers.UvicornWorker"
    assert settings["workers"] == 3
    assert settings["logconfig_dict"]["formatters"]["json"]["()"].__name__ == "JsonFormatter"
    assert settings["timeout"] > 0 and settings["keepalive"] > 0


def test_the_systemd_unit_starts_gunicorn_with_this_configuration():
    unit = (DEPLOY / "rexian.service").read_text()
    assert re.search(r"^ExecStart=\S+/gunicorn -c \S+/deploy/gunicorn\.conf\.py rexian\.web\.main:app$", unit, re.M)


def test_the_systemd_unit_gives_its_workers_one_fresh_metrics_directory_of_its_own():
    """The workers add up their counters through PROMETHEUS_MULTIPROC_DIR (test_observability); it must be the
    unit's runtime directory (%t is /run), made empty at start and writable under ProtectSystem=strict."""
    unit = (DEPLOY / "rexian.service").read_text()
    runtime = re.search(r"^RuntimeDirectory=(\S+)$", unit, re.M)
    assert runtime and "%N" in runtime[1]  # one per unit: the one-worker CTI copy does not share it
    assert re.search(rf"^Environment=PROMETHEUS_MULTIPROC_DIR=%t/{re.escape(runtime[1])}$", unit, re.M)
    assert not re.search(r"^RuntimeDirectoryPreserve=", unit, re.M)


def test_cron_runs_commands_the_cli_has():
    from typer.main import get_command

    from rexian.cli.main import app

    cli = get_command(app)
    lines = [ln for ln in (DEPLOY / "rexian-periodic.cron").read_text().splitlines() if "&& rexian " in ln]
    assert len(lines) == 2
    for line in lines:
        words = [w for w in line.split("&& rexian ", 1)[1].split(">>")[0].split() if not w.startswith("-")]
        command = cli
        for word in words:
            command = command.commands[word]  # type: ignore[attr-defined]
        assert "--json" in {o for p in command.params for o in p.opts}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_partitioning_keeps_intake_idempotent_and_puts_orders_in_their_month(database_url, client, tokens):
    libpq_url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url, autocommit=True) as raw:  # the script as psql would run it
        raw.execute((DEPLOY / "postgresql" / "partitioning.sql").read_text())
        raw.execute("SELECT rexian_add_month_partitions('2026-09-01', 1)")
    engine = create_engine(database_url)
    headers = {**auth(tokens["agent"]), "Idempotency-Key": "partitioned-1"}
    body = {"content": "石牌街道某小区路灯不亮", "channel": "app"}
    first = client.post("/api/v1/work-orders", json=body, headers=headers)
    second = client.post("/api/v1/work-orders", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200), second.text
    assert first.json()["id"] == second.json()["id"]
    act(client, tokens["dispatcher"], first.json()["id"], "dispatch", unit_code=SHIPAI)
    with engine.connect() as conn:
        where = conn.execute(text("SELECT tableoid::regclass::text FROM work_orders")).scalars().all()
        events = conn.execute(text("SELECT DISTINCT tableoid::regclass::text FROM work_order_events")).scalars().all()
        keys = conn.execute(text("SELECT idempotency_key FROM work_order_keys")).scalars().all()
    engine.dispose()
    assert where == ["work_orders_2026_09"]
    assert events == ["work_order_events_2026_09"]
    assert keys == ["partitioned-1"]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
