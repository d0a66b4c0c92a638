"""Cities are data: load a city's units (districts, streets, departments) and default routing rules."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

from rexian.adapters.divisions import CITIES_DIR, CityDivisions, load_city, load_places
from rexian.domain.routing import RoutingRule, rules_from_csv
from rexian.domain.units import UnitKind
from rexian.domain.workorder import Actor
from rexian.services.context import CityProfile, Hotline, mark_changed


def profile_for(divisions: CityDivisions) -> CityProfile:
    return CityProfile(key=divisions.key, name=divisions.name,
                       code_prefix=_initials(divisions.name.removesuffix("市")))


def _street_office(name: str) -> str:
    if name.endswith("街道"):
        return f"{name}办事处"
    if name.endswith(("镇", "乡")):
        return f"{name}人民政府"
    return name


def _generated_units(divisions: CityDivisions, profile: CityProfile) -> list[dict[str, Any]]:
    """Territorial units of any city from the national division data."""
    root = profile.code_prefix
    rows = [
        {"code": root, "name": f"{divisions.name}人民政府", "kind": UnitKind.CITY.value, "parent_code": None,
         "district": None, "street": None, "aliases": [divisions.name], "remit": []},
        {"code": f"{root}-HOTLINE", "name": f"{divisions.name}12345热线办", "kind": UnitKind.HOTLINE_OFFICE.value,
         "parent_code": root, "district": None, "street": None, "aliases": ["12345热线"], "remit": []},
    ]
    names = {d.code: d.name for d in divisions.districts}
    rows += [{"code": d.code, "name": f"{d.name}人民政府", "kind": UnitKind.DISTRICT.value, "parent_code": root,
              "district": d.name, "street": None, "aliases": [d.name], "remit": []} for d in divisions.districts]
    rows += [{"code": s.code, "name": _street_office(s.name), "kind": UnitKind.STREET.value,
              "parent_code": s.parent_code, "district": names[s.parent_code], "street": s.name,
              "aliases": [s.name], "remit": []} for s in divisions.streets if s.parent_code in names]
    rows += [{"code": f"{root}-{_initials(name)}", "name": f"{name}管理委员会", "kind": UnitKind.DISTRICT.value,
              "parent_code": root, "district": name, "street": None, "aliases": [name], "remit": []}
             for name in load_places(divisions).extra_districts]
    return rows


def _initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split("|") if v]


def _units_from_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{"code": r["code"], "name": r["name"], "kind": UnitKind(r["kind"]).value,
                 "parent_code": r["parent_code"] or None, "district": r["district"] or None,
                 "street": r["street"] or None, "aliases": _split(r.get("aliases")),
                 "remit": _split(r.get("remit"))} for r in csv.DictReader(f)]


def city_data(name: str) -> tuple[CityProfile, list[dict[str, Any]], list[RoutingRule]]:
    """The profile, units and default rules of a city: its own files when the repo has them."""
    divisions = load_city(name)
    profile = profile_for(divisions)
    folder = CITIES_DIR / profile.key
    units_file, rules_file = folder / "units.csv", folder / "routing_rules.csv"
    unit_rows = _units_from_csv(units_file) if units_file.exists() else _generated_units(divisions, profile)
    if rules_file.exists():
        rules = rules_from_csv(rules_file.read_text(encoding="utf-8"))
    else:
        rules = [RoutingRule(id="R-BACKSTOP", priority=0, unit_code="{district}", note="区级兜底")]
    return profile, unit_rows, rules


def load_city_into(hl: Hotline, name: str, actor: Actor, activate: bool = True) -> dict[str, Any]:
    """`rexian city load NAME`: store a city's units and rules (idempotent), optionally make it active."""
    profile, unit_rows, rules = city_data(name)
    for row in unit_rows:
        row["city"] = profile.key
    with hl.uow.begin(write=True) as tx:
        added = tx.units.upsert_many(unit_rows)
        tx.rules.replace_all(profile.key, rules)
        mark_changed(tx, "units", "rules")
        if activate:
            tx.settings.set("city", {"key": profile.key, "name": profile.name, "code_prefix": profile.code_prefix})
        tx.audit.record(hl.clock.now(), actor.name, "city.load", "city", profile.key,
                        {"units": len(unit_rows), "new_units": added, "rules": len(rules)})
        tx.commit()
    hl.forget("units", "rules")
    if activate:
        hl.city = profile
    return {"city": profile.name, "key": profile.key, "units": len(unit_rows), "new_units": added,
            "rules": len(rules), "active": activate}
