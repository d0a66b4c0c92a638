"""Real Teddy Cup messages for the intelligence tests, read once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rexian.adapters.files import read_rows
from rexian.services.importing import parse_local_datetime as parse_time  # noqa: F401 - for the tests

TEDDY = Path(__file__).resolve().parents[3] / "data" / "teddy2020c"


def _rows(name: str) -> list[dict[str, str]]:
    return list(read_rows(TEDDY / name)[1])


@pytest.fixture(scope="session")
def appeals() -> list[dict[str, str]]:
    """Attachment 3: 4,326 real messages with likes."""
    return _rows("attachment3_full.csv.gz")


@pytest.fixture(scope="session")
def replies() -> list[dict[str, str]]:
    """Attachment 4: real messages with the unit's reply."""
    return _rows("attachment4_full.csv.gz")
