"""Resolve where an appeal is: district, street/town and community of the configured city.

The gazetteer is the city's own division list plus the short forms people say (天河 → 天河区,
石牌 → 石牌街道). A short form that is also a common word (前进, 天桥, 东风) only counts when a
place word follows it (天桥附近, 东风路). A street name shared by two districts counts only when
one of them is named too. Mentions of several districts that no single one outweighs give
"unknown": null is better than a wrong guess. The address field, when given, outranks the text.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rexian.adapters.divisions import CityDivisions, Division, load_city, load_places
from rexian.intelligence.places import extract_places, place_key
from rexian.intelligence.text import clean_text

_STREET_SUFFIXES = ("街道办事处", "地区办事处", "街道", "地区", "民族乡", "镇", "乡")
_DISTRICT_SUFFIXES = ("新区", "区", "县", "市")
# Words that, right after a short form, show it names a place ("天桥附近", "东风路").
_PLACE_WORDS = (
    "路", "街", "道", "村", "镇", "乡", "里", "桥", "门", "小区", "社区", "花园", "家园", "园区",
    "地区", "附近", "一带", "片区", "派出所", "社保所", "市场所", "中心", "大厦", "广场", "公园",
)
_COMMON_WORD_FREQ = 100  # jieba dictionary frequency above which a short form is a common word
_WEIGHTS = {("district", True): 1.0, ("district", False): 0.8, ("street", True): 1.0,
            ("street", False): 0.7, ("community", True): 0.9, ("community", False): 0.6}


@dataclass(frozen=True)
class Place:
    """A named place of the gazetteer; a street names its district, a community both."""

    kind: str  # "city" | "district" | "street" | "community"
    name: str
    district: str | None = None
    street: str | None = None


@dataclass(frozen=True)
class _Entry:
    places: tuple[Place, ...]  # several when a short form is shared (八里庄: 朝阳区 and 海淀区)
    full: bool  # the full official name, not a short form
    weak: bool  # a short form that is also a common word


@dataclass(frozen=True)
class ResolvedLocation:
    """Where an appeal is; None where the text does not say (or says several things)."""

    district: str | None
    street: str | None
    community: str | None
    confidence: float
    evidence: str


UNKNOWN = ResolvedLocation(None, None, None, 0.0, "no place of the city named")


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    import jieba

    words = set()
    with io.TextIOWrapper(jieba.get_dict_file(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and int(parts[1]) >= _COMMON_WORD_FREQ:
                words.add(parts[0])
    return frozenset(words)


def _short_form(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


class Gazetteer:
    """Every surface form of the city's places, scanned leftmost-longest in one pass."""

    def __init__(
        self,
        city: CityDivisions,
        communities: Iterable[Division] = (),
        aliases: Mapping[str, str] | None = None,
        extra_districts: Iterable[str] = (),
    ) -> None:
        """`communities` hang under street codes; `aliases` map a surface form to a district or
        street name (经开区 → 经济技术开发区); `extra_districts` are areas the hotline treats as
        districts although the statistics file does not (Beijing's 经济技术开发区)."""
        self.city = city
        self._entries: dict[str, _Entry] = {}
        common = _common_words()
        by_code = {d.code: d.name for d in city.districts}
        districts = [Place("district", d.name, d.name) for d in city.districts]
        districts += [Place("district", name, name) for name in extra_districts]
        streets = [Place("street", s.name, by_code[s.parent_code], s.name) for s in city.streets]
        street_of = {s.code: p for s, p in zip(city.streets, streets, strict=True)}
        communities_ = [
            Place("community", c.name, street_of[c.parent_code].district,
                  street_of[c.parent_code].street)
            for c in communities
            if c.parent_code in street_of
        ]
        full: dict[str, list[Place]] = defaultdict(list)
        short: dict[str, list[Place]] = defaultdict(list)
        for place in districts:
            full[place.name].append(place)
            if form := _short_form(place.name, _DISTRICT_SUFFIXES):
                short[form].append(place)
        for place in streets:
            full[place.name].append(place)
            if place.name.endswith("地区"):  # Beijing: X地区办事处 and X镇/X乡 are one body
                for suffix in ("镇", "乡"):
                    full.setdefault(place.name[:-2] + suffix, [place])
            if form := _short_form(place.name, _STREET_SUFFIXES):
                short[form].append(place)
        for place in communities_:
            full[place.name].append(place)
            if form := _short_form(place.name, ("社区居委会", "居委会", "社区", "村委会", "村")):
                short[form].append(place)
        # Short forms first, so full names and district short forms overwrite them: 密云 means
        # 密云区, not 密云镇.
        for form, places in short.items():
            if form not in full:
                self._add(form, places, full=False, weak=form in common)
        for form, places in full.items():
            self._add(form, places, full=True, weak=False)
        for place in districts:
            if (form := _short_form(place.name, _DISTRICT_SUFFIXES)) and form not in full:
                self._add(form, [place], full=False, weak=False)
        city_place = Place("city", city.name)
        for form in {city.name, _short_form(city.name, ("市",)) or city.name}:
            self._add(form, [city_place], full=True, weak=False)
        named = {p.name: p for p in districts + streets}
        for alias, target in (aliases or {}).items():
            if target not in named:
                raise ValueError(f"别名“{alias}”指向未知地名“{target}” / alias target {target!r} unknown")
            self._add(alias, [named[target]], full=True, weak=False)
        self._lengths: dict[str, tuple[int, ...]] = defaultdict(tuple)
        for form in self._entries:
            lengths = set(self._lengths[form[0]]) | {len(form)}
            self._lengths[form[0]] = tuple(sorted(lengths, reverse=True))

    def _add(self, form: str, places: list[Place], *, full: bool, weak: bool) -> None:
        self._entries[form] = _Entry(tuple(dict.fromkeys(places)), full, weak)

    def scan(self, text: str) -> list[tuple[str, _Entry]]:
        """Leftmost-longest, non-overlapping mentions of places in `text`."""
        found: list[tuple[str, _Entry]] = []
        i, n = 0, len(text)
        while i < n:
            for length in self._lengths.get(text[i], ()):
                form = text[i : i + length]
                entry = self._entries.get(form)
                if entry is None:
                    continue
                if entry.weak and not text.startswith(_PLACE_WORDS, i + length):
                    continue
                found.append((form, entry))
                i += length
                break
            else:
                i += 1
        return found


