"""Extraction: from a call transcript or a message, the fields of a work-order draft.

Pure functions over text, one per field (phones, ID numbers, name, times, amounts, appeal type,
urgency, summary), and an `Extractor` that combines them with the injected collaborators that
need data: a location resolver, a category classifier and a merchant registry. The extractor
re-reads the whole transcript on every update; each step is linear in the text, so a draft for a
three-minute call is rebuilt in a few milliseconds (see bench/eval_extraction.py).

Speech recognition writes numbers as spoken: "幺三八 零零一三 八零零零". Phone and ID numbers are
read from runs of Arabic or Chinese digits, grouped by spaces or punctuation, and kept only when
the digits form a valid number (mobile prefix, area code, ID checksum).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from rexian.domain.privacy import mask_id_number
from rexian.intelligence.emergency import EmergencyAssessment, assess
from rexian.intelligence.merchants import MerchantRegistry
from rexian.intelligence.text import clean_text

SHANGHAI = ZoneInfo("Asia/Shanghai")

APPEAL_TYPES = ("consultation", "help", "suggestion", "complaint", "report")
URGENCIES = ("normal", "urgent", "emergency")

# --- numbers said in Chinese -----------------------------------------------------------------------

_DIGIT = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {
    "〇": "0", "洞": "0", "幺": "1", "两": "2", **{str(i): str(i) for i in range(10)}
}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_BIG_UNIT = {"万": 10_000, "亿": 100_000_000}
_CN_NUMBER = "零〇一二两三四五六七八九十百千万亿"


def cn_number(text: str) -> int:
    """The value of a number written in Arabic or Chinese digits ("62800", "三千", "二十三", "二〇二四")."""
    if text.isdigit():
        return int(text)
    if not any(c in _UNIT or c in _BIG_UNIT for c in text):
        return int("".join(_DIGIT[c] for c in text))
    total = section = digit = 0
    for c in text:
        if c in _UNIT:
            section += (digit or 1) * _UNIT[c]
            digit = 0
        elif c in _BIG_UNIT:
            total += (section + digit) * _BIG_UNIT[c]
            section = digit = 0
        else:
            digit = int(_DIGIT[c])
    return total + section + digit


# --- phones and ID numbers -------------------------------------------------------------------------

_DIGIT_CHARS = "0-9零〇洞幺一二两三四五六七八九"
_DIGIT_RUN = re.compile(
    rf"(?<![A-Za-z0-9])[{_DIGIT_CHARS}]+[Xx]?(?:[\s\-—–‐,，、.·]{{1,2}}[{_DIGIT_CHARS}]+[Xx]?)*(?![A-Za-z0-9])"
)
_GROUP = re.compile(rf"[{_DIGIT_CHARS}]+[Xx]?")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:(010|02\d)([1-9]\d{7})|(0[3-9]\d{2})([1-9]\d{6,7}))$")
_SERVICE = re.compile(r"^[48]00\d{7}$")
_LOCAL = re.compile(r"^[2-8]\d{6,7}$")
_PHONE_CUE = re.compile(r"(?:电话|手机|座机|拨打|致电|联系|热线|打了?)[^。！？，,]{0,6}$")
_NOT_A_NUMBER_AFTER = re.compile(r"\s?(?:元|块|万|千|百|亿|%|年|月|日|号|平方|米|吨|个|次|天|岁)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_valid(number: str) -> bool:
    """Whether `number` is an 18-character resident ID with a real birth date and checksum."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return _ID_CHECK[sum(int(c) * w for c, w in zip(number, _ID_WEIGHTS, strict=False)) % 11] == number[17]


def _as_phone(digits: str, cued: bool) -> str | None:
    if _MOBILE.match(digits) or _SERVICE.match(digits):
        return digits
    if m := _LANDLINE.match(digits):
        area, local = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return f"{area}-{local}"
    if cued and _LOCAL.match(digits):
        return digits
    return None


