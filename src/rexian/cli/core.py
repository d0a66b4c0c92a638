"""Core commands: serve, db, city, user, import, sla, calendar, seed-demo."""

from __future__ import annotations

import csv
import functools
import getpass
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rexian.config import get_settings
from rexian.domain.errors import DomainError
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor

db_app = typer.Typer(help="Database: migrations and copying to another database.", no_args_is_help=True)
city_app = typer.Typer(help="Cities: load a city's units and routing rules.", no_args_is_help=True)
user_app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
sla_app = typer.Typer(help="Time limits: the overdue sweep.", no_args_is_help=True)
calendar_app = typer.Typer(help="The working-day calendar: load a year's official schedule.",
                           no_args_is_help=True)


def operator() -> Actor:
    """Whoever runs the CLI on the server acts as an administrator, recorded by OS user."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - containers may have no passwd entry
        who = "operator"
    return Actor(f"cli:{who}", Role.ADMIN)


def fail(zh: str, en: str) -> NoReturn:
    """Print a bilingual error and exit with status 2 (no traceback)."""
    typer.echo(f"错误：{zh}\nError: {en}", err=True)
    raise typer.Exit(2)


def failing_clearly(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` with its domain errors (bad input, a broken rule, no permission) printed in both languages and
    exit status 2 instead of a traceback; rexian.cli.main wraps every command with it."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as e:
            fail(e.message_zh, e.message_en)

    return run


def hotline(intelligence: bool = False):  # noqa: ANN201 - lazy import keeps --help fast
    from rexian.bootstrap import bootstrap

    return bootstrap(intelligence=intelligence)


def emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str) if as_json else text)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database (REXIAN_DATABASE_URL or var/rexian.db)."""
    from rexian.adapters.db.migrate import upgrade

    url = get_settings().database_url
    upgrade(url)
    typer.echo(f"database at head: {url.split('@')[-1]}")


