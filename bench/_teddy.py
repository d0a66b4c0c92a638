"""Readers for the Teddy Cup 2020 C files used by the intelligence benchmarks."""

from __future__ import annotations

from pathlib import Path

from rexian.adapters.files import read_rows
from rexian.intelligence.hotspots import HotspotMessage
from rexian.intelligence.text import clean_text
from rexian.services.importing import parse_local_datetime as parse_time

TEDDY = Path(__file__).resolve().parents[1] / "data" / "teddy2020c"


def rows(name: str) -> list[dict[str, str]]:
    return list(read_rows(TEDDY / name)[1])


def messages(name: str = "attachment3_full.csv.gz") -> list[HotspotMessage]:
    return [
        HotspotMessage(
            id=r["留言编号"],
            user=r["留言用户"],
            title=clean_text(r["留言主题"]),
            text=clean_text(r["留言详情"]),
            at=parse_time(r["留言时间"]),
            likes=int(r.get("点赞数") or 0),
            dislikes=int(r.get("反对数") or 0),
        )
        for r in rows(name)
    ]