def _digit_groups(text: str) -> list[tuple[list[str], bool]]:
    """Each run of digits as its groups (X upper-cased), and whether a phone word precedes it.

    The group right before a unit of money or date ("2382693元", "二零一四年") is not a number to dial.
    """
    runs = []
    for run in _DIGIT_RUN.finditer(text):
        groups = ["".join(_DIGIT.get(c, "X") for c in g.group()) for g in _GROUP.finditer(run.group())]
        if _NOT_A_NUMBER_AFTER.match(text, run.end()):
            groups.pop()
        runs.append((groups, _PHONE_CUE.search(text, max(0, run.start() - 12), run.start()) is not None))
    return runs


def _numbers(text: str) -> tuple[list[str], list[str]]:
    """Phones and ID numbers: the longest valid number from each group on, groups used once."""
    phones: list[str] = []
    ids: list[str] = []
    for groups, cued in _digit_groups(text):
        i = 0
        while i < len(groups):
            found: tuple[int, str, str] | None = None
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j]
                if len(digits) > 18:
                    break
                if len(digits) == 18 and id_number_valid(digits):
                    found = (j, "id", digits)
                elif "X" not in digits and (phone := _as_phone(digits, cued and i == 0)):
                    found = (j, "phone", phone)
            if found is None:
                i += 1
                continue
            (ids if found[1] == "id" else phones).append(found[2])
            i = found[0] + 1
    return list(dict.fromkeys(phones)), list(dict.fromkeys(ids))


def extract_phones(text: str) -> list[str]:
    """Mobile, landline (area-local) and 400/800 numbers, in order, spoken digits included."""
    return _numbers(clean_text(text))[0]


def extract_id_numbers(text: str) -> list[str]:
    """Valid 18-character resident ID numbers, in order."""
    return _numbers(clean_text(text))[1]


# --- the caller's name -----------------------------------------------------------------------------

_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|令狐|慕容|司徒|尉迟|公孙|夏侯|宇文|长孙|端木|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
    "梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简"
    "车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩明佘池查麻苑迟邝]"
)
_NAME_TAIL = r"[\u4e00-\u9fff]{1,2}"
_NOT_IN_NAME = set("想要是在的了说住来去有和跟找打就也还都啊呀吧呢嘛哦我你他她先女士生反映投诉咨询举报电话号码家今")
_FULL_NAME = re.compile(rf"(?:我|本人)(?:叫|的名字(?:是|叫)|名叫)\s*((?:{_SURNAMES}){_NAME_TAIL})|(?:姓名|名字)[：:\s是叫为]*((?:{_SURNAMES}){_NAME_TAIL})")
_SURNAME_SAID = re.compile(rf"(?:我|本人|免贵)姓\s*({_SURNAMES})")
_TITLED = re.compile(rf"({_SURNAMES})([\u4e00-\u9fff]{{0,2}}?)(先生|女士|小姐)")
_MALE = re.compile(r"是男的|男性|本人男")
_FEMALE = re.compile(r"是女的|女性|本人女")


def _trim_name(name: str) -> str:
    for i, c in enumerate(name):
        if i > 0 and c in _NOT_IN_NAME:
            return name[:i]
    return name


def extract_name(text: str) -> str | None:
    """The caller's name: "我叫李明" → 李明; "我姓王" → 王先生/王女士 when the gender is said, else 王."""
    text = clean_text(text)
    if m := _FULL_NAME.search(text):
        name = _trim_name(m.group(1) or m.group(2))
        if len(name) >= 2:
            return name
    said = _SURNAME_SAID.search(text)
    for m in _TITLED.finditer(text):
        if said is None or m.group(1) == said.group(1):
            given = _trim_name(m.group(2)) if m.group(2) else ""
            if len(given) == len(m.group(2)) and given:
                return m.group(1) + given
            return m.group(1) + ("先生" if m.group(3) == "先生" else "女士")
    if said:
        surname = said.group(1)
        if _MALE.search(text):
            return surname + "先生"
        if _FEMALE.search(text):
            return surname + "女士"
        return surname
    return None


