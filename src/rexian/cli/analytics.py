"""Analytics commands: `rexian hotspots` over the stored orders, `rexian surges` (a periodic job),
`rexian db recount` (rebuild the dashboard's order counts)."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import emit, fail, hotline, operator
from rexian.domain.clock import LOCAL_TZ

HOT = ["热度排名", "问题ID", "热度指数", "时间范围", "地点/人群", "问题描述"]
DETAIL = ["问题ID", "留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"]


def _day(value: str | None, end: bool = False) -> datetime | None:
    """A local date (YYYY-MM-DD) as the UTC instant its day starts; `end`: the day after it."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{value}", f"dates are YYYY-MM-DD: {value}")
        raise
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), LOCAL_TZ)


def hotspots(
    start: Annotated[str | None, typer.Option("--from", help="first local day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last local day, YYYY-MM-DD (included)")] = None,
    top: Annotated[int, typer.Option(min=1, max=500, help="how many hotspots")] = 20,
    likes_from: Annotated[Path | None, typer.Option(exists=True, dir_okay=False,
                                                    help="Teddy attachment-3 file with 点赞数/反对数")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="write 热点问题表 and 热点问题留言明细表 here")] = None,
) -> None:
    """Hotspots (热点) among the stored work orders: same place, same problem, ranked by heat."""
    from rexian.services.analytics import hotspot_dict, read_likes
    from rexian.services.analytics import hotspots as find

    hl = hotline()
    likes = read_likes(likes_from) if likes_from else None
    found = find(hl, _day(start), _day(end, end=True), top, likes, progress=not as_json,
                 workers=os.cpu_count() or 1)
    data = [hotspot_dict(h) for h in found]
    if xlsx:
        _write_xlsx(hl, xlsx, data, likes or {})
    lines = [f"{h['rank']:>3}  {h['heat']:6.2f}  {h['first_at'][:10]}–{h['last_at'][:10]}  {h['place']}  "
             f"{h['summary']}（{h['problem']}） {h['appeals']} appeals, {h['users']} people" for h in data]
    emit(data, as_json, "\n".join(lines) or "no hotspots / 暂无热点")


def _write_xlsx(hl, path: Path, data: list[dict], likes: dict[str, tuple[int, int]]) -> None:  # type: ignore[no-untyped-def]
    """The two attachment-3 tables; details read back from the orders by their message ids."""
    import xlsxwriter
    from sqlalchemy import or_, select

    from rexian.adapters.db.tables import work_orders as wo
    from rexian.adapters.files import XLSX_TEXT

    ids = [i for h in data for i in h["message_ids"]]
    with hl.uow.begin() as tx:
        rows = tx.conn.execute(select(wo.c.code, wo.c.external_ref, wo.c.caller_name, wo.c.title, wo.c.content,
                                      wo.c.received_at).where(or_(wo.c.external_ref.in_(ids), wo.c.code.in_(ids))))
        by_id = {r.external_ref or r.code: r for r in rows}
    book = xlsxwriter.Workbook(str(path), XLSX_TEXT)
    hot = book.add_worksheet("热点问题表")
    detail = book.add_worksheet("热点问题留言明细表")
    hot.write_row(0, 0, HOT)
    detail.write_row(0, 0, DETAIL)
    line = 1
    for h in data:
        span = f"{h['first_at'][:10].replace('-', '/')} 至 {h['last_at'][:10].replace('-', '/')}"
        hot.write_row(h["rank"], 0, [h["rank"], h["rank"], h["heat"], span, h["place"],
                                     f"{h['summary']}（{h['problem']}）"])
        for message_id in h["message_ids"]:
            r = by_id.get(message_id)
            if r is None:
                continue
            at = r.received_at.astimezone(LOCAL_TZ)
            detail.write_row(line, 0, [h["rank"], message_id.split(":")[-1], r.caller_name or "", r.title,
                                       f"{at:%Y/%m/%d %H:%M:%S}", r.content, *likes.get(message_id, (0, 0))])
            line += 1
    book.close()


def surges(as_json: Annotated[bool, typer.Option("--json")] = False,
           notify: Annotated[bool, typer.Option(help="send new alerts to the office")] = True) -> None:
    """Surge early warning (突发/集中诉求): run it every hour from cron; new alerts go to the office."""
    from rexian.services.analytics import detect_surges, open_surges

    hl = hotline()
    result = detect_surges(hl, notify=notify)
    alerts = open_surges(hl, operator())
    lines = [f"{result['firing']} firing, {result['new']} new, {result['closed']} closed "
             f"({result['orders_read']} orders read)" if not result.get("skipped")
             else "another surge detection is running: this one did nothing"]
    lines += [f"  {a['kind']:<17} {a['key']}: {a['observed']} vs {a['expected']} expected (×{a['ratio']}, "
              f"p={a['p_value']:.1e})" for a in alerts]
    emit({**result, "alerts": alerts}, as_json, "\n".join(lines))


def recount() -> None:
    """Rebuild the dashboard's order counts from the orders (after a bulk SQL load or a repair)."""
    from rexian.services.analytics import recount_orders

    rows = recount_orders(hotline(), operator())
    typer.echo(f"{rows} count rows rebuilt / 已重建统计")
