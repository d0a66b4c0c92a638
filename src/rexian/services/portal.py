"""Citizen self-service: file with duplicate suggestions, track by code and phone, rate, ask to be called back.

The citizen proves an order is theirs with the phone they gave (or a signed link, which the web layer
checks); a wrong phone reads as "no such order", so codes cannot be probed for existence. What a citizen
sees is the public timeline: stages and the reply, never internal notes, staff names or a unit's reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from rexian.adapters.db.repositories import OrderFilter
from rexian.config import get_settings, secret_key
from rexian.domain.errors import InvalidInput, NotFound, RuleViolation
from rexian.domain.units import UnitKind
from rexian.domain.vocabulary import AppealType, Channel, Satisfaction
from rexian.domain.workorder import OPEN, Action, Actor, Caller, Status, WorkOrder
from rexian.intelligence.duplicates import shingles
from rexian.services import workorders as uc
from rexian.services.context import Hotline
from rexian.services.views import local

# the stages a citizen sees, and the order facts each shows; other events (returns, reminders, internal
# reviews) stay inside the hotline
PUBLIC_EVENTS = {"receive": "received", "dispatch": "dispatched", "reassign": "dispatched", "decide": "dispatched",
                 "backstop": "dispatched", "sign": "signed", "reply": "replied", "answer": "replied",
                 "callback": "rated", "reopen": "reopened", "close": "closed", "merge": "merged",
                 "withdraw": "withdrawn", "transfer": "transferred", "approve-extension": "extended"}
RATEABLE = frozenset({Status.REPLIED, Status.ANSWERED})
SIMILAR = 0.25  # Jaccard of character 3-shingles above which a nearby open order is suggested
RECENT_DAYS = 14
COMPARED = 300  # the newest open orders of the place a new appeal is compared with


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(get_settings()), salt="rexian.portal.track")


def track_path(code: str) -> str:
    """The signed link to an order's public page: whoever holds it may track and rate the order."""
    return f"/track/{_signer().dumps(code)}"


def code_of_track(token: str) -> str:
    """The order code a signed link was made for; a link not signed here is NotFound."""
    try:
        return str(_signer().loads(token))
    except BadSignature as e:
        raise NotFound("链接无效", "invalid link") from e


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def find_own_order(hl: Hotline, code: str, phone: str | None) -> WorkOrder:
    """The order with `code` whose caller gave `phone`; NotFound for a wrong phone as for a wrong code."""
    with hl.uow.begin() as tx:
        order = tx.orders.get_by_code((code or "").strip().upper())
    given = _digits(phone)
    if order is None or not given or _digits(order.caller.phone) != given:
        raise NotFound("未找到该工单，请核对编号和电话", "no such order: check the code and the phone number")
    return order


def order_by_code(hl: Hotline, code: str) -> WorkOrder:
    """For a signed link, which already proves the reader."""
    with hl.uow.begin() as tx:
        order = tx.orders.get_by_code(code)
    if order is None:
        raise NotFound("未找到该工单", "no such order")
    return order


def public_view(hl: Hotline, order: WorkOrder) -> dict[str, Any]:
    """What the citizen may see of their order."""
    with hl.uow.begin() as tx:
        events = tx.orders.events(order.id) if order.id is not None else []
    names = hl.unit_names()
    timeline = []
    for e in events:
        stage = PUBLIC_EVENTS.get(e["action"])
        if stage is None:
            continue
        item: dict[str, Any] = {"stage": stage, "at": local(e["at"])}
        if stage == "rated":
            item["satisfaction"] = (e["data"] or {}).get("satisfaction")
        timeline.append(item)
    return {
        "code": order.code, "status": order.status.value, "title": order.title, "content": order.content,
        "appeal_type": order.appeal_type.value, "received_at": local(order.received_at),
        "reply_due": local(order.reply_due) if order.status in OPEN else None,
        "unit": names.get(order.unit_code or "", order.unit_code) if order.unit_code else None,
        "reply": order.reply_text if order.status not in (Status.REOPENED,) else None,
        "satisfaction": order.satisfaction.value if order.satisfaction else None,
        "can_rate": order.status in RATEABLE, "timeline": timeline,
    }


def rate(hl: Hotline, order: WorkOrder, satisfied: bool, reason: str, actor: Actor) -> WorkOrder:
    """回访 by the citizen: satisfied closes the order, unsatisfied (with a reason) reopens it."""
    if order.status not in RATEABLE:
        raise RuleViolation("工单尚未答复或已评价，暂不能评价", "the order can be rated only once it is replied")
    if not satisfied and not reason.strip():
        raise InvalidInput("不满意时请说明原因", "say why you are not satisfied")
    assert order.id is not None
    value = Satisfaction.SATISFIED if satisfied else Satisfaction.UNSATISFIED
    return uc.perform(hl, order.id, Action.CALLBACK, actor, {"satisfaction": value.value, "note": reason.strip()},
                      expected_version=order.version)