# --- time expressions ------------------------------------------------------------------------------

_CN = "零〇一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"
_TIME = re.compile(
    r"(?:"
    rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年(?:(?P<m>{_NUM})月(?:(?P<d>{_NUM})[日号])?)?"
    rf"|(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})(?![\d.])"
    rf"|(?P<m2>{_NUM})月(?P<d2>{_NUM})[日号]"
    r"|(?P<rel>大前天|前天|昨天|昨日|昨晚|昨夜|今天|今日|今早|今晚|今夜|明天|明日|明早|明晚|后天)"
    r"|(?P<wk>上上|上|这|本|下)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])"
    rf"|(?P<n>\d+|[{_CN}]+)(?P<nu>天|个星期|个礼拜|周|个月|年)(?:前|以前|之前)"
    r")?"
    r"(?P<part>凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜|深夜)?"
    rf"(?:(?P<h>\d{{1,2}}|[{_CN}]{{1,3}})(?:点钟?|时)(?:(?P<half>半)|(?P<min>\d{{1,2}}|[{_CN}]{{1,3}})分?)?)?"
    r"(?P<suffix>以后|之后|以前|之前|左右|前后|多)?"
)
_REL_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "昨晚": -1, "昨夜": -1, "今天": 0, "今日": 0,
             "今早": 0, "今晚": 0, "今夜": 0, "明天": 1, "明日": 1, "明早": 1, "明晚": 1, "后天": 2}
_WEEKDAY = {c: i for i, c in enumerate("一二三四五六")} | {"日": 6, "天": 6}
_WEEK_SHIFT = {"上上": -2, "上": -1, "这": 0, "本": 0, None: 0, "下": 1}
_PART_HOUR = {"凌晨": 3, "清晨": 6, "早上": 8, "早晨": 8, "上午": 9, "中午": 12, "下午": 15, "傍晚": 18,
              "晚上": 20, "夜里": 22, "夜间": 22, "半夜": 0, "深夜": 23}
_PM_PARTS = {"下午", "傍晚", "晚上", "夜里", "夜间", "深夜"}
_REL_PART = {"昨晚": "晚上", "今晚": "晚上", "明晚": "晚上", "昨夜": "夜里", "今夜": "夜里", "今早": "早上", "明早": "早上"}


@dataclass(frozen=True)
class TimeMention:
    """A time expression as said, and when it is if the text makes that resolvable."""

    text: str
    start: int
    end: int
    value: datetime | None
    granularity: str | None  # "year", "month", "day", "part_of_day", "hour", "minute" or None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value.isoformat() if self.value else None,
                "granularity": self.granularity}


def _date_of(m: re.Match[str], now: datetime) -> tuple[date | None, str | None]:
    today = now.date()
    if m.group("y"):
        year = cn_number(m.group("y"))
        if not m.group("m"):
            return date(year, 1, 1), "year"
        if not m.group("d"):
            return date(year, cn_number(m.group("m")), 1), "month"
        return date(year, cn_number(m.group("m")), cn_number(m.group("d"))), "day"
    if m.group("iy"):
        return date(int(m.group("iy")), int(m.group("im")), int(m.group("id"))), "day"
    if m.group("m2"):
        return date(today.year, cn_number(m.group("m2")), cn_number(m.group("d2"))), "day"
    if m.group("rel"):
        return today + timedelta(days=_REL_DAYS[m.group("rel")]), "day"
    if m.group("wd"):
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(weeks=_WEEK_SHIFT[m.group("wk")], days=_WEEKDAY[m.group("wd")]), "day"
    if m.group("n"):
        n, unit = cn_number(m.group("n")), m.group("nu")
        if unit == "年":
            return date(today.year - n, 1, 1), "year"
        days = {"天": 1, "个月": 30}.get(unit, 7)
        return today - timedelta(days=n * days), "day"
    return None, None


