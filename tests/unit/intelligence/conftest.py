"""Real Teddy Cup messages for the intelligence tests, read once per session."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path

import pytest

TEDDY = Path(__file__).resolve().parents[3] / "data" / "teddy2020c"


def parse_time(value: str) -> datetime:
    value = value.strip().replace("/", "-")
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S" if ":" in value else "%Y-%m-%d")


def _rows(name: str) -> list[dict[str, str]]:
    with gzip.open(TEDDY / name, "rt", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def appeals() -> list[dict[str, str]]:
    """Attachment 3: 4,326 real messages with likes."""
    return _rows("attachment3_full.csv.gz")


@pytest.fixture(scope="session")
def replies() -> list[dict[str, str]]:
    """Attachment 4: real messages with the unit's reply."""
    return _rows("attachment4_full.csv.gz")
