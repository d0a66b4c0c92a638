"""China's administrative divisions (国家统计局 统计用区划代码) for the configured city.

The city is configuration: `load_city("广州")` and `load_city("beijing")` read the same national
tables in data/divisions/national. Municipalities (北京市, 上海市, …) have no prefecture row of their
own; their districts sit under "市辖区" (and, for 重庆, also "县") rows, which are merged here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypinyin import lazy_pinyin

from rexian.adapters.files import read_rows
from rexian.config import DATA_DIR

NATIONAL_DIR = DATA_DIR / "divisions" / "national"
CITIES_DIR = DATA_DIR / "cities"
_PLACEHOLDER_CITIES = ("市辖区", "县")
_ADMIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "地区", "盟", "省", "市")


@dataclass(frozen=True)
class Division:
    """One division: a district/county (parent = city) or a street/town (parent = district)."""

    code: str
    name: str
    parent_code: str


@dataclass(frozen=True)
class CityDivisions:
    """A prefecture-level city (or municipality) with its districts and streets/towns."""

    code: str
    name: str
    province: str
    districts: tuple[Division, ...]
    streets: tuple[Division, ...]

    def district_of(self, street: Division) -> Division:
        return next(d for d in self.districts if d.code == street.parent_code)

    @property
    def key(self) -> str:
        """The city's folder and settings key: 广州市 → guangzhou, 北京市 → beijing."""
        return "".join(lazy_pinyin(self.name.removesuffix("市")))


@dataclass(frozen=True)
class CityPlaces:
    """What the hotline calls places beyond the statistics: areas it treats as districts and the
    other names people use (经开区 → 经济技术开发区). Read from data/cities/<key>/places.csv."""

    extra_districts: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()


def load_places(city: CityDivisions, root: Path = CITIES_DIR) -> CityPlaces:
    """The city's places.csv (`name, target, note`): a row whose name is its own target and is no
    division is an extra district; any other row is an alias of its target. No file: none."""
    path = root / city.key / "places.csv"
    if not path.exists():
        return CityPlaces()
    known = {d.name for d in city.districts + city.streets}
    extra, aliases = [], []
    for row in read_rows(path)[1]:
        name, target = row["name"].strip(), row["target"].strip()
        if name == target and name not in known:
            extra.append(name)
        elif name != target:
            aliases.append((name, target))
    return CityPlaces(tuple(extra), tuple(aliases))


def _short(name: str) -> str:
    for suffix in _ADMIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _keys(name: str) -> set[str]:
    """The ways a city can be named: 广州市, 广州, guangzhou, guangzhoushi."""
    short = _short(name)
    return {name, short, "".join(lazy_pinyin(short)), "".join(lazy_pinyin(name))}


def _normalise(query: str) -> str:
    return "".join(query.split()).lower().replace("'", "")


@lru_cache(maxsize=8)
def load_city(name: str, root: Path = NATIONAL_DIR) -> CityDivisions:
    """The divisions of the city called `name` (Chinese or pinyin, with or without 市)."""
    query = _normalise(name)
    provinces = {r["code"]: r["name"] for r in read_rows(root / "provinces.csv")[1]}
    cities = list(read_rows(root / "cities.csv")[1])
    # (city display name, province name, the cities.csv codes it spans)
    choices: list[tuple[str, str, tuple[str, ...]]] = []
    for pcode, pname in provinces.items():
        own = [c for c in cities if c["provinceCode"] == pcode]
        if own and all(c["name"] in _PLACEHOLDER_CITIES for c in own):
            choices.append((pname, pname, tuple(c["code"] for c in own)))
    choices += [
        (c["name"], provinces[c["provinceCode"]], (c["code"],))
        for c in cities
        if c["name"] not in _PLACEHOLDER_CITIES
    ]
    matches = [c for c in choices if query in {_normalise(k) for k in _keys(c[0])}]
    if len(matches) != 1:
        known = "、".join(c[0] for c in choices[:6])
        problem = "未找到" if not matches else "有多个同名城市"
        raise ValueError(
            f"{problem}城市“{name}”（如：{known}…）/ "
            f"{'unknown' if not matches else 'ambiguous'} city {name!r}; "
            "give the Chinese name or its pinyin, e.g. 'guangzhou' or '北京市'"
        )
    city_name, province, codes = matches[0]
    districts = tuple(
        Division(r["code"], r["name"], r["cityCode"])
        for r in read_rows(root / "areas.csv")[1]
        if r["cityCode"] in codes
    )
    district_codes = {d.code for d in districts}
    streets = tuple(
        Division(r["code"], r["name"], r["areaCode"])
        for r in read_rows(root / "streets.csv.gz")[1]
        if r["areaCode"] in district_codes
    )
    return CityDivisions(codes[0], city_name, province, districts, streets)