def _time_value(m: re.Match[str], now: datetime) -> tuple[datetime | None, str | None]:
    day, granularity = _date_of(m, now)
    if day is None:
        return None, None
    part = m.group("part") or _REL_PART.get(m.group("rel") or "")
    hour, minute = None, 0
    if m.group("h"):
        hour = cn_number(m.group("h"))
        if m.group("half"):
            minute = 30
        elif m.group("min"):
            minute = cn_number(m.group("min"))
        if part in _PM_PARTS and hour < 12 or part == "中午" and hour < 6:
            hour += 12
        granularity = "minute" if m.group("half") or m.group("min") else "hour"
    elif part and granularity == "day":
        hour, granularity = _PART_HOUR[part], "part_of_day"
    if hour is None:
        return datetime.combine(day, time(0), now.tzinfo), granularity
    if hour >= 24 or minute >= 60:
        return datetime.combine(day, time(0), now.tzinfo), "day"
    return datetime.combine(day, time(hour, minute), now.tzinfo), granularity


def extract_times(text: str, now: datetime) -> list[TimeMention]:
    """Time expressions: 昨天晚上, 上周三, 2024年8月3日, 晚上十点以后 … resolved against `now`."""
    text = clean_text(text)
    found = []
    for m in _TIME.finditer(text):
        has_date = any(m.group(g) for g in ("y", "iy", "m2", "rel", "wd", "n"))
        clock = m.group("h")
        if not (has_date or m.group("part") or clock):
            continue
        if clock and not (has_date or m.group("part")) and not (
            clock.isdigit() or m.group("half") or m.group("min") or m.group("suffix") or "钟" in m.group()
        ):
            continue  # "快一点", "好一点" are not clock times
        try:
            value, granularity = _time_value(m, now)
        except ValueError:
            value, granularity = None, None
        found.append(TimeMention(m.group(), m.start(), m.end(), value, granularity))
    return found


# --- amounts ---------------------------------------------------------------------------------------

_AMOUNT = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{_CN_NUMBER}]+)(?P<unit>[万千百])?(?P<approx>多|余|来)?(?:块钱|块|元钱|元|圆)"
)
_UNIT_VALUE = {"百": 100, "千": 1000, "万": 10_000}


@dataclass(frozen=True)
class Amount:
    """A sum of money as said, its value in yuan, and whether it was "more than" (62800多元)."""

    text: str
    value: float
    approximate: bool

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "approximate": self.approximate}


def extract_amounts(text: str) -> list[Amount]:
    """Sums of money in yuan: 62800多元, 三千块, 1.5万元."""
    found = []
    for m in _AMOUNT.finditer(clean_text(text)):
        num = m.group("num")
        value = float(num) if num[0].isdigit() else float(cn_number(num))
        value *= _UNIT_VALUE.get(m.group("unit") or "", 1)
        found.append(Amount(m.group(), value, bool(m.group("approx"))))
    return found


# --- appeal type and urgency -----------------------------------------------------------------------

_APPEAL_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("report", re.compile(r"举报|检举|揭发")),
    ("complaint", re.compile(r"投诉|态度恶劣|态度很差|不作为|推诿|敷衍")),
    ("suggestion", re.compile(r"建议|提议|提个意见|献策")),
    ("help", re.compile(r"求助|帮忙|帮帮|救助|请求|要求|希望.{0,12}(?:处理|解决|整改|核实|查处|帮)")),
    ("consultation", re.compile(r"咨询|请问|想问|问一下|问问|怎么办理|如何办理|需要什么材料|是否可以|能不能办|怎么申请|如何申请")),
)
_URGENT = re.compile(r"紧急|很急|特别急|非常急|着急|急需|马上|立刻|赶紧|危险|隐患|停水|停电|断水|断电|没水|没电|孕妇|婴儿|救命")


