"""`rexian report performance` (unit performance, 考核) and `rexian notify` (deliver notices, contacts)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import emit, fail, hotline, operator

notify_app = typer.Typer(help="Notifications: deliver the outbox, set where a unit's notices go.",
                         no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{text}", f"dates are YYYY-MM-DD: {text}")
        raise


def performance(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD (local)")],
    end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD (local)")],
    xlsx: Annotated[Path | None, typer.Option(help="also write the ranking as an Excel workbook")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Unit performance over a period: orders, on-time rates, returns upheld, reopen and satisfaction
    rates, mean handling time, ranking."""
    from rexian.services.performance import performance_xlsx, unit_performance

    first, last = _day(start), _day(end)
    if last < first:
        fail("结束日期早于开始日期", "--to is before --from")
    rows = unit_performance(hotline(), operator(), first, last)
    if xlsx:
        xlsx.write_bytes(performance_xlsx(rows, first, last))
    lines = [f"{p.rank:>3} {p.unit_name}  orders {p.orders}  score {p.score}" for p in rows]
    emit([p.as_dict() for p in rows], as_json, "\n".join(lines) or "no activity")


@notify_app.command("send")
def send(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Deliver the email/SMS notices that are due (failures are retried with backoff)."""
    from rexian.services.notifications import default_senders, deliver_due

    counts = deliver_due(hotline(), default_senders())
    emit(counts, as_json, " ".join(f"{k} {v}" for k, v in counts.items()))


@notify_app.command("contact")
def contact(unit: Annotated[str, typer.Argument(help="unit code")],
            email: Annotated[str | None, typer.Option(help="email address for notices")] = None,
            phone: Annotated[str | None, typer.Option(help="mobile number for SMS notices")] = None) -> None:
    """Set where a unit's email and SMS notices go."""
    from rexian.services.office import set_unit_contact

    set_unit_contact(hotline(), operator(), unit, email, phone)
    typer.echo(f"{unit}: {email or '-'} {phone or '-'}")
