"""工单查询 as people ask for it (local days, empty meaning any) and 工单导出: the orders a reader may see that
match, as CSV or Excel, personal data masked as on screen.

An export is a bulk read of citizens' appeals, so every export is audited (who, which filter, how many rows).
It holds at most EXPORT_CAP orders, the newest first; a wider filter is cut there and says so."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import xlsxwriter

from rexian.adapters.db.repositories import COUNT_CAP, OrderFilter
from rexian.adapters.files import XLSX_TEXT
from rexian.domain.access import check_write
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import InvalidInput
from rexian.domain.workorder import Actor, Status
from rexian.services import workorders as uc
from rexian.services.context import Hotline
from rexian.services.views import order_view

EXPORT_CAP = COUNT_CAP


def search_filter(now: datetime, *, text: str | None = None, phone: str | None = None, statuses: Sequence[str] = (),
                  district: str | None = None, unit: str | None = None, category: str | None = None,
                  overdue: bool | None = None, first: date | None = None, last: date | None = None) -> OrderFilter:
    """The orders received from local day `first` to local day `last` (both included) with the other fields as
    given; a blank field means any. An unknown status is refused."""
    unknown = [s for s in statuses if s not in Status.__members__.values()]
    if unknown:
        raise InvalidInput(f"未知状态：{unknown[0][:40]}", f"unknown status: {unknown[0][:40]}")

    def midnight(day: date | None) -> datetime | None:
        return datetime.combine(day, time(), LOCAL_TZ) if day else None

    def given(value: str | None) -> str | None:
        return (value or "").strip() or None

    return OrderFilter(status=tuple(statuses), unit_codes=[unit.strip()] if given(unit) else None,
                       district=given(district), category=given(category), overdue=overdue,
                       created_from=midnight(first),
                       created_to=midnight(last + timedelta(days=1) if last else None), text=given(text),
                       phone=given(phone), now=now)


Label = Callable[[str, str], str]  # (vocabulary, value) → the value in the reader's language


def as_is(vocabulary: str, value: str) -> str:
    return value


def _time(at: Any) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


# (heading, the cell from an order as its reader sees it (services.views.order_view), with `label`)
COLUMNS: list[tuple[str, Callable[[dict[str, Any], Label], Any]]] = [
    ("工单编号", lambda o, _: o["code"]),
    ("受理时间", lambda o, _: _time(o["received_at"])),
    ("状态", lambda o, label: label("status", o["status"])),
    ("渠道", lambda o, label: label("channel", o["channel"])),
    ("诉求类型", lambda o, label: label("appeal_type", o["appeal_type"])),
    ("紧急程度", lambda o, label: label("urgency", o["urgency"])),
    ("标题", lambda o, _: o["title"]),
    ("诉求内容", lambda o, _: o["content"]),
    ("分类", lambda o, _: o["category"] or ""),
    ("区", lambda o, _: o["location"]["district"] or ""),
    ("街镇", lambda o, _: o["location"]["street"] or ""),
    ("地址", lambda o, _: o["location"]["address"] or ""),
    ("来电人", lambda o, _: o["caller"]["name"] or ""),
    ("联系电话", lambda o, _: o["caller"]["phone"] or ""),
    ("承办单位", lambda o, _: o["unit"]["name"] if o["unit"] else ""),
    ("派单时间", lambda o, _: _time(o["dispatched_at"])),
    ("签收时限", lambda o, _: _time(o["deadlines"]["sign"]["due"])),
    ("答复时限", lambda o, _: _time(o["deadlines"]["reply"]["due"])),
    ("答复时间", lambda o, _: _time(o["replied_at"])),
    ("答复内容", lambda o, _: o["reply_text"] or ""),
    ("满意度", lambda o, label: label("satisfaction", o["satisfaction"]) if o["satisfaction"] else ""),
    ("超期", lambda o, _: "、".join(o["overdue"])),
]
HEADINGS = [heading for heading, _ in COLUMNS]


@dataclass
class Export:
    orders: list[dict[str, Any]]  # as the reader sees them
    matching: int  # how many orders matched, up to EXPORT_CAP + 1

    @property
    def truncated(self) -> bool:
        return self.matching > len(self.orders)


def export_orders(hl: Hotline, actor: Actor, f: OrderFilter) -> Export:
    """The newest EXPORT_CAP orders `actor` may see that match `f`; the export is audited."""
    check_write(actor, "search_orders")
    orders, matching = uc.list_orders(hl, actor, f, EXPORT_CAP, 0)
    now, names, policy = hl.clock.now(), hl.unit_names(), hl.policy()
    views = [order_view(o, actor, policy, now, names) for o in orders]
    with hl.uow.begin(write=True) as tx:
        criteria = {k: (list(v) if isinstance(v, tuple | list) else v) for k, v in asdict(f).items()
                    if v not in (None, (), []) and k not in ("now", "phone")}
        tx.audit.record(now, actor.name, "export", "work_order", None,
                        {"role": actor.role.value, "filter": {k: str(v) for k, v in criteria.items()},
                         "by_phone": bool(f.phone), "rows": len(views)})
        tx.commit()
    return Export(views, matching)


def rows(export: Export, label: Label = as_is) -> list[list[Any]]:
    return [[cell(order, label) for _, cell in COLUMNS] for order in export.orders]


def _defused(value: Any) -> Any:
    """A CSV cell a spreadsheet would run as a formula (=, +, -, @, a tab or carriage return first) starts
    with an apostrophe instead (OWASP's advice against CSV injection)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(export: Export, label: Label = as_is) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text as such."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    writer.writerows([_defused(v) for v in row] for row in rows(export, label))
    return ("\ufeff" + out.getvalue()).encode()


def export_xlsx(export: Export, label: Label = as_is) -> bytes:
    """One sheet, the headings bold and frozen; text stays text (no formulas, no links)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **XLSX_TEXT})
    sheet = book.add_worksheet("工单")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, HEADINGS, bold)
    for r, row in enumerate(rows(export, label), 1):
        sheet.write_row(r, 0, row)
    if export.truncated:
        sheet.write(len(export.orders) + 2, 0, f"仅导出最新的 {len(export.orders)} 条（匹配超过 {EXPORT_CAP} 条）", bold)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 16)
    sheet.set_column(6, 7, 40)
    book.close()
    return buffer.getvalue()