@dataclass(frozen=True)
class Place:
    """A district and street of the active city, for the picker."""

    code: str
    district: str
    street: str | None


def places(hl: Hotline) -> dict[str, list[Place]]:
    """District name → its streets (the district itself first), from the active city's units."""
    with hl.uow.begin() as tx:
        units = tx.units.all(hl.city.key)
    out: dict[str, list[Place]] = {}
    for u in sorted(units, key=lambda u: u.code):
        if u.kind == UnitKind.DISTRICT and u.district:
            out.setdefault(u.district, []).insert(0, Place(u.code, u.district, None))
        elif u.kind == UnitKind.STREET and u.district:
            out.setdefault(u.district, []).append(Place(u.code, u.district, u.street))
    return out


def place(hl: Hotline, code: str | None) -> Place | None:
    if not code:
        return None
    for group in places(hl).values():
        for p in group:
            if p.code == code:
                return p
    raise InvalidInput("请选择列表中的区和街道", "choose a district and street from the list")


def similar_open_orders(hl: Hotline, text: str, district: str | None, street: str | None,
                        limit: int = 3) -> list[dict[str, Any]]:
    """Open orders of the last two weeks in the same district (and street, when both have one) whose
    text is close to `text`, most similar first, with how many people reported each."""
    if not district:
        return []
    mine = shingles(text)
    if not mine:
        return []
    now = hl.clock.now()
    f = OrderFilter(status=[s.value for s in OPEN], district=district, near_street=street,
                    created_from=now - timedelta(days=RECENT_DAYS))
    with hl.uow.begin() as tx:  # a busy district files hundreds a day: the street is narrowed in the query
        orders, _ = tx.orders.query(f, COMPARED, 0)
    found = []
    for o in orders:
        theirs = shingles(f"{o.title} {o.content}")
        similarity = len(mine & theirs) / len(mine | theirs) if theirs else 0.0
        if similarity >= SIMILAR:
            found.append({"code": o.code, "title": o.title, "similarity": round(similarity, 2),
                          "reporters": 1 + len(o.related_ids), "status": o.status.value})
    found.sort(key=lambda d: -d["similarity"])
    return found[:limit]


def file_from_portal(hl: Hotline, actor: Actor, *, appeal_type: AppealType, title: str, content: str,
                     address: str, place_code: str | None, name: str, phone: str, anonymous: bool,
                     confidential: bool, same_as: str | None = None) -> WorkOrder:
    """File the citizen's appeal. With `same_as` (an open order the citizen says is the same problem) the
    new order is still the citizen's own, to track and rate, and names the earlier one so the
    dispatcher can merge them (并单 stays an office decision: it closes the newer order)."""
    if not _digits(phone) or len(_digits(phone)) < 7:
        raise InvalidInput("请填写有效的联系电话，用于查询进度", "give a valid phone number: you track the order with it")
    where = place(hl, place_code)
    note = ""
    if same_as:
        with hl.uow.begin() as tx:
            earlier = tx.orders.get_by_code(same_as)
        if earlier is None or earlier.status not in OPEN:
            raise InvalidInput("所选的相同问题工单已结束或不存在", "the order you chose as the same problem is not open")
        note = f"\n【附议：市民表示与工单 {earlier.code} 为同一问题】"
    intake = uc.AppealIntake(
        content=content.strip() + note, title=title.strip() or None, channel=Channel.WEB, appeal_type=appeal_type,
        caller=Caller(name=None if anonymous else (name.strip() or None), phone=phone.strip(), anonymous=anonymous,
                      confidential=confidential),
        address=address.strip() or None, district=where.district if where else None,
        street=where.street if where else None)
    order, _ = uc.file_appeal(hl, intake, actor)
    return order


def request_callback(hl: Hotline, actor: Actor, phone: str, name: str = "") -> WorkOrder:
    """"Call me back" (elderly mode): a consultation order from the web asking the hotline to call."""
    if len(_digits(phone)) < 7:
        raise InvalidInput("请填写有效的联系电话", "give a valid phone number")
    intake = uc.AppealIntake(content="请回电", title="请回电", channel=Channel.WEB,
                             appeal_type=AppealType.CONSULTATION,
                             caller=Caller(name=name.strip() or None, phone=phone.strip()), auto_dispatch=False)
    order, _ = uc.file_appeal(hl, intake, actor)
    return order
