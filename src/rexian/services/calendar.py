"""Operator-loaded working-day schedules (a year the calendar package does not know yet)."""

from __future__ import annotations

from datetime import date

from rexian.domain.access import check_write
from rexian.domain.errors import InvalidInput
from rexian.domain.workorder import Actor
from rexian.services.context import Hotline, mark_changed


def load_year(hl: Hotline, year: int, rows: list[tuple[date, str, str]], actor: Actor) -> int:
    """Replace `year`'s schedule with `rows` of (day, "holiday" | "workday", name)."""
    check_write(actor, "manage_rules")
    if not rows:  # every year has holidays: an empty file is a wrong file, not a year to wipe
        raise InvalidInput("文件中没有任何日期", f"the file holds no days for {year} (columns: date,kind,name)")
    for day, kind, _ in rows:
        if day.year != year:
            raise InvalidInput(f"{day} 不属于 {year} 年", f"{day} is not in {year}")
        if kind not in ("holiday", "workday"):
            raise InvalidInput(f"未知的日期类型：{kind}", f"kind must be holiday or workday, not {kind!r}")
    with hl.uow.begin(write=True) as tx:
        tx.calendar.replace_year(year, rows)
        mark_changed(tx, "calendar")
        tx.audit.record(hl.clock.now(), actor.name, "calendar.load", "calendar", str(year), {"days": len(rows)})
        tx.commit()
    hl.forget("calendar")
    return len(rows)
