"""Open311 GeoReport v2 in the hotline's terms: services, attributes, statuses, the public timeline.

Pure Python. The service catalogue is built from the appeal taxonomy handed in (one service per
second-level category, its third-level labels as keywords); the status tables say how our
work-order lifecycle reads to an Open311 client: the spec's open/closed and mySociety's extended
statuses. docs/open311.md explains each choice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rexian.domain.errors import InvalidInput
from rexian.domain.privacy import mask_text
from rexian.domain.vocabulary import APPEAL_TYPE_ZH, AppealType, Urgency
from rexian.domain.workorder import ACTION_ZH, OPEN, Action, Status

MAX_DESCRIPTION = 4000
MAX_ATTRIBUTE_TEXT = 500
MAX_RANGE = timedelta(days=90)
ADDRESS_REQUIRED_GROUPS = frozenset({"城乡建设"})  # a place is the heart of these appeals

URGENCY_ZH = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急", Urgency.EMERGENCY: "特急"}


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    """One field of a service definition (the spec's `attribute`)."""

    code: str
    description: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool
    order: int
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = ()
    variable: bool = True


@dataclass(frozen=True)
class Service:
    """An Open311 service: one second-level category of the appeal taxonomy."""

    code: str
    name: str
    description: str
    path: str  # our category, "一级/二级"
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...]

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


def service_code(path: str) -> str:
    """A stable, URL-safe code for a category path: it changes only when the path does."""
    return "c" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:10]


def _common_attributes(first_order: int) -> tuple[Attribute, ...]:
    return (
        Attribute("appeal_type", "诉求类型 (type of appeal)", "singlevaluelist", False, first_order,
                  "咨询、求助、建议、投诉或举报", tuple(AttributeValue(t.value, f"{APPEAL_TYPE_ZH[t]} {t.value}")
                                                   for t in AppealType)),
        Attribute("urgency", "紧急程度 (urgency)", "singlevaluelist", False, first_order + 1,
                  "一般、紧急或特急", tuple(AttributeValue(u.value, f"{URGENCY_ZH[u]} {u.value}") for u in Urgency)),
    )


ADDRESS_DETAIL = Attribute("address_detail", "具体位置：楼栋、门牌、地标 (exact place: building, door, landmark)",
                           "string", True, 1, f"不超过{MAX_ATTRIBUTE_TEXT}字")


def build_catalogue(tree: Mapping[str, Mapping[str, Sequence[str]]]) -> dict[str, Service]:
    """Services keyed by code, from the taxonomy tree {一级: {二级: [三级, ...]}}."""
    services: dict[str, Service] = {}
    for group, seconds in tree.items():
        for second, thirds in seconds.items():
            path = f"{group}/{second}"
            extra = (ADDRESS_DETAIL,) if group in ADDRESS_REQUIRED_GROUPS else ()
            attributes = extra + _common_attributes(len(extra) + 1)
            services[service_code(path)] = Service(
                service_code(path), second, f"{group}：{second}（{'、'.join(dict.fromkeys(thirds))}）", path, group,
                tuple(dict.fromkeys(thirds)), attributes)
    return services


def service_for_category(catalogue: Mapping[str, Service], category: str | None) -> Service | None:
    """The service an order's category falls under (its first two levels), if any."""
    if not category:
        return None
    path = "/".join(category.split("/")[:2])
    return catalogue.get(service_code(path))


