"""Quality of a unit's reply (答复意见) to an appeal, with reasons a person can act on.

Four parts, each 0..1 (method and its check on real replies: docs/reply_quality.md):
- relevance: the appeal's key terms (jieba TF-IDF) found in the reply, and its places named back;
- completeness: says what was done, gives a basis (依据/《…》/规定) and a contact (电话/联系);
- readability: sentences of readable length, enough substance, structure in long replies;
- timeliness: working days from appeal to reply (China's calendar, 调休 included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rexian.domain.calendar import WorkingCalendar
from rexian.domain.clock import zoned
from rexian.intelligence.places import extract_places
from rexian.intelligence.text import clean_text

WEIGHTS = {"relevance": 0.35, "completeness": 0.30, "readability": 0.15, "timeliness": 0.20}
_ACTION = re.compile(
    r"经(?:调查|核实|核查|了解|查)|现场|已(?:经)?(?:安排|责令|督促|要求|完成|整改|处理|协调|联系|落实|对)|责令|整改|督促|协调|处理如下|调查处理"
)
_BASIS = re.compile(r"依据|根据《|按照《|《[^》]{2,40}》|规定|条例|办法|政策")
_CONTACT = re.compile(r"电话|联系|咨询热线|\d{3,4}-?\d{7,8}|0731")
_STRUCTURE = re.compile(r"[一二三四五六七八九十]、|\d[、.．]|（\d）|\(\d\)")
_SENTENCE = re.compile(r"[。！？；!?;]")
_GENERIC = frozenset(
    [
        "问题",
        "反映",
        "您好",
        "网友",
        "留言",
        "感谢",
        "领导",
        "情况",
        "相关",
        "部门",
        "我们",
        "进行",
        "没有",
        "现在",
        "希望",
        "请问",
    ]
)


@dataclass(frozen=True, slots=True)
class ReplyScore:
    total: float  # 0..100
    relevance: float
    completeness: float
    readability: float
    timeliness: float | None  # None when the times are unknown
    reasons: tuple[str, ...]


@lru_cache(maxsize=1)
def _calendar() -> WorkingCalendar:
    return WorkingCalendar()


@lru_cache(maxsize=1)
def _analyse():
    from jieba import analyse

    from rexian.intelligence.text import jieba_instance

    jieba_instance()
    return analyse


def _relevance(appeal: str, reply: str, reasons: list[str]) -> float:
    terms = [t for t in _analyse().extract_tags(appeal, topK=12) if t not in _GENERIC][:8]
    shared = sum(1 for t in terms if t in reply) / len(terms) if terms else 0.5
    places = [p for p in extract_places(appeal).names[:3] if len(p) >= 3]
    if not places:
        return shared
    named = any(p in reply or p[:-1] in reply for p in places)
    if not named:
        reasons.append(f"答复未提及诉求地点（{places[0]}）")
    if shared < 0.25:
        reasons.append("答复与诉求内容关联弱")
    return 0.7 * shared + 0.3 * named


def _completeness(reply: str, reasons: list[str]) -> float:
    checks = (
        (_ACTION, 0.4, "未说明办理情况或采取的措施"),
        (_BASIS, 0.3, "未说明政策依据"),
        (_CONTACT, 0.3, "未提供联系方式"),
    )
    score = 0.0
    for pattern, weight, missing in checks:
        if pattern.search(reply):
            score += weight
        else:
            reasons.append(missing)
    return score


def _readability(reply: str, reasons: list[str]) -> float:
    sentences = [s for s in _SENTENCE.split(reply) if s.strip()]
    mean = len(reply) / max(1, len(sentences))
    score = 1.0 if mean <= 60 else max(0.3, 1.0 - (mean - 60) / 150)
    if mean > 90:
        reasons.append(f"句子过长（平均{mean:.0f}字）")
    if len(reply) < 60:
        reasons.append("答复过于简短")
        score *= 0.5
    elif len(reply) > 800 and not _STRUCTURE.search(reply):
        reasons.append("长答复未分条列出")
        score *= 0.8
    return score


def _timeliness(asked_at: datetime, replied_at: datetime, reasons: list[str]) -> float:
    days = _calendar().working_days_between(zoned(asked_at), zoned(replied_at))
    if days <= 5:
        return 1.0
    if days <= 15:
        return 1.0 - 0.5 * (days - 5) / 10
    reasons.append(f"答复超过15个工作日（{days}个工作日）")
    return max(0.0, 0.5 - 0.5 * (days - 15) / 45)


def score_reply(
    appeal_text: str,
    reply_text: str,
    asked_at: datetime | None = None,
    replied_at: datetime | None = None,
) -> ReplyScore:
    """Score one reply; `reasons` lists, in Chinese, what cost it points."""
    appeal, reply = clean_text(appeal_text), clean_text(reply_text)
    reasons: list[str] = []
    parts = {
        "relevance": _relevance(appeal, reply, reasons),
        "completeness": _completeness(reply, reasons),
        "readability": _readability(reply, reasons),
    }
    timeliness = None
    if asked_at is not None and replied_at is not None:
        timeliness = parts["timeliness"] = _timeliness(asked_at, replied_at, reasons)
    weight = sum(WEIGHTS[name] for name in parts)
    total = 100 * sum(WEIGHTS[name] * value for name, value in parts.items()) / weight
    return ReplyScore(
        total=round(total, 1),
        relevance=round(parts["relevance"], 3),
        completeness=round(parts["completeness"], 3),
        readability=round(parts["readability"], 3),
        timeliness=None if timeliness is None else round(timeliness, 3),
        reasons=tuple(reasons),
    )
