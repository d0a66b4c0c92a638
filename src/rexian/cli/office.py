"""`rexian report performance` (unit performance, 考核), `rexian orders export` (工单导出) and `rexian notify`
(deliver notices, contacts)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import emit, fail, hotline, operator

orders_app = typer.Typer(help="Work orders: export what a search finds (工单导出).", no_args_is_help=True)
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


@orders_app.command("export")
def export_orders(
    file: Annotated[Path, typer.Argument(help="where to write: .xlsx (Excel) or .csv (UTF-8 with BOM)")],
    start: Annotated[str | None, typer.Option("--from", help="received on or after this local day, YYYY-MM-DD")
                     ] = None,
    end: Annotated[str | None, typer.Option("--to", help="received on or before this local day, YYYY-MM-DD")] = None,
    status: Annotated[list[str] | None, typer.Option(help="a status (repeat for several), e.g. dispatched")] = None,
    district: Annotated[str | None, typer.Option(help="district, e.g. 天河区")] = None,
    unit: Annotated[str | None, typer.Option(help="handling unit code")] = None,
    category: Annotated[str | None, typer.Option(help="a category or its path prefix, e.g. 城乡建设")] = None,
    text: Annotated[str | None, typer.Option(help="the order code, or words in its title or content")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help="only late, or only not late")
                       ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Export the orders that match (the newest 10,000 at most), phones masked; the export is audited."""
    from rexian.services import order_export as export

    writers = {".xlsx": export.export_xlsx, ".csv": export.export_csv}
    if file.suffix.lower() not in writers:
        fail(f"导出文件须为 .xlsx 或 .csv：{file.name}", f"the export file must end in .xlsx or .csv: {file.name}")
    first, last = (_day(start) if start else None), (_day(end) if end else None)
    if first and last and last < first:
        fail("结束日期早于开始日期", "--to is before --from")
    hl = hotline()
    f = export.search_filter(hl.clock.now(), text=text, statuses=status or (), district=district, unit=unit,
                             category=category, overdue=overdue, first=first, last=last)
    done = export.export_orders(hl, operator(), f)
    file.write_bytes(writers[file.suffix.lower()](done))
    result = {"file": str(file), "rows": len(done.orders), "truncated": done.truncated}
    emit(result, as_json, f"{len(done.orders)} orders written to {file}"
         + (f" (more matched: only the newest {len(done.orders)})" if done.truncated else ""))


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