def validate_attributes(service: Service, submitted: Mapping[str, list[str]]) -> dict[str, Any]:
    """Check `attribute[code]` values against the definition; unknown codes are ignored."""
    values: dict[str, Any] = {}
    for attr in service.attributes:
        given = [v.strip() for v in submitted.get(attr.code, []) if v.strip()]
        if not given:
            if attr.required:
                raise InvalidInput(f"缺少必填属性：{attr.code}", f"attribute[{attr.code}] is required")
            continue
        keys = {v.key for v in attr.values}
        if attr.datatype in ("singlevaluelist", "multivaluelist") and not set(given) <= keys:
            raise InvalidInput(f"属性{attr.code}的取值无效", f"attribute[{attr.code}] must be one of {sorted(keys)}")
        if attr.datatype == "singlevaluelist" and len(given) > 1:
            raise InvalidInput(f"属性{attr.code}只能取一个值", f"attribute[{attr.code}] takes one value")
        if attr.datatype in ("string", "text") and len(given[0]) > MAX_ATTRIBUTE_TEXT:
            raise InvalidInput(f"属性{attr.code}过长", f"attribute[{attr.code}] is longer than {MAX_ATTRIBUTE_TEXT}")
        values[attr.code] = given if attr.datatype == "multivaluelist" else given[0]
    return values


def request_window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime | None]:
    """The spec's date rule: a range spans at most 90 days; one bound alone reaches 90 days from it;
    no bounds means the last 90 days. Returns (from, to) with `to` inclusive (None: open)."""
    if start and end:
        if end < start:
            raise InvalidInput("结束时间早于开始时间", "end_date is before start_date")
        if end - start > MAX_RANGE:
            raise InvalidInput("时间范围不能超过90天", "start_date and end_date may not span more than 90 days")
        return start, end
    if start:
        return start, start + MAX_RANGE
    if end:
        return end - MAX_RANGE, end
    return now - MAX_RANGE, None


# -- statuses ------------------------------------------------------------------------------------

def simple_status(status: Status) -> str:
    """The spec's two statuses: open while the hotline or a unit still works on it, closed once a
    reply, an instant answer or an end (closure, merge, withdrawal, transfer) is reached."""
    return "open" if status in OPEN else "closed"


def statuses_for(simple: str) -> list[str]:
    return [s.value for s in Status if simple_status(s) == simple]


EXTENDED_STATUS: dict[Status, str] = {
    Status.RECEIVED: "open",
    Status.REVIEW: "for_triage",
    Status.DISPATCHED: "in_progress",
    Status.SIGNED: "in_progress",
    Status.SUSPENDED: "action_scheduled",
    Status.RETURNED: "internal_referral",
    Status.JOINT_REVIEW: "investigating",
    Status.REPLIED: "fixed",
    Status.REOPENED: "reopen",
    Status.ANSWERED: "fixed",
    Status.TRANSFERRED: "not_councils_responsibility",
    Status.CLOSED: "closed",
    Status.MERGED: "duplicate",
    Status.WITHDRAWN: "no_further_action",
}

# what a staff system may post as an update, and the one action that reaches it
UPDATE_ACTIONS: dict[str, Action] = {
    "in_progress": Action.SIGN,
    "fixed": Action.REPLY,
    "closed": Action.CLOSE,
    "reopen": Action.REOPEN,
    "no_further_action": Action.WITHDRAW,
}

_WITH_TEXT = frozenset({Action.REPLY.value, Action.ANSWER.value})
_WITH_UNIT = frozenset({Action.DISPATCH.value, Action.REASSIGN.value, Action.DECIDE.value,
                        Action.BACKSTOP.value, Action.PASS_DOWN.value})


def is_public_event(event: Mapping[str, Any]) -> bool:
    """Status changes (and the receipt) are the citizen's timeline; reminders and notes are internal."""
    return event["from_status"] is None or event["from_status"] != event["to_status"]


def public_note(event: Mapping[str, Any], unit_names: Mapping[str, str]) -> str:
    """What a citizen may read of an event: the step, the unit it went to, a reply's text (masked);
    never who did it, nor internal reasons."""
    try:
        label = ACTION_ZH[Action(event["action"])]
    except ValueError:
        label = event["action"]
    data = event.get("data") or {}
    if event["action"] in _WITH_UNIT and data.get("unit"):
        return f"{label}：{unit_names.get(data['unit'], data['unit'])}"
    if event["action"] in _WITH_TEXT and event.get("reason"):
        return f"{label}：{mask_text(event['reason'])}"
    return label
