"""The three-level 12345 appeal taxonomy (附件1 of the Teddy Cup 2020 C data).

15 top-level categories (一级分类), 103 second-level, 390 distinct third-level labels. The
classifier predicts the top level; the full paths "一级/二级/三级" let pickers and routing rules
name any node of the tree.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from rexian.config import get_settings

TAXONOMY_FILE = "teddy2020c/attachment1_taxonomy.csv"


def _path(data_dir: Path | None) -> Path:
    return (data_dir or get_settings().data_dir) / TAXONOMY_FILE


@lru_cache(maxsize=4)
def _rows(path: Path) -> tuple[tuple[str, str, str], ...]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return tuple(
            (r["一级分类"].strip(), r["二级分类"].strip(), r["三级分类"].strip()) for r in csv.DictReader(f)
        )


def taxonomy_paths(data_dir: Path | None = None) -> list[str]:
    """Every leaf of the tree as "一级/二级/三级", in file order."""
    return ["/".join(row) for row in _rows(_path(data_dir))]


def top_level_labels(data_dir: Path | None = None) -> list[str]:
    """The 15 top-level categories, in file order."""
    return list(dict.fromkeys(first for first, _, _ in _rows(_path(data_dir))))


def taxonomy_tree(data_dir: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """The tree as {一级: {二级: [三级, ...]}}, preserving file order."""
    tree: dict[str, dict[str, list[str]]] = {}
    for first, second, third in _rows(_path(data_dir)):
        tree.setdefault(first, {}).setdefault(second, []).append(third)
    return tree
