"""Unit performance (考核) per period, from the orders and their event history.

Per unit: orders assigned, on-time sign-for and reply rates, returns and how many were upheld
(the office then gave the order to another unit; a joint review or backstop that sent it back to
the same unit does not uphold it), reopen and satisfaction rates over callbacks on the unit's
replies, mean handling time from assignment to reply, and a ranking by the mean of the rates.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from itertools import groupby
from typing import Any

import xlsxwriter

from rexian.adapters.db.repo_office import events_of_orders_active_between
from rexian.adapters.files import XLSX_TEXT
from rexian.domain.access import check_write
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.vocabulary import Satisfaction, Urgency
from rexian.domain.workorder import Action, Actor
from rexian.services.context import Hotline

ASSIGNING = {Action.DISPATCH.value, Action.REASSIGN.value, Action.DECIDE.value, Action.BACKSTOP.value,
             Action.PASS_DOWN.value}
SATISFIED = {Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value}


@dataclass
class UnitPerformance:
    unit_code: str
    unit_name: str = ""
    orders: int = 0
    signed: int = 0
    signed_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    returns: int = 0
    returns_upheld: int = 0
    callbacks: int = 0
    satisfied: int = 0
    reopened: int = 0
    handling_hours_total: float = 0.0
    rank: int = 0
    order_ids: set[int] = field(default_factory=set, repr=False)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def sign_on_time_rate(self) -> float | None:
        return self._rate(self.signed_on_time, self.signed)

    @property
    def reply_on_time_rate(self) -> float | None:
        return self._rate(self.replied_on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.callbacks)

    @property
    def reopen_rate(self) -> float | None:
        return self._rate(self.reopened, self.callbacks)

    @property
    def mean_handling_hours(self) -> float | None:
        return round(self.handling_hours_total / self.replied, 1) if self.replied else None

    @property
    def score(self) -> float | None:
        rates = [r for r in (self.sign_on_time_rate, self.reply_on_time_rate, self.satisfaction_rate,
                             None if self.reopen_rate is None else 1 - self.reopen_rate) if r is not None]
        return round(sum(rates) / len(rates), 4) if rates else None

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("order_ids", "handling_hours_total")}
        for name in ("sign_on_time_rate", "reply_on_time_rate", "satisfaction_rate", "reopen_rate",
                     "mean_handling_hours", "score"):
            data[name] = getattr(self, name)
        return data


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local calendar days [start, end] as UTC-aware instants [from, to)."""
    return (datetime.combine(start, time.min, LOCAL_TZ),
            datetime.combine(date.fromordinal(end.toordinal() + 1), time.min, LOCAL_TZ))


def unit_performance(hl: Hotline, actor: Actor, start: date, end: date) -> list[UnitPerformance]:
    """Every unit with activity in the local days [start, end], ranked."""
    check_write(actor, "office_desk")
    begin, finish = period_bounds(start, end)
    with hl.uow.begin() as tx:
        rows = events_of_orders_active_between(tx.conn, begin, finish)
    policy, names = hl.policy(), hl.unit_names()
    units: dict[str, UnitPerformance] = defaultdict(lambda: UnitPerformance(""))

    def of(code: str) -> UnitPerformance:
        perf = units[code]
        perf.unit_code, perf.unit_name = code, names.get(code, code)
        return perf

    for order_id, events in groupby(rows, key=lambda r: r["order_id"]):
        assigned_at: dict[str, datetime] = {}
        returned_from: tuple[str, bool] | None = None  # the unit whose return awaits the office's answer
        last_replier: str | None = None
        for e in events:
            data, at = e["data"] or {}, e["at"]
            inside = begin <= at < finish
            if e["action"] in ASSIGNING and data.get("unit"):
                unit = data["unit"]
                if returned_from and e["action"] != Action.PASS_DOWN.value:
                    if returned_from[1] and unit != returned_from[0]:
                        of(returned_from[0]).returns_upheld += 1
                    returned_from = None
                assigned_at[unit] = at
                if inside:
                    of(unit).order_ids.add(order_id)
            elif e["action"] == Action.SIGN.value and data.get("unit") in assigned_at and inside:
                perf = of(data["unit"])
                perf.signed += 1
                perf.signed_on_time += at <= policy.sign_due(assigned_at[data["unit"]], Urgency(e["urgency"]))
            elif e["action"] == Action.REPLY.value and e["to_status"] == "replied" and data.get("unit"):
                last_replier = data["unit"]
                if inside:
                    perf = of(last_replier)
                    perf.replied += 1
                    perf.replied_on_time += e["reply_due"] is None or at <= e["reply_due"]
                    started = assigned_at.get(last_replier, at)
                    perf.handling_hours_total += (at - started).total_seconds() / 3600
            elif e["action"] == Action.RETURN.value and data.get("from_unit"):
                if inside:
                    of(data["from_unit"]).returns += 1
                if e["to_status"] == "returned":
                    returned_from = (data["from_unit"], inside)
            elif e["action"] == Action.CALLBACK.value and last_replier and inside:
                perf = of(last_replier)
                perf.callbacks += 1
                if data.get("satisfaction") in SATISFIED:
                    perf.satisfied += 1
                else:
                    perf.reopened += 1
    ranked = list(units.values())
    for perf in ranked:
        perf.orders = len(perf.order_ids)
    ranked.sort(key=lambda p: (-(p.score if p.score is not None else -1), -p.orders, p.unit_code))
    for i, perf in enumerate(ranked, 1):
        perf.rank = i
    return ranked


COLUMNS = [("rank", "排名"), ("unit_code", "单位编码"), ("unit_name", "承办单位"), ("orders", "工单数"),
           ("sign_on_time_rate", "按时签收率"), ("reply_on_time_rate", "按时答复率"), ("returns", "退单数"),
           ("returns_upheld", "退单成立数"), ("reopen_rate", "重办率"), ("satisfaction_rate", "满意率"),
           ("mean_handling_hours", "平均办理时长（小时）"), ("score", "综合得分")]


def performance_xlsx(rows: list[UnitPerformance], start: date, end: date) -> bytes:
    """The ranking as an Excel workbook (rates as percentages)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **XLSX_TEXT})
    sheet = book.add_worksheet("考核")
    bold, percent = book.add_format({"bold": True}), book.add_format({"num_format": "0.0%"})
    sheet.write(0, 0, f"承办单位考核 {start.isoformat()} 至 {end.isoformat()}", bold)
    for col, (_, title) in enumerate(COLUMNS):
        sheet.write(2, col, title, bold)
    for r, perf in enumerate(rows, 3):
        values = perf.as_dict()
        for col, (key, _) in enumerate(COLUMNS):
            value = values[key]
            if value is None:
                sheet.write_blank(r, col, None)
            else:
                sheet.write(r, col, value, percent if key.endswith("rate") or key == "score" else None)
    sheet.set_column(2, 2, 28)
    sheet.set_column(3, len(COLUMNS), 14)
    book.close()
    return buffer.getvalue()
