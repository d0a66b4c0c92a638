"""The `rexian` command on a fresh SQLite home: every command has --help, the core ones work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from rexian.cli.main import app
from rexian.config import DATA_DIR

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REXIAN_HOME", str(tmp_path))
    monkeypatch.delenv("REXIAN_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):  # a group (typer ships its own click)
            paths += _command_paths(command, (*prefix, name))
    return paths


def test_every_command_has_help():
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert ("city", "load") in paths and ("sla", "sweep") in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, path


def test_load_cities_add_users_and_issue_tokens(home):
    assert "306 units" in run("city", "load", "guangzhou")
    beijing = json.loads(run("city", "load", "北京市", "--no-activate", "--json"))
    assert beijing["key"] == "beijing" and beijing["units"] > 300 and beijing["active"] is False
    run("user", "add", "ops", "--role", "dispatcher")
    token = run("user", "token", "ops").strip()
    assert len(token) > 30


def test_users_are_listed_deactivated_and_their_tokens_revoked(home):
    run("city", "load", "guangzhou")
    run("user", "add", "ops", "--role", "dispatcher")
    run("user", "token", "ops")
    run("user", "token", "ops")
    [ops] = json.loads(run("user", "list", "--json"))
    assert ops == {"name": "ops", "role": "dispatcher", "unit_code": None, "active": True, "tokens": 2}
    assert "2 token(s) of ops revoked" in run("user", "revoke", "ops")
    assert "ops deactivated" in run("user", "deactivate", "ops")
    assert "ops\tdispatcher\t-\tdeactivated\t0 token(s)" in run("user", "list")
    assert "ops activated" in run("user", "activate", "ops")
    unknown = runner.invoke(app, ["user", "revoke", "nobody"])
    assert unknown.exit_code == 2 and "用户不存在" in unknown.output and "no such user" in unknown.output


def test_a_rules_file_is_tried_with_dry_run_before_it_replaces_the_rules(home, tmp_path: Path):
    run("city", "load", "guangzhou")
    rules = tmp_path / "rules.csv"
    run("rules", "export", str(rules))
    before = rules.read_text(encoding="utf-8")
    rules.write_text(before + "R-NEW,9000,440106,*,天河区,*,烧烤,试行\n", encoding="utf-8")
    impact = json.loads(run("rules", "import", str(rules), "--dry-run", "--json"))
    assert impact["orders"] == 0 and impact["changed"] == 0 and impact["moves"] == []
    assert "dry run, nothing changed: 0 recent orders" in run("rules", "import", str(rules), "--dry-run")
    assert run("rules", "export") == before  # still the rules in force
    rules.write_text(before + "R-BAD,high,440106\n", encoding="utf-8")
    bad = runner.invoke(app, ["rules", "import", str(rules), "--dry-run"])
    assert bad.exit_code == 2 and "规则文件格式有误" in bad.output and "bad rules file" in bad.output
    rules.write_text(before + "R-BIG,99999999999,440106\n", encoding="utf-8")  # more than the column holds
    big = runner.invoke(app, ["rules", "import", str(rules)])
    assert big.exit_code == 2 and "优先级" in big.output and "priority must be from -1000 to 10000" in big.output
    rules.write_text(before + f"R-{'X' * 40},1,440106\n", encoding="utf-8")
    long = runner.invoke(app, ["rules", "import", str(rules)])
    assert long.exit_code == 2 and "too long: id" in long.output


def test_an_unknown_city_is_a_clear_error_in_both_languages(home):
    result = runner.invoke(app, ["city", "load", "atlantis"])
    assert result.exit_code == 2 and "未找到" in result.output and "unknown city" in result.output


def test_a_unit_user_needs_a_unit(home):
    run("city", "load", "guangzhou")
    result = runner.invoke(app, ["user", "add", "clerk", "--role", "unit_staff"])
    assert result.exit_code == 2 and "unit users need a unit" in result.output
    citizen = runner.invoke(app, ["user", "add", "someone", "--role", "citizen"])
    assert citizen.exit_code == 2 and "citizens need no account" in citizen.output
    short = runner.invoke(app, ["user", "add", "ops", "--role", "dispatcher", "--password"], input="short\nshort\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output


def test_import_then_sweep_as_json(home):
    run("city", "load", "guangzhou")
    report = json.loads(run("import", str(DATA_DIR / "beijing12345" / "workorders_2024-08_09.csv"), "--json"))
    assert report["imported"] == 224 and report["format"] == "beijing"
    counts = json.loads(run("sla", "sweep", "--json"))
    assert set(counts) == {"orders", "sign", "reply", "yellow", "counts_folded", "seconds"}


def test_the_period_report_comes_out_as_a_workbook_of_text_and_numbers(home, tmp_path: Path):
    from openpyxl import load_workbook

    run("city", "load", "guangzhou")
    out = tmp_path / "week.xlsx"
    report = json.loads(run("report", "summary", "--period", "week", "--xlsx", str(out), "--json"))
    book = load_workbook(out)
    assert book.sheetnames[:3] == ["概况", "分类", "区域"]
    assert book["概况"]["B3"].value == report["total"]
    assert not [c.coordinate for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_sweep_as_a_service_sweeps_again_until_stopped(home):
    """`--every` keeps one process sweeping (where there is no cron): several sweeps, one JSON line each."""
    env = {**os.environ, "REXIAN_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rexian.cli.main", "sla", "sweep", "--every", "0.2", "--json"],
                            env=env, stdout=subprocess.PIPE, text=True)
    try:
        lines = [json.loads(proc.stdout.readline()) for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert all(set(counts) == {"orders", "sign", "reply", "yellow", "counts_folded", "seconds"} for counts in lines)


def test_a_year_the_calendar_package_lacks_can_be_loaded(home, tmp_path: Path):
    schedule = tmp_path / "2027.csv"
    schedule.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-02-07,workday,春节调休\n", encoding="utf-8")
    assert "2 days loaded" in run("calendar", "load", str(schedule), "--year", "2027")
    wrong = runner.invoke(app, ["calendar", "load", str(schedule), "--year", "2028"])
    assert wrong.exit_code == 2 and "2028" in wrong.output
    empty = tmp_path / "empty.csv"
    empty.write_text("date,kind,name\n", encoding="utf-8")
    nothing = runner.invoke(app, ["calendar", "load", str(empty), "--year", "2027"])
    assert nothing.exit_code == 2 and "no days" in nothing.output
    from rexian.bootstrap import bootstrap

    with bootstrap(intelligence=False).uow.begin() as tx:  # the year loaded above is kept
        assert (date(2027, 1, 1), "holiday") in tx.calendar.days()


def test_orders_are_exported_by_local_day_as_csv_or_excel(home, tmp_path: Path):
    """工单导出 from the CLI: two adjacent day ranges split the imported orders between them, by local day."""
    import csv

    from rexian.adapters.files import read_rows

    run("city", "load", "guangzhou")
    run("import", str(DATA_DIR / "beijing12345" / "workorders_2024-08_09.csv"))
    every = json.loads(run("orders", "export", str(tmp_path / "all.csv"), "--json"))
    august = json.loads(run("orders", "export", str(tmp_path / "aug.csv"), "--to", "2024-08-31", "--json"))
    september = json.loads(run("orders", "export", str(tmp_path / "sep.xlsx"), "--from", "2024-09-01", "--json"))
    assert every == {"file": str(tmp_path / "all.csv"), "rows": 224, "truncated": False}
    assert august["rows"] > 0 and september["rows"] > 0 and august["rows"] + september["rows"] == 224
    with (tmp_path / "aug.csv").open(encoding="utf-8-sig", newline="") as f:
        assert {r["受理时间"][:7] for r in csv.DictReader(f)} == {"2024-08"}
    _, rows = read_rows(tmp_path / "sep.xlsx")
    assert {r["受理时间"][:7] for r in rows} == {"2024-09"}
    housing = json.loads(run("orders", "export", str(tmp_path / "housing.csv"), "--category", "住房", "--json"))
    with (tmp_path / "housing.csv").open(encoding="utf-8-sig", newline="") as f:
        categories = {r["分类"].split("/")[0] for r in csv.DictReader(f)}
    assert 0 < housing["rows"] < 224 and categories == {"住房"}
    refused = runner.invoke(app, ["orders", "export", str(tmp_path / "x.pdf")])
    assert refused.exit_code == 2 and "must end in .xlsx or .csv" in refused.output
