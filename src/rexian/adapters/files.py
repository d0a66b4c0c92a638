"""Tables people hand us: CSV (optionally gzipped; UTF-8, with or without a BOM) and XLSX; and how the
workbooks we hand out treat text.

One reader for every import: work orders, knowledge articles, merchant registries, labelled
messages for the classifier, `rexian extract --input`. Every cell comes back as text; a file that
cannot be read is an InvalidInput with the reason in both languages.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

from rexian.domain.errors import InvalidInput

# xlsxwriter options for every workbook we write: text stays text, so a citizen's "=HYPERLINK(…)" or
# "http://…" in a title is neither a formula nor a link when the report is opened (formula injection).
XLSX_TEXT = {"strings_to_formulas": False, "strings_to_urls": False}


def read_rows(path: str | Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    """Header and rows of a CSV (optionally .gz) or XLSX file, every cell as text."""
    path = Path(path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).active
        except Exception as e:  # noqa: BLE001 - openpyxl raises zip, XML and its own errors on a bad file
            raise InvalidInput(f"无法读取 XLSX 文件：{path.name}", f"not a readable XLSX file: {path.name}") from e
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]

        def xlsx_rows() -> Iterator[dict[str, str]]:
            for values in rows:
                yield {h: "" if v is None else str(v) for h, v in zip(header, values, strict=False)}

        return header, xlsx_rows()
    if path.suffix.lower() == ".csv" or suffixes.endswith(".csv.gz"):
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix.lower() == ".gz" else path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (UnicodeDecodeError, OSError, EOFError, zlib.error) as e:
            raise InvalidInput(f"无法读取 CSV 文件（须为 UTF-8 编码）：{path.name}",
                               f"not a readable UTF-8 CSV file: {path.name}") from e
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in reader.fieldnames or []]
        except csv.Error as e:
            raise InvalidInput(f"CSV 文件无法读取：{path.name}（{e}）", f"{path.name}: not readable as CSV ({e})") from e

        def csv_rows() -> Iterator[dict[str, str]]:
            try:
                for r in reader:
                    yield {k.strip(): v or "" for k, v in r.items() if k}
            except csv.Error as e:  # e.g. a cell over the csv module's 128 kB, on the line after the last read
                line = reader.line_num + 1
                raise InvalidInput(f"CSV 文件第 {line} 行无法读取：{e}", f"{path.name}, line {line}: {e}") from e

        return header, csv_rows()
    raise InvalidInput(f"不支持的文件类型：{path.name}（请用 CSV 或 XLSX）",
                       f"unsupported file type: {path.name} (use CSV or XLSX)")
