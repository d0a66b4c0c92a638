"""`rexian callcentre`: staffing plans from Erlang C and simulated days through the routing code."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rexian.domain.callcentre.erlang import staffing_plan
from rexian.domain.callcentre.forecast import SLOTS_PER_DAY, CallForecast
from rexian.domain.callcentre.ledger import Totals

if TYPE_CHECKING:
    from rexian.domain.callcentre.simulator import SimulationConfig

app = typer.Typer(help="Call centre: staffing plan and simulator.", no_args_is_help=True)

CallsPerDay = Annotated[float, typer.Option("--calls-per-day", help="Expected calls in the day.")]
Target = Annotated[float, typer.Option(help="Share of calls to answer within --within seconds.")]
Within = Annotated[float, typer.Option(help="Answer-time threshold in seconds (GB/T 33358: 15).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _slot_label(i: int) -> str:
    return f"{i // 2:02d}:{30 * (i % 2):02d}"


def _day_forecast(calls_per_day: float) -> list[float]:
    return CallForecast.flat(calls_per_day).for_day(date.today())


@app.command()
def plan(
    calls_per_day: CallsPerDay,
    target: Target = 0.8,
    within: Within = 15.0,
    aht: Annotated[float, typer.Option(help="Average handling time (talk + wrap-up), seconds.")] = 240.0,
    as_json: AsJson = False,
) -> None:
    """Agents needed per half hour (Erlang C) for a day of the typical hotline shape."""
    intervals = staffing_plan(_day_forecast(calls_per_day), aht, target, within)
    if as_json:
        typer.echo(json.dumps([asdict(p) | {"start": _slot_label(p.index)} for p in intervals], indent=1))
        return
    typer.echo(f"{'start':>5} {'calls':>7} {'erlangs':>8} {'agents':>6} {'SL':>6} {'ASA s':>6}")
    for p in intervals:
        typer.echo(
            f"{_slot_label(p.index):>5} {p.calls:7.1f} {p.traffic:8.1f} {p.agents:6d} "
            f"{p.service_level:6.1%} {p.asa_s:6.1f}"
        )
    typer.echo(
        f"agent-hours {sum(p.agents for p in intervals) / 2:.1f}, peak {max(p.agents for p in intervals)} agents"
    )


def read_roster(path: Path) -> list[int]:
    """A CSV of `half_hour,agents` rows (half_hour as 0-47 or HH:MM); missing half hours get 0."""
    roster = [0] * SLOTS_PER_DAY
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f):
            if not row or not row[1].strip().isdigit():
                continue  # header or blank line
            slot = row[0].strip()
            hours, _, minutes = slot.partition(":")
            index = int(hours) * 2 + int(minutes) // 30 if minutes else int(slot)
            roster[index] = int(row[1])
    return roster


def _resolve_roster(
    spec: str, calls: list[float], config: SimulationConfig, target: float, within: float
) -> list[int]:
    if spec == "auto":
        return [p.agents for p in staffing_plan(calls, config.aht_s, target, within)]
    if spec.isdigit():
        return [int(spec)] * SLOTS_PER_DAY
    path = Path(spec)
    if not path.is_file():
        raise typer.BadParameter(f"{spec!r} is not a number, 'auto' or a CSV file", param_hint="--agents")
    return read_roster(path)


def _totals_dict(t: Totals) -> dict[str, float | int | None]:
    return asdict(t) | {"service_level": t.service_level, "connection_rate": t.connection_rate}


@app.command()
def simulate(
    calls_per_day: CallsPerDay,
    agents: Annotated[
        str, typer.Option(help="Agents all day (a number), 'auto' (Erlang C plan) or a CSV file.")
    ],
    target: Target = 0.8,
    within: Within = 15.0,
    talk: Annotated[float, typer.Option(help="Mean talk time, seconds (lognormal).")] = 210.0,
    acw: Annotated[float, typer.Option(help="Mean after-call work, seconds.")] = 30.0,
    patience: Annotated[
        float, typer.Option(help="Mean caller patience, seconds; 0: nobody hangs up.")
    ] = 90.0,
    dedicated_seats: Annotated[int, typer.Option(help="免排队 seats for older callers, on top.")] = 2,
    seed: int = 12345,
    as_json: AsJson = False,
) -> None:
    """Simulate one day through the real routing code and report its service levels."""
    from rexian.domain.callcentre.simulator import (  # lazy: numpy, for this only
        SimulationConfig,
        simulate_day,
    )

    config = SimulationConfig(
        talk_mean_s=talk,
        acw_mean_s=acw,
        patience_mean_s=patience or None,
        dedicated_seats=dedicated_seats,
        seed=seed,
    )
    calls = _day_forecast(calls_per_day)
    roster = _resolve_roster(agents, calls, config, target, within)
    started = time.perf_counter()
    report = simulate_day(calls, roster, config)
    elapsed = time.perf_counter() - started
    day = report.day
    summary = {
        "day": _totals_dict(day),
        "older_and_disabled": _totals_dict(report.vulnerable),
        "others": _totals_dict(report.others),
        "transferred_to_110": report.transferred_out,
        "max_waiting": report.max_waiting,
        "agent_hours": sum(roster) / 2,
        "seconds": round(elapsed, 2),
    }
    if as_json:
        summary["by_half_hour"] = [
            _totals_dict(t) | {"start": _slot_label(i), "agents": roster[i]}
            for i, t in enumerate(report.by_interval)
        ]
        typer.echo(json.dumps(summary, indent=1))
        return
    typer.echo(f"offered {day.offered}, answered {day.answered}, abandoned {day.abandoned}")
    typer.echo(f"answered within {within:g} s: {day.service_level:.1%} (target {target:.0%})")
    typer.echo(f"connection rate: {day.connection_rate:.1%} (GB/T 33358: ≥ 95 %)")
    typer.echo(
        f"ASA {day.asa_s:.1f} s, AHT {day.aht_s:.0f} s, ACW {day.acw_s:.0f} s, longest queue {report.max_waiting}"
    )
    typer.echo(
        f"older/disabled callers: ASA {report.vulnerable.asa_s or 0:.1f} s vs {report.others.asa_s or 0:.1f} s"
    )
    typer.echo(
        f"transferred to 110: {report.transferred_out}; agent-hours {sum(roster) / 2:.0f}; simulated in {elapsed:.1f} s"
    )
