"""The unit tree: a unit's staff see their unit and every unit below it, nothing beside or above."""

from rexian.domain.units import UnitTree

TREE = UnitTree.of([("GZ", None), ("TH", "GZ"), ("SP", "TH"), ("SP-1", "SP"), ("LD", "TH"), ("YX", "GZ")])


def test_a_subtree_is_the_unit_and_every_unit_below_it():
    assert sorted(TREE.subtree("TH")) == ["LD", "SP", "SP-1", "TH"]
    assert sorted(TREE.subtree("GZ")) == ["GZ", "LD", "SP", "SP-1", "TH", "YX"]


def test_a_leaf_or_an_unknown_unit_is_only_itself():
    assert TREE.subtree("SP-1") == ["SP-1"]
    assert TREE.subtree("nowhere") == ["nowhere"]