class LocationResolver:
    """Free text (and an address field) → district / street / community, or unknown."""

    def __init__(self, gazetteer: Gazetteer, dominance: float = 1.5) -> None:
        """`dominance`: how much the leading district must outweigh the next to be chosen."""
        self.gazetteer = gazetteer
        self.dominance = dominance

    def resolve(self, text: str, address: str | None = None) -> ResolvedLocation:
        if address and (from_address := self._resolve(clean_text(address))).district:
            if from_address.street is None:
                from_text = self._resolve(clean_text(text))
                if from_text.district == from_address.district and from_text.street:
                    return ResolvedLocation(
                        from_address.district, from_text.street, from_text.community,
                        from_address.confidence,
                        f"{from_address.evidence} (address); {from_text.evidence} (text)",
                    )
            return ResolvedLocation(
                from_address.district, from_address.street, from_address.community,
                min(1.0, from_address.confidence + 0.1), f"{from_address.evidence} (address)",
            )
        return self._resolve(clean_text(text))

    def _resolve(self, text: str) -> ResolvedLocation:
        mentions = [(form, e) for form, e in self.gazetteer.scan(text) if e.places[0].kind != "city"]
        if not mentions:
            return UNKNOWN
        named_districts = {
            p.district for _, e in mentions for p in e.places if p.kind == "district"
        }
        score: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        streets: dict[tuple[str, str], float] = defaultdict(float)
        communities: dict[tuple[str, str, str], float] = defaultdict(float)
        for form, entry in mentions:
            places = entry.places
            if len({p.district for p in places}) > 1:
                places = tuple(p for p in places if p.district in named_districts)
                if len({p.district for p in places}) != 1:
                    continue  # a shared street name with no district to settle it
            weight = _WEIGHTS[(places[0].kind, entry.full)]
            district = places[0].district
            assert district is not None
            score[district] += weight
            evidence[district].append(form)
            for p in places:
                if p.street:
                    streets[(district, p.street)] += weight
                if p.kind == "community":
                    communities[(district, p.street or "", p.name)] += weight
        if not score:
            return UNKNOWN
        ranked = sorted(score.items(), key=lambda kv: kv[1], reverse=True)
        best, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if runner_up and top < self.dominance * runner_up:
            named = "、".join(d for d, _ in ranked[:3])
            return ResolvedLocation(None, None, None, 0.0, f"several districts named: {named}")
        share = top / sum(score.values())
        confidence = round(min(1.0, 0.5 + 0.3 * min(top, 1.5)) * share, 3)
        street = _unique_best({k[1]: v for k, v in streets.items() if k[0] == best})
        community = _unique_best(
            {k[2]: v for k, v in communities.items() if k[:2] == (best, street)}
        ) if street else None
        where = best + (street or "") + (community or "")
        return ResolvedLocation(best, street, community, confidence,
                                f"{where} from {'、'.join(dict.fromkeys(evidence[best]))}")