def appeal_type(text: str) -> str | None:
    """consultation / help / suggestion / complaint / report from the caller's own words.

    Reporting and complaining outrank the rest when both are said; a request to act is help.
    """
    text = clean_text(text)
    for kind, cue in _APPEAL_CUES:
        if cue.search(text):
            return kind
    return None


def urgency(text: str, emergency: EmergencyAssessment) -> str:
    """emergency (transfer now), urgent (danger feared, services cut, vulnerable people) or normal."""
    if emergency.is_emergency:
        return "emergency"
    if emergency.is_potential or _URGENT.search(clean_text(text)):
        return "urgent"
    return "normal"


# --- address and summary ---------------------------------------------------------------------------

_ADDRESS = re.compile(
    r"(?:住在|家住|住|位于|地址[是在为]?[：:]?|在)"
    r"(?P<addr>[\u4e00-\u9fff0-9A-Za-z\-]{2,24}(?:路|街道|街|大道|巷|村|小区|花园|苑|广场|大厦|市场|[0-9一二三四五六七八九十]+(?:号楼|栋|号|室)))"
)
_SPEAKER = re.compile(r"^\s*(坐席|客服|话务员|接线员|工作人员|agent|市民|来电人|caller)\s*[:：]\s*", re.IGNORECASE)
_AGENT = {"坐席", "客服", "话务员", "接线员", "工作人员", "agent"}
_CLAUSE = re.compile(r"[^。！？!?；;，,\n]+")
_SMALL_TALK = re.compile(r"^(?:喂|您好|你好|嗯|啊|哦|好的|对|是的|谢谢|请讲|请问您?贵姓|还有什么|感谢您的来电|稍等)[，。！？]*$|您好|请问有什么")
_PROBLEM = re.compile(
    r"问题|投诉|反映|举报|咨询|不[能让给行肯]|没有?|坏|漏|噪音|扰民|违规|违法|乱|堵|拖欠|罚款|收费|欠|着火|被困|受伤|"
    r"臭|脏|吵|占用|停[水电]|维修|施工|退[款费]|申请|办理|补贴|污染"
)
_WANT = re.compile(r"希望|要求|请求|麻烦|想要|想让|想请|能不能|可否|请.{0,6}(?:处理|解决|核实|回复|帮)")
SUMMARY_LIMIT = 120


def _caller_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines() or [text]:
        speaker = _SPEAKER.match(line)
        if speaker and speaker.group(1).lower() in _AGENT:
            continue
        lines.append(line[speaker.end():] if speaker else line)
    return lines


def address_text(text: str) -> str | None:
    """The first address-like phrase ("住在天河区石牌东路12号") as said, or None."""
    m = _ADDRESS.search(clean_text(text))
    return m.group("addr") if m else None


def summarise(text: str, who: str | None, where: str | None) -> str:
    """Who, where, what, what they want — extracted clauses, at most SUMMARY_LIMIT characters."""
    clauses = [
        c.strip() for line in _caller_lines(text) for c in _CLAUSE.findall(clean_text(line))
        if c.strip() and not _SMALL_TALK.search(c.strip())
    ]
    if not clauses:
        return ""
    what = next((c for c in clauses if len(c) >= 6 and _PROBLEM.search(c) and not _WANT.search(c)), None)
    what = what or next((c for c in clauses if len(c) >= 6), clauses[0])
    want = next((c for c in reversed(clauses) if _WANT.search(c) and c != what), None)
    summary = f"{who or '来电人'}反映" + (f"{where}：" if where else "：") + what + (f"，{want}" if want else "")
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


# --- the extractor ---------------------------------------------------------------------------------


class LocationLike(Protocol):
    district: str | None
    street: str | None
    community: str | None


class CategoryLike(Protocol):
    label: str
    confidence: float


LocationResolve = Callable[[str], "LocationLike | None"]
Classify = Callable[[str, str], "CategoryLike | None"]


