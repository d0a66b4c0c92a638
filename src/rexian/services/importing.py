"""Bulk import of other systems' exports (CSV or XLSX) with a configurable column mapping.

Formats are registered strategies: a mapping from our fields to the export's columns plus value
translations. Each row is imported or rejected with a reason; a row whose external reference
(source + its id) is already stored is skipped, so a re-import never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rexian.adapters.files import read_rows
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import DomainError, InvalidInput
from rexian.domain.vocabulary import AppealType, Channel
from rexian.domain.workorder import Actor, Caller
from rexian.intelligence.text import clean_text
from rexian.services.context import Hotline
from rexian.services.workorders import AppealIntake, new_order, store_new


@dataclass(frozen=True)
class ImportFormat:
    """How an export's columns map onto an appeal. `columns`: our field → the export's column."""

    name: str
    source: str  # prefix of the external reference, e.g. "teddy"
    columns: dict[str, str]
    appeal_types: dict[str, AppealType] = field(default_factory=dict)
    category_separator: str = "/"

    def detect(self, header: list[str]) -> bool:
        return all(self.columns[f] in header for f in ("id", "content"))


FORMATS: dict[str, ImportFormat] = {
    "teddy": ImportFormat(
        name="teddy", source="teddy",
        columns={"id": "留言编号", "title": "留言主题", "content": "留言详情", "received_at": "留言时间",
                 "caller_name": "留言用户", "category": "一级分类", "reply": "答复意见"},
    ),
    "beijing": ImportFormat(
        name="beijing", source="bj12345",
        columns={"id": "工单编号", "title": "标题", "content": "主要内容", "received_at": "创建时间",
                 "appeal_type": "工单类型", "category": "问题分类", "district": "被反映区", "street": "被反映街乡镇",
                 "address": "问题点位", "reply": "处理结果"},
        appeal_types={"咨询": AppealType.CONSULTATION, "求助": AppealType.HELP, "诉求": AppealType.HELP,
                      "建议": AppealType.SUGGESTION, "投诉": AppealType.COMPLAINT, "举报": AppealType.REPORT},
        category_separator="->",
    ),
}

UNKNOWN_PLACE = {"", "不详", "未知", "无"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                 "%Y/%m/%d")


def parse_local_datetime(text: str) -> datetime:
    """Dates in the exports are local (Asia/Shanghai) and in mixed formats."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    raise InvalidInput(f"无法识别的时间：{text!r}", f"unrecognised date: {text!r}")


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    skipped_existing: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    format: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "total": self.total, "imported": self.imported,
                "skipped_existing": self.skipped_existing, "rejected": len(self.rejected),
                "rejections": self.rejected[:100]}


def _intake(fmt: ImportFormat, row: dict[str, str], dispatch: bool) -> AppealIntake:
    def col(name: str) -> str:
        column = fmt.columns.get(name)
        return clean_text(row.get(column, "")) if column else ""

    ref = col("id")
    if not ref:
        raise InvalidInput("缺少编号", "missing id")
    content = col("content") or col("title")
    if not content:
        raise InvalidInput("缺少诉求内容", "missing content")
    when = col("received_at")
    category = col("category")
    if category and fmt.category_separator != "/":
        category = "/".join(p.strip() for p in category.split(fmt.category_separator) if p.strip())
    district, street = col("district"), col("street")
    raw_type = col("appeal_type")
    appeal_type = fmt.appeal_types.get(raw_type) if raw_type else None
    if raw_type and appeal_type is None:
        raise InvalidInput(f"未知的诉求类型：{raw_type}", f"unknown appeal type: {raw_type}")
    return AppealIntake(
        content=content, title=col("title") or None, channel=Channel.IMPORT, appeal_type=appeal_type,
        caller=Caller(name=col("caller_name") or None), address=col("address") or None,
        district=None if district in UNKNOWN_PLACE else district,
        street=None if street in UNKNOWN_PLACE else street, category=category or None,
        received_at=parse_local_datetime(when) if when else None, external_ref=f"{fmt.source}:{ref}",
        auto_dispatch=dispatch,
    )


def import_file(hl: Hotline, path: Path, actor: Actor, fmt_name: str | None = None,
                mapping: dict[str, str] | None = None, dispatch: bool = False, batch: int = 500,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import every row of `path`; returns what was imported and what was rejected and why."""
    header, rows = read_rows(path)
    if fmt_name:
        if fmt_name not in FORMATS:
            raise InvalidInput(f"未知格式：{fmt_name}", f"unknown format: {fmt_name} (known: {', '.join(FORMATS)})")
        fmt = FORMATS[fmt_name]
    else:
        fmt = next((f for f in FORMATS.values() if f.detect(header)), None)
        if fmt is None:
            raise InvalidInput("无法识别文件格式，请用 --format 或 --map 指定列",
                               "cannot recognise the file's format: give --format or --map columns")
    if mapping:
        fmt = ImportFormat(fmt.name, fmt.source, {**fmt.columns, **mapping}, fmt.appeal_types,
                           fmt.category_separator)
    missing = [c for f, c in fmt.columns.items() if f in ("id", "content") and c not in header]
    if missing:
        raise InvalidInput(f"文件缺少列：{'、'.join(missing)}", f"the file lacks columns: {', '.join(missing)}")
    report = ImportReport(format=fmt.name)
    chunk: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(rows, start=2):
        report.total += 1
        chunk.append((line, row))
        if len(chunk) >= batch:
            _import_chunk(hl, fmt, chunk, actor, dispatch, report)
            if progress:
                progress(len(chunk))
            chunk = []
    if chunk:
        _import_chunk(hl, fmt, chunk, actor, dispatch, report)
        if progress:
            progress(len(chunk))
    with hl.uow.begin(write=True) as tx:
        tx.audit.record(hl.clock.now(), actor.name, "import", "file", path.name, report.as_dict())
        tx.commit()
    return report


def _import_chunk(hl: Hotline, fmt: ImportFormat, chunk: list[tuple[int, dict[str, str]]], actor: Actor,
                  dispatch: bool, report: ImportReport) -> None:
    intakes: list[tuple[int, AppealIntake]] = []
    for line, row in chunk:
        try:
            intakes.append((line, _intake(fmt, row, dispatch)))
        except DomainError as e:
            report.rejected.append({"line": line, "reason": e.message_zh, "reason_en": e.message_en})
    with hl.uow.begin() as tx:
        existing = tx.orders.existing_external_refs(i.external_ref for _, i in intakes if i.external_ref)
    orders = []
    seen: set[str] = set()
    for line, intake in intakes:  # analysed before the write transaction, which then holds its locks briefly
        ref = intake.external_ref or ""
        if ref in existing or ref in seen:
            report.skipped_existing += 1
            continue
        seen.add(ref)
        try:
            orders.append(new_order(hl, intake, actor))
        except DomainError as e:
            report.rejected.append({"line": line, "reason": e.message_zh, "reason_en": e.message_en})
    with hl.uow.begin(write=True) as tx:
        stored_meanwhile = tx.orders.existing_external_refs(o.external_ref for o in orders if o.external_ref)
        new = [(order, None) for order in orders if order.external_ref not in stored_meanwhile]
        report.skipped_existing += len(orders) - len(new)  # another import of the same file got there first
        store_new(hl, tx, new)
        report.imported += len(new)
        tx.commit()
