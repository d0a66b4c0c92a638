"""The 12345 taxonomy read from 附件1."""

from __future__ import annotations

from rexian.config import get_settings
from rexian.intelligence.classifier import SAMPLE_FILE, TEDDY, _read_csv
from rexian.intelligence.taxonomy import taxonomy_paths, taxonomy_tree, top_level_labels


def test_the_taxonomy_has_fifteen_top_level_categories():
    assert len(top_level_labels()) == 15


def test_every_path_names_three_levels_under_a_top_level_category():
    tops = set(top_level_labels())
    paths = taxonomy_paths()
    assert paths and all(len(p.split("/")) == 3 and p.split("/")[0] in tops for p in paths)


def test_the_tree_holds_every_path():
    tree = taxonomy_tree()
    assert sorted(f"{a}/{b}/{c}" for a, bs in tree.items() for b, cs in bs.items() for c in cs) == sorted(
        taxonomy_paths()
    )


def test_every_label_of_the_labelled_sample_is_a_top_level_category():
    labels = {row["一级分类"] for row in _read_csv(get_settings().data_dir / TEDDY / SAMPLE_FILE)}
    assert len(labels) == 7 and labels <= set(top_level_labels())
