"""`rexian extract`: the work-order fields found in a text, or in every row of a CSV/XLSX file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rexian.adapters.files import read_rows
from rexian.cli.core import fail
from rexian.config import get_settings
from rexian.domain.errors import InvalidInput

if TYPE_CHECKING:
    from rexian.intelligence.extraction import Extractor


def _extractor(city: str | None, merchants: Path | None) -> Extractor:
    from rexian.intelligence.extraction import default_extractor  # lazy: pypinyin costs 0.4 s to import

    if merchants is None:
        demo = get_settings().data_dir / "merchants" / "demo_guangzhou.csv"
        merchants = demo if demo.exists() else None
    elif not merchants.exists():
        fail(f"商户名录文件不存在：{merchants}", f"merchant registry not found: {merchants}")
    try:
        return default_extractor(city, str(merchants) if merchants else None)
    except ValueError as exc:
        fail("无法加载城市或商户名录", str(exc))
        raise  # unreachable: fail exits


def extract(
    text: Annotated[str | None, typer.Argument(help="Text to read (a message or a transcript).")] = None,
    input: Annotated[Path | None, typer.Option("--input", help="CSV, CSV.GZ or XLSX file, one text per row.")] = None,
    text_column: Annotated[str | None, typer.Option("--text-column", help="Column holding the text.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per line for a file).")] = False,
    city: Annotated[str | None, typer.Option(help="City whose places to resolve (default: REXIAN_CITY).")] = None,
    merchants: Annotated[Path | None, typer.Option(help="Merchant registry CSV/XLSX (default: the demo one).")] = None,
) -> None:
    """Extract phones, name, place, merchant, appeal type, urgency, emergency and a summary."""
    if (text is None) == (input is None):
        fail("请给出一段文本或 --input 文件（二选一）", "give either TEXT or --input FILE, not both")
    if input is not None and not text_column:
        fail("使用 --input 时必须给出 --text-column", "--input needs --text-column")
    if input is not None and not input.exists():
        fail(f"文件不存在：{input}", f"file not found: {input}")
    extractor = _extractor(city, merchants)
    if text is not None:
        _print(extractor.extract(text).to_dict(), as_json)
        return
    try:
        rows = read_rows(input)[1]
        first = next(rows, None)
    except InvalidInput as exc:
        fail(exc.message_zh, exc.message_en)
    except OSError as exc:
        fail(f"无法读取文件：{input}", str(exc))
    if first is not None and text_column not in first:
        fail(f"文件中没有列“{text_column}”", f"no column {text_column!r}; columns: {', '.join(map(str, first))}")
    for row in ([first] if first is not None else []) + list(rows):
        _print(extractor.extract(str(row.get(text_column) or "")).to_dict(), as_json)


def _print(draft: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(draft, ensure_ascii=False))
        return
    for key, value in draft.items():
        if value not in (None, [], ""):
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
            typer.echo(f"{key}: {shown}")
    typer.echo("")
