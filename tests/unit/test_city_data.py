"""The demo city's units and default routing rules are consistent data."""

import csv
from pathlib import Path

import pytest

from rexian.domain.units import UnitKind

DATA = Path(__file__).resolve().parents[2] / "data"
CITY = DATA / "cities" / "guangzhou"
PLACEHOLDERS = {"{street}", "{district}"}
FIRST_LEVEL_KINDS = {UnitKind.DISTRICT, UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.SUBCENTRE}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def units() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in read(CITY / "units.csv")}


@pytest.fixture(scope="module")
def rules() -> list[dict[str, str]]:
    return read(CITY / "routing_rules.csv")


def test_unit_codes_are_unique():
    codes = [r["code"] for r in read(CITY / "units.csv")]
    assert len(codes) == len(set(codes))


def test_every_unit_has_a_known_kind_and_a_name(units):
    for unit in units.values():
        assert UnitKind(unit["kind"])
        assert unit["name"].strip()


def test_every_parent_code_names_an_existing_unit(units):
    orphans = [c for c, u in units.items() if u["parent_code"] and u["parent_code"] not in units]
    assert orphans == []


def test_only_the_city_has_no_parent(units):
    roots = [c for c, u in units.items() if not u["parent_code"]]
    assert [units[c]["kind"] for c in roots] == [UnitKind.CITY]


def test_every_division_has_its_government(units):
    divisions = {r["code"] for r in read(DATA / "divisions" / "guangzhou_districts.csv")}
    divisions |= {r["code"] for r in read(DATA / "divisions" / "guangzhou_streets_towns.csv")}
    assert divisions <= units.keys()


def test_every_street_hangs_under_the_government_of_its_district(units):
    for unit in units.values():
        if unit["kind"] == UnitKind.STREET:
            parent = units[unit["parent_code"]]
            assert parent["kind"] == UnitKind.DISTRICT
            assert parent["district"] == unit["district"]
            assert unit["street"]


def test_first_level_units_number_about_116_as_in_the_real_hotline(units):
    first_level = [u for u in units.values() if u["parent_code"] == "GZ" and u["kind"] in FIRST_LEVEL_KINDS]
    assert 100 <= len(first_level) <= 130


def test_rule_ids_are_unique_and_priorities_are_integers(rules):
    assert len({r["id"] for r in rules}) == len(rules)
    for rule in rules:
        int(rule["priority"])


def test_every_rule_targets_an_existing_unit_or_a_placeholder(rules, units):
    unknown = [r["id"] for r in rules if r["unit_code"] not in units.keys() | PLACEHOLDERS]
    assert unknown == []


def test_every_rule_category_is_a_prefix_of_a_real_taxonomy_path(rules):
    paths = set()
    for row in read(DATA / "teddy2020c" / "attachment1_taxonomy.csv"):
        levels = [row["一级分类"], row["二级分类"], row["三级分类"]]
        paths |= {"/".join(levels[:n]) for n in (1, 2, 3)}
    unknown = [r["id"] for r in rules if r["category"] != "*" and r["category"] not in paths]
    assert unknown == []


def test_rule_locations_name_real_districts_and_streets(rules, units):
    districts = {u["district"] for u in units.values() if u["kind"] == UnitKind.DISTRICT}
    streets = {u["street"] for u in units.values() if u["kind"] == UnitKind.STREET}
    for rule in rules:
        assert rule["district"] == "*" or rule["district"] in districts
        assert rule["street"] == "*" or rule["street"] in streets


def test_the_district_backstop_is_the_single_lowest_priority_rule(rules):
    lowest = min(rules, key=lambda r: int(r["priority"]))
    assert (lowest["category"], lowest["keywords"], lowest["unit_code"]) == ("*", "", "{district}")
    assert sum(int(r["priority"]) == int(lowest["priority"]) for r in rules) == 1


def test_a_city_without_unit_files_gets_a_government_for_each_district_its_hotline_names():
    from rexian.services.cities import city_data

    profile, units, rules = city_data("北京市")
    districts = {u["district"]: u for u in units if u["kind"] == UnitKind.DISTRICT.value}
    assert profile.key == "beijing" and {"朝阳区", "海淀区", "经济技术开发区"} <= set(districts)
    assert districts["经济技术开发区"]["name"] == "经济技术开发区管理委员会"
    assert len({u["code"] for u in units}) == len(units)
    assert [r.unit_code for r in rules] == ["{district}"]
