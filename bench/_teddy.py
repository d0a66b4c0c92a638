"""Readers for the Teddy Cup 2020 C files used by the intelligence benchmarks."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path

from rexian.intelligence.hotspots import HotspotMessage
from rexian.intelligence.text import clean_text

TEDDY = Path(__file__).resolve().parents[1] / "data" / "teddy2020c"


def parse_time(value: str) -> datetime:
    """The files mix "2019/5/10 14:56:53", "2017-06-08 17:31:20" and bare dates "2018-4-24"."""
    value = value.strip().replace("/", "-")
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S" if ":" in value else "%Y-%m-%d")


def rows(name: str) -> list[dict[str, str]]:
    with gzip.open(TEDDY / name, "rt", encoding="utf-8") as f:
        return list(csv.DictReader(f))


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