@dataclass
class Extraction:
    """The draft's fields as extracted; None or empty where the text does not say."""

    phones: list[str] = field(default_factory=list)
    name: str | None = None
    id_numbers: list[str] = field(default_factory=list)
    district: str | None = None
    street: str | None = None
    community: str | None = None
    address_text: str | None = None
    merchant: str | None = None
    merchant_credit_code: str | None = None
    merchant_score: float | None = None
    merchant_reason: str | None = None
    times: list[TimeMention] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    appeal_type: str | None = None
    urgency: str = "normal"
    emergency: EmergencyAssessment | None = None
    category: str | None = None
    category_confidence: float | None = None
    summary: str = ""

    def to_dict(self, mask_ids: bool = True) -> dict[str, Any]:
        """JSON-ready values; ID numbers masked unless `mask_ids` is False."""
        return {
            "phones": list(self.phones),
            "name": self.name,
            "id_numbers": [mask_id_number(n) if mask_ids else n for n in self.id_numbers],
            "district": self.district,
            "street": self.street,
            "community": self.community,
            "address_text": self.address_text,
            "merchant": self.merchant,
            "merchant_credit_code": self.merchant_credit_code,
            "merchant_score": self.merchant_score,
            "merchant_reason": self.merchant_reason,
            "times": [t.to_dict() for t in self.times],
            "amounts": [a.to_dict() for a in self.amounts],
            "appeal_type": self.appeal_type,
            "urgency": self.urgency,
            "emergency": self.emergency.to_dict() if self.emergency else None,
            "category": self.category,
            "category_confidence": self.category_confidence,
            "summary": self.summary or None,
        }


class Extractor:
    """Fills a work-order draft from text, with whatever collaborators it was given."""

    def __init__(
        self,
        resolve_location: LocationResolve | None = None,
        classify: Classify | None = None,
        merchants: MerchantRegistry | None = None,
        now: datetime | Callable[[], datetime] | None = None,
    ) -> None:
        self.resolve_location = resolve_location
        self.classify = classify
        self.merchants = merchants
        self._now = now

    def now(self) -> datetime:
        if self._now is None:
            return datetime.now(SHANGHAI)
        return self._now() if callable(self._now) else self._now

    def extract(self, text: str) -> Extraction:
        """Every field of the draft from `text` (a message or the transcript so far)."""
        clean = "\n".join(clean_text(line) for line in str(text or "").splitlines())
        phones, ids = _numbers(clean)
        result = Extraction(phones=phones, id_numbers=ids, name=extract_name(clean))
        if self.resolve_location and (place := self.resolve_location(clean)):
            result.district, result.street, result.community = place.district, place.street, place.community
        result.address_text = address_text(clean)
        if self.merchants and (match := self.merchants.match(clean, result.district, result.street)):
            result.merchant, result.merchant_credit_code = match.name, match.credit_code
            result.merchant_score, result.merchant_reason = match.score, match.reason
        result.times = extract_times(clean, self.now())
        result.amounts = extract_amounts(clean)
        result.appeal_type = appeal_type(clean)
        result.emergency = assess(clean)
        result.urgency = urgency(clean, result.emergency)
        place = "".join(p for p in (result.district, result.street, result.community) if p)
        where = result.merchant or place or result.address_text
        result.summary = summarise(clean, result.name, where)
        if self.classify and (category := self.classify(result.summary, clean)):
            result.category, result.category_confidence = category.label, category.confidence
        return result


def default_extractor(city: str | None = None, merchants_path: str | None = None) -> Extractor:
    """An extractor wired to the city's location resolver and a merchant registry file, if present.

    A convenience for the CLI and demos; services inject their own collaborators.
    """
    from rexian.config import get_settings
    from rexian.intelligence.location import city_resolver

    resolve = city_resolver(city or get_settings().city).resolve
    registry = MerchantRegistry.from_file(merchants_path) if merchants_path else None
    return Extractor(resolve_location=resolve, merchants=registry)