class PlaceMemory:
    """Estates, roads and buildings learned from past orders whose district is known.

    The division list knows 海淀区 and 上地街道 but not 北四环西路 or 龙锦苑; the hotline's own history
    does. A place counts once its past orders agree on one district (`purity`); places of one text
    that point to different districts give nothing. Only consulted where the gazetteer found nothing.
    """

    def __init__(self, purity: float = 0.9, max_places: int = 500_000) -> None:
        self.purity = purity
        self.max_places = max_places
        self._seen: dict[str, Counter[tuple[str, str | None]]] = {}

    text_chars = 500  # the opening of a text names its place; reading all of a long one cost p99

    def _keys(self, text: str, address: str | None) -> set[str]:
        return {place_key(name) for name in extract_places(address, text[: self.text_chars]).names}

    def learn(self, text: str, address: str | None, district: str, street: str | None) -> None:
        for key in self._keys(text, address):
            if key in self._seen or len(self._seen) < self.max_places:
                self._seen.setdefault(key, Counter())[(district, street)] += 1

    def recall(self, text: str, address: str | None = None) -> ResolvedLocation:
        votes: dict[str, list[tuple[str, int, str | None]]] = defaultdict(list)
        for key in self._keys(text, address):
            if not (seen := self._seen.get(key)):
                continue
            by_district: Counter[str] = Counter()
            for (district, _), n in seen.items():
                by_district[district] += n
            district, n = by_district.most_common(1)[0]
            total = sum(by_district.values())
            if n / total >= self.purity:
                streets = {street for (d, street) in seen if d == district}
                votes[district].append((key, total, streets.pop() if len(streets) == 1 else None))
        if len(votes) != 1:
            return UNKNOWN
        [(district, found)] = votes.items()
        streets = {street for _, _, street in found}
        orders = max(total for _, total, _ in found)
        named = "、".join(key for key, _, _ in found)
        return ResolvedLocation(district, streets.pop() if len(streets) == 1 else None, None,
                                round(min(0.8, 0.4 + 0.1 * orders), 3),
                                f"{district} from {named} (learned from {orders} earlier orders)")


class RememberingResolver:
    """The city's resolver first; where it finds nothing, the places learned from past orders."""

    def __init__(self, resolver: LocationResolver, memory: PlaceMemory | None = None) -> None:
        self.resolver = resolver
        self.memory = memory or PlaceMemory()

    @property
    def gazetteer(self) -> Gazetteer:
        return self.resolver.gazetteer

    def resolve(self, text: str, address: str | None = None) -> ResolvedLocation:
        found = self.resolver.resolve(text, address)
        return found if found.district else self.memory.recall(text, address)

    def learn(self, text: str, address: str | None, district: str | None, street: str | None) -> None:
        if district:
            self.memory.learn(text, address, district, street)


@lru_cache(maxsize=8)
def city_resolver(name: str) -> LocationResolver:
    """The resolver of the city called `name`: its divisions plus its places.csv (cached; read-only)."""
    city = load_city(name)
    places = load_places(city)
    return LocationResolver(Gazetteer(city, aliases=dict(places.aliases), extra_districts=places.extra_districts))


def _unique_best(scores: dict[str, float]) -> str | None:
    """The highest-scoring name, or None on a tie."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]
