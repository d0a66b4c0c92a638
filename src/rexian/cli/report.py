"""`rexian report`: reports for the government. `summary` is the period report (day, week, month)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated, Any

import typer

from rexian.cli.core import emit, fail, hotline, operator

app = typer.Typer(help="Reports for the government.", no_args_is_help=True)

@app.command("summary")
def summary(
    period: Annotated[str, typer.Option(help="day, week or month (ending now)")] = "week",
    xlsx: Annotated[Path | None, typer.Option(help="write the report as an Excel workbook")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the report as PDF (printed by headless chromium)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The period report: volumes and change, categories, districts, timeliness, satisfaction, units,
    hotspots, surges and typical cases."""
    from rexian.services.analytics import period_report

    report = period_report(hotline(), operator(), period)
    if xlsx:
        write_xlsx(report, xlsx)
    if pdf:
        write_pdf(report, pdf)
    change = f" ({report['change']:+.1%})" if report["change"] is not None else ""
    text = [f"{report['from'][:10]} – {report['to'][:10]}: {report['total']} appeals{change}",
            *[f"  {c['name']}: {c['count']}" for c in report["categories"][:5]],
            *[f"  #{h['rank']} {h['place']} {h['summary']} ({h['appeals']})" for h in report["hotspots"][:5]]]
    emit(report, as_json, "\n".join(text))

def _sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report's tables: (title, header, rows), shared by the workbook and the PDF."""
    rate = report["on_time"]["rate"]
    satisfied = report["satisfaction"]["rate"]
    return [
        ("概况", ["指标", "数值"], [
            ["时段", f"{report['from'][:10]} 至 {report['to'][:10]}"], ["诉求总量", report["total"]],
            ["上期", report["previous_total"]],
            ["环比", f"{report['change']:+.1%}" if report["change"] is not None else "–"],
            ["按时答复率", f"{rate:.1%}" if rate is not None else "–"],
            ["满意率", f"{satisfied:.1%}" if satisfied is not None else "–"]]),
        ("分类", ["分类", "诉求数"], [[c["name"], c["count"]] for c in report["categories"]]),
        ("区域", ["区", "诉求数"], [[d["name"], d["count"]] for d in report["districts"]]),
        ("承办单位", ["承办单位", "诉求数", "按时答复", "超时", "满意", "已评价", "退单"],
         [[u["unit_name"], u["orders"], u["on_time"], u["late"], u["satisfied"], u["rated"], u["returns"]]
          for u in report["units"]]),
        ("热点", ["排名", "热度", "地点", "问题", "诉求数", "时间"],
         [[h["rank"], h["heat"], h["place"], f"{h['summary']}（{h['problem']}）", h["appeals"],
           f"{h['first_at'][:10]} 至 {h['last_at'][:10]}"] for h in report["hotspots"]]),
        ("预警", ["类型", "类别·区域/地点", "近期", "预期", "倍数"],
         [[s["kind"], s["key"], s["observed"], s["expected"], s["ratio"]] for s in report["surges"]]),
        ("典型案例", ["地点", "案例", "诉求数"],
         [[c["place"], c["title"], c["appeals"]] for c in report["typical_cases"]]),
    ]

def write_xlsx(report: dict[str, Any], path: Path) -> None:
    import xlsxwriter

    from rexian.adapters.files import XLSX_TEXT

    book = xlsxwriter.Workbook(str(path), XLSX_TEXT)
    for title, header, rows in _sections(report):
        sheet = book.add_worksheet(title)
        for r, values in enumerate([header, *rows]):
            sheet.write_row(r, 0, values)
    if report["volume"]:
        days = sorted({v["day"] for v in report["volume"]})
        sheet = book.add_worksheet("每日诉求量")
        sheet.write_row(0, 0, ["日期", "诉求数"])
        totals = {d: sum(v["count"] for v in report["volume"] if v["day"] == d) for d in days}
        for r, d in enumerate(days, start=1):
            sheet.write_row(r, 0, [d, totals[d]])
        chart = book.add_chart({"type": "column"})
        chart.add_series({"name": "诉求数", "categories": ["每日诉求量", 1, 0, len(days), 0],
                          "values": ["每日诉求量", 1, 1, len(days), 1]})
        sheet.insert_chart("D2", chart)
    book.close()

def report_html(report: dict[str, Any]) -> str:
    """A self-contained printable page of the report (tables only, no script)."""
    parts = [f"<h1>12345热线{ {'day': '日', 'week': '周', 'month': '月'}[report['period']] }报</h1>"]
    for title, header, rows in _sections(report):
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
        parts.append(f"<h2>{html.escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    style = ("body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;font-size:11pt}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:3px 6px;text-align:left}")
    return f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><style>{style}</style>{''.join(parts)}</html>"

def write_pdf(report: dict[str, Any], path: Path, chromium: str = "/usr/bin/chromium") -> None:
    """Print the report page with headless chromium (Playwright). Chinese glyphs need a CJK font
    (e.g. fonts-noto-cjk) on the machine that prints."""
    from playwright.sync_api import sync_playwright

    if not Path(chromium).exists():
        fail("未找到 chromium，无法生成 PDF（可用 --xlsx）", "no chromium to print the PDF with (use --xlsx)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
        page = browser.new_page()
        page.set_content(report_html(report))
        page.pdf(path=str(path), format="A4", margin={"top": "15mm", "bottom": "15mm", "left": "12mm",
                                                       "right": "12mm"})
        browser.close()
