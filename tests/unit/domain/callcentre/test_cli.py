"""`rexian callcentre plan|simulate` end to end on a small day."""

import json

from typer.testing import CliRunner

from rexian.cli.main import app

runner = CliRunner()


def test_plan_prints_one_row_per_half_hour_meeting_the_target():
    result = runner.invoke(app, ["callcentre", "plan", "--calls-per-day", "3000", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 48
    assert all(r["service_level"] >= 0.8 for r in rows if r["agents"])
    assert rows[18]["start"] == "09:00"


def test_simulate_with_the_auto_plan_reports_the_day(tmp_path):
    result = runner.invoke(
        app, ["callcentre", "simulate", "--calls-per-day", "2000", "--agents", "auto", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["day"]["offered"] == summary["day"]["answered"] + summary["day"]["abandoned"]
    assert len(summary["by_half_hour"]) == 48


def test_simulate_reads_a_roster_csv_and_leaves_unlisted_half_hours_empty(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("half_hour,agents\n09:00,4\n19,5\n", encoding="utf-8")
    result = runner.invoke(
        app, ["callcentre", "simulate", "--calls-per-day", "500", "--agents", str(roster), "--json"]
    )
    assert result.exit_code == 0, result.output
    agents = [row["agents"] for row in json.loads(result.output)["by_half_hour"]]
    assert agents[18:20] == [4, 5]
    assert sum(agents) == 9


def test_simulate_refuses_an_unknown_plan():
    result = runner.invoke(app, ["callcentre", "simulate", "--calls-per-day", "500", "--agents", "lots"])
    assert result.exit_code != 0