@city_app.command("load")
def city_load(name: Annotated[str, typer.Argument(help="city name in pinyin or Chinese: beijing, 北京市")],
              activate: Annotated[bool, typer.Option(help="make it the hotline's active city")] = True,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Load a city's districts, streets/towns (and departments where the repo has them)."""
    from rexian.services.cities import load_city_into

    try:
        result = load_city_into(hotline(), name, operator(), activate)
    except ValueError as e:
        fail(str(e).split(" / ")[0], str(e).split(" / ")[-1])
    emit(result, as_json, f"{result['city']}: {result['units']} units ({result['new_units']} new), "
                          f"{result['rules']} routing rules{', active' if activate else ''}")


@user_app.command("add")
def user_add(name: str, role: Annotated[Role, typer.Option(help="the user's role")],
             unit: Annotated[str | None, typer.Option(help="unit code, for unit staff")] = None,
             password: Annotated[bool, typer.Option("--password", help="prompt for a log-in password")] = False
             ) -> None:
    """Add a user with a role (and a unit for unit staff)."""
    from rexian.services.auth import add_user

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    add_user(hotline(), name, role, operator(), unit, secret)
    typer.echo(f"user {name} added as {role.value}")


@user_app.command("token")
def user_token(name: str) -> None:
    """Print a new bearer token for a user (only its hash is stored)."""
    from rexian.services.auth import issue_token

    typer.echo(issue_token(hotline(), name, operator()))


@user_app.command("list")
def user_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every user: role, unit, active or not, live tokens."""
    from rexian.services.auth import list_users

    users = list_users(hotline(), operator())
    emit(users, as_json, "\n".join(
        f"{u['name']}\t{u['role']}\t{u['unit_code'] or '-'}\t{'active' if u['active'] else 'deactivated'}"
        f"\t{u['tokens']} token(s)" for u in users) or "no users")


@user_app.command("deactivate")
def user_deactivate(name: str) -> None:
    """Stop a user (someone who left, a lost device): no log-in, their sessions and tokens stop working."""
    _set_active(name, False)


@user_app.command("activate")
def user_activate(name: str) -> None:
    """Let a deactivated user log in and use their tokens again."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    from rexian.services.auth import set_active

    set_active(hotline(), name, active, operator())
    typer.echo(f"user {name} {'activated' if active else 'deactivated'}")


@user_app.command("revoke")
def user_revoke(name: str) -> None:
    """Revoke every API token of a user (a leaked token, a retired system); issue a new one with `token`."""
    from rexian.services.auth import revoke_tokens

    revoked = revoke_tokens(hotline(), name, operator())
    typer.echo(f"{revoked} token(s) of {name} revoked")


@sla_app.command("sweep")
def sla_sweep(as_json: Annotated[bool, typer.Option("--json")] = False,
              every: Annotated[float, typer.Option(
                  min=0, help="Sweep again every SECONDS until stopped (a service, where there is no cron); "
                              "0: once.")] = 0) -> None:
    """Mark overdue orders, record reminders/supervision and remind units near the reply deadline; fold past
    days' dashboard counts (idempotent; safe every minute from cron, and on several servers at once)."""
    import time

    from rexian.services.analytics import fold_order_counts
    from rexian.services.workorders import sweep_deadlines

    hl = hotline()
    while True:
        began = time.perf_counter()
        try:
            counts = {**sweep_deadlines(hl), "counts_folded": fold_order_counts(hl),
                      "seconds": round(time.perf_counter() - began, 3)}
        except Exception as exc:  # noqa: BLE001 - a service keeps going; the next sweep catches up
            if not every:
                raise
            typer.echo(f"错误：本轮超时扫描失败，{every:g} 秒后重试\nError: the sweep failed ({exc!r}); "
                       f"trying again in {every:g} s", err=True)
        else:
            emit(counts, as_json, f"{counts['orders']} orders marked: {counts['sign']} late sign-for, "
                                  f"{counts['reply']} late replies; {counts['yellow']} reminded near the deadline")
        if not every:
            return
        time.sleep(every)


@calendar_app.command("load")
def calendar_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                  year: Annotated[int, typer.Option(help="the year the file describes")]) -> None:
    """Load a year's official schedule: CSV with columns date,kind,name (kind: holiday or workday)."""
    from rexian.services.calendar import load_year

    try:
        with file.open(encoding="utf-8-sig", newline="") as f:
            rows = [(date.fromisoformat(r["date"].strip()), r["kind"].strip(), (r.get("name") or "").strip())
                    for r in csv.DictReader(f)]
        n = load_year(hotline(), year, rows, operator())
    except (KeyError, ValueError) as e:
        fail(f"日历文件格式有误：{e}", f"bad calendar file: {e} (columns: date,kind,name)")
    typer.echo(f"{year}: {n} days loaded")


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, CSV.GZ or XLSX export")],
    fmt: Annotated[str | None, typer.Option("--format", help="teddy or beijing (default: detect)")] = None,
    mapping: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN, e.g. content=内容")] = None,
    dispatch: Annotated[bool, typer.Option(help="classify, locate and dispatch each imported order")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import another system's export; rows already imported are skipped, bad rows reported."""
    from tqdm import tqdm

    from rexian.services.importing import import_file

    pairs = dict(m.split("=", 1) for m in mapping or [] if "=" in m)
    with tqdm(desc=f"import {file.name}", unit=" rows", disable=as_json) as bar:
        report = import_file(hotline(intelligence=dispatch), file, operator(), fmt, pairs, dispatch,
                             progress=bar.update)
    data = report.as_dict()
    lines = [f"{data['imported']} imported, {data['skipped_existing']} already there, "
             f"{data['rejected']} rejected (of {data['total']} rows, format {data['format']})"]
    lines += [f"  line {r['line']}: {r['reason']} / {r['reason_en']}" for r in report.rejected[:20]]
    emit(data, as_json, "\n".join(lines))


def serve(host: Annotated[str, typer.Option()] = "127.0.0.1", port: Annotated[int, typer.Option()] = 8000,
          workers: Annotated[int, typer.Option()] = 1) -> None:
    """Serve the web app and the API (docs at /docs)."""
    import uvicorn

    uvicorn.run("rexian.web.main:app", host=host, port=port, workers=workers, log_level="info")


def seed_demo(orders: Annotated[int, typer.Option(help="how many demo orders")] = 300) -> None:
    """Seed the demo: one user per role and a few hundred orders in every state, from real messages."""
    from rexian.services.demo import seed

    summary = seed(hotline(intelligence=True), operator(), orders)
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
