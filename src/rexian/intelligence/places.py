"""Place names inside free Chinese text: districts (A5区, 天河区) and named estates, roads, villages.

Citizens rarely fill an address field but nearly always name the place in the text
("A市A5区魅力之城小区", "丽发新城小区", "星沙大道"). A place is a run of name characters ending in
a place suffix, cut at function words and punctuation; hotspots group by it and duplicate
detection checks that two appeals name the same place.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rexian.intelligence.text import clean_text

# Districts: the anonymised "A5区 / A7县 / A市" of the Teddy data and real "xx区/xx县".
_DISTRICT = re.compile(r"A\d{1,2}[区县]|(?<=市)[\u4e00-\u9fa5]{1,3}?(?<![小社园城校])(?:新区|区|县)")
_CITY = re.compile(r"A市|西地省|[\u4e00-\u9fa5]{2}[省市](?=[A-Z\u4e00-\u9fa5])")
# Characters that never belong to a place name: punctuation, function words, pronouns.
_STOP = "，。！？；：、,.!?;:()（）《》<>“”\"'【】[]的在于是和与及或对向从把被给让到为有将等也都就还又很我你他她们该本此这那个所住沿离距了过"
_SUFFIX = (
    r"(?:小区|花园|家园|公寓|社区|街道|大道|广场|学校|中学|小学|幼儿园|医院|公园|市场|大厦|新村|"
    r"村|苑|湾|(?<!政)府|城(?!管|市|乡|区|镇|建|际|投)|路(?!灯|面|段|况|线|费|过|上|旁|政|由|人)|街|巷)"
)
_PLACE = re.compile(rf"[^\s{re.escape(_STOP)}]{{2,10}}?{_SUFFIX}+")
# Verbs and actors that end up glued in front of a name ("业主反馈桃花苑"): cut after the last one.
_PREFIX_CUT = re.compile(
    r"^.*(?:反映|投诉|反馈|关于|咨询|建议|请问|希望|要求|举报|请求|恳请|位于|地处|来自|地址|购买|买了|"
    r"入住|报道|进入|业主|开发商|物业|商品房|楼盘|导致|造成|靠近|附近|通过|经过|报道过|请)"
)
_GENERIC_TAIL = re.compile(r"(?:小区|社区)$")
# How specific a place is: an estate or a school beats a road, a road beats a sub-district.
_TIERS = (
    (re.compile(r"(?:街道)$"), 3),
    (re.compile(r"(?:路|街|大道|巷)$"), 2),
    (re.compile(r"(?:村|社区)$"), 1),
)


def _tier(name: str) -> int:
    return next((tier for pattern, tier in _TIERS if pattern.search(name)), 0)


@dataclass(frozen=True, slots=True)
class Places:
    """What a text says about where: its district (if any) and its named places, main one first."""

    district: str | None
    names: tuple[str, ...]

    @property
    def main(self) -> str | None:
        return self.names[0] if self.names else None


def place_key(name: str) -> str:
    """Grouping key of a place: "丽发新城小区" and "丽发新城" are the same estate."""
    stripped = _GENERIC_TAIL.sub("", name)
    return stripped if len(stripped) >= 2 else name


def _names(text: str) -> list[str]:
    text = _CITY.sub("，", _DISTRICT.sub("，", text))
    found = []
    for match in _PLACE.finditer(text):
        name = _PREFIX_CUT.sub("", match.group())
        if len(name) >= 3 and not name[0].isdigit():
            found.append(name)
    return found


def extract_places(title: str | None, text: str | None = None) -> Places:
    """Places named in a title and its text, the main one first.

    Title places come before text places; within each, the most specific (estate, then village or
    community, road, sub-district), then the most frequent.
    """
    title, text = clean_text(title), clean_text(text)
    district = next((m.group() for m in _DISTRICT.finditer(f"{title} {text}")), None)
    in_title = sorted(dict.fromkeys(_names(title)), key=_tier)
    counts = Counter(_names(text))
    in_text = sorted(counts, key=lambda name: (_tier(name), -counts[name]))
    ordered = list(dict.fromkeys(in_title + in_text))
    return Places(district, tuple(ordered))
