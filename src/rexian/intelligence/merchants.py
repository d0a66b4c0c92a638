"""Registered merchants and the matcher that finds the one a caller is talking about.

Callers rarely say a registered name in full: they say "华宇开关" for 北京市华宇开关控制设备有限责任公司,
and speech recognition may write it "华雨开关" or "花语". The matcher therefore compares toneless
pinyin (every reading of each spoken character, with the usual z/zh, n/l, -n/-ng confusions allowed
at a cost) against each merchant's distinctive core — the name without its region prefix and legal
form — and prefers, among equals, the merchant in the district or street the caller is in.
Unified social credit codes are checked against GB 32100-2015 on import.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin, pinyin

from rexian.adapters.files import read_rows
from rexian.config import get_settings
from rexian.intelligence.text import clean_text

# --- unified social credit code (统一社会信用代码), GB 32100-2015 -----------------------------------
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are `first17`."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if not _USCC_SHAPE.match(code):
        return "格式错误 malformed: 18 characters of 0-9 and A-Y without I, O, S, V, Z"
    if uscc_check_char(code[:17]) != code[17]:
        return f"校验位错误 bad check character: expected {uscc_check_char(code[:17])}"
    return None


# --- the registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merchant:
    """A registered business."""

    name: str
    aliases: tuple[str, ...] = ()
    address: str | None = None
    district: str | None = None
    street: str | None = None
    credit_code: str | None = None


@dataclass(frozen=True)
class ImportProblem:
    """A row the import had to correct: the merchant is kept, the bad value dropped."""

    row: int
    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class MerchantColumns:
    """Which column holds each field; each field also accepts the usual Chinese headers."""

    name: str = "name"
    aliases: str = "aliases"
    address: str = "address"
    district: str = "district"
    street: str = "street"
    credit_code: str = "credit_code"


_HEADER_FALLBACKS = {
    "name": ("企业名称", "商户名称", "名称"),
    "aliases": ("别名", "简称"),
    "address": ("地址", "注册地址", "经营地址"),
    "district": ("区", "所属区", "行政区"),
    "street": ("街道", "街镇", "所属街道"),
    "credit_code": ("统一社会信用代码", "信用代码"),
}
_ALIAS_SPLIT = re.compile(r"[|｜;；、,，/]")


@dataclass(frozen=True)
class MerchantMatch:
    """The merchant the text names, the words that named it, and why it was chosen."""

    merchant: Merchant
    score: float
    mention: str
    start: int
    end: int
    reason: str

    @property
    def name(self) -> str:
        return self.merchant.name

    @property
    def credit_code(self) -> str | None:
        return self.merchant.credit_code


@dataclass(frozen=True)
class _Key:
    merchant: int
    text: str
    syllables: tuple[str, ...]
    fuzzy: tuple[str, ...]


@dataclass
class MerchantRegistry:
    """Merchants indexed by the pinyin of the first two syllables of each name core and alias."""

    merchants: list[Merchant]
    problems: list[ImportProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._keys: list[_Key] = []
        self._index: dict[tuple[str, str], list[int]] = defaultdict(list)
        for m_idx, merchant in enumerate(self.merchants):
            for text in dict.fromkeys([name_core(merchant.name), *map(name_core, merchant.aliases)]):
                if len(text) < 2:
                    continue
                syllables = tuple(lazy_pinyin(text, style=Style.NORMAL, errors=_spell_other))
                if len(syllables) != len(text):
                    continue
                key = _Key(m_idx, text, syllables, tuple(map(_fuzzy, syllables)))
                self._index[key.fuzzy[:2]].append(len(self._keys))
                self._keys.append(key)

    def __len__(self) -> int:
        return len(self.merchants)

    # -- import --

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, object]], columns: MerchantColumns | None = None) -> MerchantRegistry:
        """Build from mappings (CSV/XLSX rows); bad credit codes are dropped and listed in `problems`."""
        columns = columns or MerchantColumns()
        merchants: list[Merchant] = []
        problems: list[ImportProblem] = []
        for row_no, row in enumerate(rows, start=2):

            def get(field_name: str, row: Mapping[str, object] = row) -> str:
                for header in (getattr(columns, field_name), *_HEADER_FALLBACKS[field_name]):
                    value = row.get(header)
                    if value not in (None, ""):
                        return clean_text(str(value))
                return ""

            name = get("name")
            if not name or name == "0":
                continue
            code = get("credit_code").upper() or None
            if code and (reason := uscc_problem(code)):
                problems.append(ImportProblem(row_no, name, code, reason))
                code = None
            aliases = tuple(a.strip() for a in _ALIAS_SPLIT.split(get("aliases")) if a.strip())
            merchants.append(
                Merchant(name, aliases, get("address") or None, get("district") or None, get("street") or None, code)
            )
        return cls(merchants, problems)

    @classmethod
    def from_file(cls, path: str | Path, columns: MerchantColumns | None = None) -> MerchantRegistry:
        """Load a CSV, CSV.GZ or XLSX registry (first sheet, header row first)."""
        return cls.from_rows(read_rows(path)[1], columns)

    # -- matching --

    def candidates(
        self, text: str, district: str | None = None, street: str | None = None, limit: int = 5
    ) -> list[MerchantMatch]:
        """The best-scoring merchants named in `text`, best first, one entry per merchant."""
        text = clean_text(text)
        readings = [_readings(ch) for ch in text]
        best: dict[int, MerchantMatch] = {}
        for i in range(len(text) - 1):
            seen: set[int] = set()
            for a in readings[i][1]:
                for b in readings[i + 1][1]:
                    for k_idx in self._index.get((a, b), ()):
                        if k_idx in seen:
                            continue
                        seen.add(k_idx)
                        match = self._align(text, readings, i, self._keys[k_idx], district, street)
                        if match and (
                            (old := best.get(self._keys[k_idx].merchant)) is None or match.score > old.score
                        ):
                            best[self._keys[k_idx].merchant] = match
        return sorted(best.values(), key=lambda m: (-m.score, -(m.end - m.start)))[:limit]

    def match(self, text: str, district: str | None = None, street: str | None = None) -> MerchantMatch | None:
        """The merchant `text` most likely names, or None when nothing scores high enough."""
        found = self.candidates(text, district, street, limit=1)
        return found[0] if found else None

    def _align(
        self, text: str, readings: list[tuple[frozenset[str], frozenset[str]]], start: int, key: _Key,
        district: str | None, street: str | None,
    ) -> MerchantMatch | None:
        exact = homophone = fuzzy = 0
        length = 0
        while length < len(key.text) and start + length < len(text):
            pos = start + length
            if text[pos] == key.text[length]:
                exact += 1
            elif key.syllables[length] in readings[pos][0]:
                homophone += 1
            elif key.fuzzy[length] in readings[pos][1]:
                fuzzy += 1
            else:
                break
            length += 1
        if length < 2:
            return None
        end = start + length
        full = length == len(key.text)
        if length == 2 and not full:
            misheard_common_word = exact < 2 and _word_frequency(text[start:end]) >= 100
            if misheard_common_word or not _ORG_CUE.match(text, end):
                return None  # a bare two-syllable brand, or "但是" before 公司, is too weak alone
        score = 70 + 7.5 * min(length, 4) - 3 * homophone - 8 * fuzzy
        merchant = self.merchants[key.merchant]
        reasons = [f"「{text[start:end]}」≈「{key.text}」" + ("全称核心" if full else f"前{length}字")]
        if homophone or fuzzy:
            reasons.append(f"同音{homophone}字、近音{fuzzy}字")
        if district and merchant.district:
            same = merchant.district == district
            score += 5 if same else -5
            reasons.append("同区" if same else "不同区")
        if street and merchant.street and merchant.street == street:
            score += 3
            reasons.append("同街道")
        if score < MATCH_THRESHOLD:
            return None
        return MerchantMatch(merchant, min(score, 100.0), text[start:end], start, end, "；".join(reasons))


MATCH_THRESHOLD = 75.0
_ORG_CUE = re.compile(r"(?:公司|集团|店|超市|商场|餐厅|饭店|酒楼|酒家|物业|学校|培训|中心|医院|诊所|银行|酒店|宾馆|厂|门店)")


# --- name cores ----------------------------------------------------------------------------------

_LEGAL_FORM = re.compile(
    r"(?:(?:股份)?有限(?:责任)?公司.{0,10}分(?:公司|行)|(?:股份)?有限(?:责任)?公司|集团|分公司|公司|分店|门店|店|中心|事务所|工作室|合作社)$"
)
_DISTRICT_PREFIX = re.compile(r"^[\u4e00-\u9fff]{1,3}?(?:新区|区|县)")
_BRACKETED = re.compile(r"[（(][^）)]{1,8}[）)]")


@lru_cache(maxsize=1)
def _region_prefix() -> re.Pattern[str]:
    names = {"中国", "北京", "广州", "广东", "上海", "天津", "重庆", "深圳"}
    national = get_settings().data_dir / "divisions" / "national"
    for file in ("provinces.csv", "cities.csv"):
        path = national / file
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    name = row["name"]
                    if name not in ("市辖区", "县"):
                        names.add(re.sub(r"(?:省|市|自治区|特别行政区|壮族|回族|维吾尔)+$", "", name))
    alternatives = "|".join(sorted((n for n in names if len(n) >= 2), key=len, reverse=True))
    return re.compile(rf"^(?:{alternatives})(?:省|市)?")


def name_core(name: str) -> str:
    """The distinctive part of a business name: no bracketed region, region prefix or legal form.

    The region is kept when removing it would leave two characters or fewer ("广州酒家" stays).
    """
    name = _BRACKETED.sub("", clean_text(name))
    core = name
    for _ in range(2):
        core = _LEGAL_FORM.sub("", core) or core
    if len(core) <= 2:
        return name
    for prefix in (_region_prefix(), _DISTRICT_PREFIX):
        stripped = prefix.sub("", core)
        if len(stripped) > 2:
            core = stripped
    return core


# --- pinyin --------------------------------------------------------------------------------------

_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=4096)
def _fuzzy(syllable: str) -> str:
    """A syllable with the confusions speech recognisers and southern speakers make folded away."""
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def _spell_other(chars: str) -> list[str]:
    return [c.lower() for c in chars]


@lru_cache(maxsize=16384)
def _readings(char: str) -> tuple[frozenset[str], frozenset[str]]:
    """Every toneless reading of `char`, exact and fuzzy (polyphones keep all their readings)."""
    if "\u4e00" <= char <= "\u9fff":
        exact = frozenset(pinyin(char, style=Style.NORMAL, heteronym=True)[0])
    else:
        exact = frozenset([char.lower()])
    return exact, frozenset(map(_fuzzy, exact))


@lru_cache(maxsize=4096)
def _word_frequency(word: str) -> int:
    """How common `word` is in jieba's dictionary: "但是" before 公司 is not a brand."""
    from rexian.intelligence.text import jieba_instance

    return jieba_instance().dt.FREQ.get(word) or 0
