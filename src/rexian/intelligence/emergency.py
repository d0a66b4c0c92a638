"""Emergency detection: danger to life or property that belongs with 110 / 119 / 120 / 122.

12345 is not an emergency line (国办发〔2020〕53号, 〔2022〕12号): anything endangering life or property
must be offered a one-click transfer at once. A hazard word alone is not enough: "上次着火已经处理了"
is over and "担心会着火" has not happened, so each hit is judged within its sentence for negation,
a finished past and hypothetical wording. Those hits still make the call *potential* (urgent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rexian.intelligence.text import clean_text

SEVERITY_NONE = "none"
SEVERITY_POTENTIAL = "potential"  # hazard spoken of, but negated, over, or feared: urgent, no transfer
SEVERITY_HIGH = "high"
SEVERITY_CRITICAL = "critical"
_RANK = {SEVERITY_NONE: 0, SEVERITY_POTENTIAL: 1, SEVERITY_HIGH: 2, SEVERITY_CRITICAL: 3}


@dataclass(frozen=True)
class Hazard:
    """One kind of danger: the words that signal it, who takes it over, and how grave it is."""

    code: str
    label: str
    pattern: re.Pattern[str]
    transfer_to: tuple[str, ...]
    severity: str


def _hazard(code: str, label: str, words: str, transfer_to: tuple[str, ...], severity: str) -> Hazard:
    return Hazard(code, label, re.compile(words), transfer_to, severity)


HAZARDS: tuple[Hazard, ...] = (
    _hazard("fire", "火情", r"着火|起火|失火|火灾|火警|冒烟|浓烟|烧起来|烧着了|火很大|火势|大火", ("119",), SEVERITY_CRITICAL),
    _hazard("explosion", "爆炸", r"爆炸|炸了|发生爆燃", ("119", "120"), SEVERITY_CRITICAL),
    _hazard("gas_leak", "燃气泄漏", r"(?:煤气|燃气|天然气|液化气)(?:泄漏|泄露|漏了)|漏气|(?:煤气|燃气|天然气)味", ("119",), SEVERITY_CRITICAL),
    _hazard("violence", "暴力伤害", r"打人|打架|斗殴|持刀|砍人|拿刀|捅人|家暴|殴打|动手打|被打了|行凶", ("110",), SEVERITY_CRITICAL),
    _hazard("threat", "人身威胁", r"扬言要?[杀砍捅]|要杀了|(?<!扼)杀了我(?!们)|绑架|劫持|威胁要", ("110",), SEVERITY_HIGH),
    _hazard("theft", "盗抢", r"抢劫|抢包|抢东西|正在偷|在偷东西|撬门|入室盗窃|小偷还在", ("110",), SEVERITY_HIGH),
    _hazard("missing_person", "人员走失", r"(?:孩子|小孩|儿子|女儿|老人)(?:不见了|走丢了?|走失|失踪)|找不到(?:孩子|小孩|老人)", ("110",), SEVERITY_CRITICAL),
    _hazard("injury", "人员受伤", r"受伤|流血|出血|骨折|摔伤|烫伤|触电", ("120",), SEVERITY_HIGH),
    _hazard("medical", "急症", r"晕倒|昏迷|不省人事|没有?意识|叫不醒|没有?呼吸|心脏病|心梗|抽搐|中风|休克|喘不上气", ("120",), SEVERITY_CRITICAL),
    _hazard("trapped", "人员被困", r"困在电梯|电梯(?:里)?困人|被困|关在电梯|困在里面|出不来", ("119",), SEVERITY_CRITICAL),
    _hazard("flood", "水淹", r"(?:水淹|淹到|积水).{0,6}(?:一米|齐腰|胸口|进屋|车里)|被(?:洪水|大水)(?:困|冲走|围)|溺水|落水", ("119", "120"), SEVERITY_CRITICAL),
    _hazard("collapse", "倒塌", r"倒塌|塌了|塌方|垮塌", ("119", "120"), SEVERITY_CRITICAL),
    _hazard("traffic", "交通事故", r"车祸|交通事故|撞车|被车撞|撞人了|追尾|翻车", ("122",), SEVERITY_HIGH),
    _hazard("suicide", "轻生", r"自杀|跳楼|轻生|不想活|割腕|服毒|喝农药|寻死", ("110", "120"), SEVERITY_CRITICAL),
)

_INJURY_WORDS = re.compile(r"受伤|伤者|流血|出血|昏迷|骨折|伤了|压住|送医")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+")
_NEGATION_BEFORE = re.compile(r"(?:没有|没|不是|并非|未|无|不会|不)$")
_NEGATION_AFTER = re.compile(r"^(?:了?吗|没有|是假的)")
_FINISHED = re.compile(
    r"上次|之前|以前|去年|前年|上个月|上周|曾经|那次|当时|\d{4}年|\d{1,2}月\d{1,2}[日号]|昨天|前天|昨晚|[年月天]前|多年|多次|经常|每次|屡次|频繁|"
    r"认定|理赔|赔偿|保险|法院|判决|起诉|派出所|立案|鉴定|医药费|住院|出院|赔付|事后|"
    r"已经?(?:处理|扑灭|灭了|解决|好了|修好|修复|没事|送医|抓到|找到)|(?:灭了|找到了|抓到了|没事了|处理好了)"
)
_HYPOTHETICAL = re.compile(r"危险|威胁到|将会|请问|是否|担心|害怕|怕|万一|如果|要是|假如|会不会|可能会|容易|隐患|防止|预防|以免|一旦|风险|安全问题|应急预案|演练")


@dataclass(frozen=True)
class EmergencySpan:
    """A hazard word found in the text, with how its sentence frames it."""

    hazard: str
    text: str
    start: int
    end: int
    framing: str  # "current", "negated", "finished" or "hypothetical"


@dataclass(frozen=True)
class EmergencyAssessment:
    """Whether the call needs transferring now, to whom, and the words that say so."""

    is_emergency: bool
    severity: str
    transfer_to: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    spans: tuple[EmergencySpan, ...] = field(default=())

    @property
    def is_potential(self) -> bool:
        """Danger mentioned but not happening now: the order is urgent, no transfer."""
        return self.severity == SEVERITY_POTENTIAL

    def to_dict(self) -> dict:
        return {
            "is_emergency": self.is_emergency,
            "severity": self.severity,
            "transfer_to": list(self.transfer_to),
            "reasons": list(self.reasons),
            "spans": [vars(s) for s in self.spans],
        }


NO_EMERGENCY = EmergencyAssessment(False, SEVERITY_NONE)


def _framing(sentence: str, start: int, end: int) -> str:
    before, after = sentence[max(0, start - 4) : start], sentence[end : end + 4]
    if _NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after):
        return "negated"
    if _FINISHED.search(sentence):
        return "finished"
    if _HYPOTHETICAL.search(sentence[:start]) or _HYPOTHETICAL.search(sentence[end:]):
        return "hypothetical"
    return "current"


def assess(text: str) -> EmergencyAssessment:
    """Judge `text` (a message or a transcript) for danger happening now."""
    text = clean_text(text)
    spans: list[EmergencySpan] = []
    current: list[tuple[Hazard, str]] = []
    for sentence_match in _SENTENCE.finditer(text):
        sentence, offset = sentence_match.group(), sentence_match.start()
        for hazard in HAZARDS:
            for m in hazard.pattern.finditer(sentence):
                framing = _framing(sentence, m.start(), m.end())
                spans.append(EmergencySpan(hazard.code, m.group(), offset + m.start(), offset + m.end(), framing))
                if framing == "current":
                    current.append((hazard, sentence))
    if not spans:
        return NO_EMERGENCY
    if not current:
        reasons = tuple(dict.fromkeys(f"{s.text}（{_FRAMING_LABEL[s.framing]}）" for s in spans))
        return EmergencyAssessment(False, SEVERITY_POTENTIAL, (), reasons, tuple(spans))
    transfer: list[str] = []
    severity = SEVERITY_HIGH
    for hazard, sentence in current:
        targets = hazard.transfer_to
        if hazard.code == "traffic" and _INJURY_WORDS.search(sentence):
            targets = ("122", "120")
        transfer.extend(targets)
        if _RANK[hazard.severity] > _RANK[severity]:
            severity = hazard.severity
    reasons = tuple(dict.fromkeys(h.label for h, _ in current))
    return EmergencyAssessment(True, severity, tuple(dict.fromkeys(transfer)), reasons, tuple(spans))


_FRAMING_LABEL = {"negated": "否定", "finished": "已过去", "hypothetical": "假设/担心", "current": "正在发生"}
