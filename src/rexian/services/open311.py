"""Open311 GeoReport v2 use cases: client keys, filing a request as a work order, reading requests
and their public timeline, and mySociety's service request updates.

An Open311 request is a work order like any other (filed through `file_appeal`, channel open311);
what the spec carries beyond it (attributes, media_url, device and account ids, e-mail) is kept
beside it. What is read back never holds personal data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from rexian.adapters.db.repo_open311 import Open311Repository
from rexian.adapters.db.repositories import OrderFilter
from rexian.domain import open311 as o311
from rexian.domain.access import check_write
from rexian.domain.errors import Forbidden, InvalidInput, NotFound
from rexian.domain.privacy import mask_text
from rexian.domain.vocabulary import AppealType, Channel, Role, Urgency
from rexian.domain.workorder import Actor, Caller, Status, WorkOrder
from rexian.intelligence.taxonomy import taxonomy_tree
from rexian.services import workorders as uc
from rexian.services.auth import actor_for_token, token_hash
from rexian.services.context import Hotline
from rexian.services.views import local

MAX_PAGE_SIZE = 1000
BAD_KEY = Forbidden("api_key 无效", "invalid api_key")


@cache
def catalogue() -> dict[str, o311.Service]:
    """The services, from the taxonomy shipped in data/ (built once)."""
    return o311.build_catalogue(taxonomy_tree())


def get_service(code: str) -> o311.Service:
    service = catalogue().get(code)
    if service is None:
        raise NotFound(f"服务不存在：{code}", f"no such service: {code}")
    return service


# -- keys -------------------------------------------------------------------------------------------

def issue_key(hl: Hotline, name: str, actor: Actor) -> str:
    """A new API key for the Open311 client `name`; only its hash is kept, so it is shown once."""
    check_write(actor, "manage_open311_keys")
    if not name.strip():
        raise InvalidInput("缺少客户端名称", "client name is required")
    key = secrets.token_urlsafe(24)
    with hl.uow.begin(write=True) as tx:
        now = hl.clock.now()
        key_id = Open311Repository(tx.conn).add_key(name.strip(), token_hash(key), now)
        tx.audit.record(now, actor.name, "open311.key.issue", "open311_key", str(key_id), {"name": name.strip()})
        tx.commit()
    return key


# -- filing -----------------------------------------------------------------------------------------

@dataclass
class Submission:
    """The form fields of POST /requests (attribute[code] collected into `attributes`)."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    description: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None


def submit_request(hl: Hotline, api_key: str | None, sub: Submission, idempotency_key: str | None = None
                   ) -> tuple[WorkOrder, str | None]:
    """File an Open311 request as a work order. Returns the order and the account id echoed back.

    GeoReport v2 has no retry key of its own; a client that sends an Idempotency-Key header gets the
    order its first try created (keys are per client key, so two clients never collide).
    """
    with hl.uow.begin() as tx:
        client = Open311Repository(tx.conn).key_by_hash(token_hash(api_key)) if api_key else None
    if client is None:
        raise BAD_KEY
    service = catalogue().get(sub.service_code)
    if service is None:
        raise InvalidInput(f"服务不存在：{sub.service_code}", f"unknown service_code: {sub.service_code}")
    if (sub.lat is None) != (sub.long is None):
        raise InvalidInput("lat 与 long 须同时提供", "lat and long go together")
    if sub.lat is None and not (sub.address_string or "").strip() and not (sub.address_id or "").strip():
        raise InvalidInput("缺少位置：lat+long、address_string 或 address_id",
                           "a location is required: lat+long, address_string or address_id")
    description = (sub.description or "").strip()
    if len(description) > o311.MAX_DESCRIPTION:
        raise InvalidInput(f"描述不能超过{o311.MAX_DESCRIPTION}字",
                           f"description is longer than {o311.MAX_DESCRIPTION} characters")
    attributes = o311.validate_attributes(service, sub.attributes)
    address = " ".join(p for p in ((sub.address_string or "").strip(), attributes.get("address_detail", "")) if p)
    name = "".join(p.strip() for p in (sub.last_name or "", sub.first_name or "")) or None  # 姓 then 名
    intake = uc.AppealIntake(
        content=description or service.description, channel=Channel.OPEN311,
        appeal_type=AppealType(attributes["appeal_type"]) if "appeal_type" in attributes else None,
        urgency=Urgency(attributes.get("urgency", Urgency.NORMAL.value)),
        caller=Caller(name=name, phone=(sub.phone or "").strip() or None),
        address=address or None, lat=sub.lat, long=sub.long, category=service.path,
    )
    key = f"open311:{client.id}:{idempotency_key}" if idempotency_key else None
    order, _ = uc.file_appeal(hl, intake, Actor(f"open311:{client.name}", Role.CITIZEN), key)
    with hl.uow.begin(write=True) as tx:
        # Also on a retry: the first try may have died between filing the order and this record.
        Open311Repository(tx.conn).add_request_once(order.id or 0, client.id, {
            "attributes": attributes, "address_id": sub.address_id, "media_url": sub.media_url,
            "device_id": sub.device_id, "account_id": sub.account_id, "email": sub.email})
        tx.commit()
    return order, sub.account_id


# -- reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestQuery:
    service_request_ids: tuple[str, ...] = ()
    service_code: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    statuses: tuple[str, ...] = ()  # open / closed
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def list_requests(hl: Hotline, q: RequestQuery) -> list[dict[str, Any]]:
    """GET /requests: ids override every other filter; otherwise at most 90 days, newest first."""
    with hl.uow.begin() as tx:
        if q.service_request_ids:
            orders = Open311Repository(tx.conn).orders_by_codes(q.service_request_ids)
        else:
            start, end = o311.request_window(q.start_date, q.end_date, hl.clock.now())
            unknown = [s for s in q.statuses if s not in ("open", "closed")]
            if unknown:
                raise InvalidInput(f"状态无效：{unknown[0]}", f"status must be open or closed, not {unknown[0]}")
            statuses = [s for simple in set(q.statuses) for s in o311.statuses_for(simple)]
            f = OrderFilter(status=statuses, category=get_service(q.service_code).path if q.service_code else None,
                            created_from=start, created_to=_after(end))
            orders, _ = tx.orders.query(f, q.page_size, (q.page - 1) * q.page_size)
        extras = Open311Repository(tx.conn).extras([o.id or 0 for o in orders])
    return [request_view(hl, o, extras.get(o.id or 0, {})) for o in orders]


def get_request(hl: Hotline, code: str) -> dict[str, Any]:
    """One request with its public timeline (the `notes` extension)."""
    with hl.uow.begin() as tx:
        order = tx.orders.get_by_code(code)
        if order is None:
            raise NotFound(f"诉求不存在：{code}", f"no such service request: {code}")
        events = tx.orders.events(order.id or 0)
        extras = Open311Repository(tx.conn).extras([order.id or 0]).get(order.id or 0, {})
    view = request_view(hl, order, extras)
    view["notes"] = [{"datetime": _iso(e["at"]), "status": o311.EXTENDED_STATUS[Status(e["to_status"])],
                      "type": "status_change", "description": o311.public_note(e, hl.unit_names())}
                     for e in events if o311.is_public_event(e)]
    return view


def resolve_token(hl: Hotline, token: str) -> dict[str, str]:
    """We file at once, so a token is the service_request_id itself; it resolves all the same."""
    with hl.uow.begin() as tx:
        if tx.orders.get_by_code(token) is None:
            raise NotFound(f"令牌不存在：{token}", f"no such token: {token}")
    return {"service_request_id": token, "token": token}


def request_view(hl: Hotline, order: WorkOrder, extras: dict[str, Any]) -> dict[str, Any]:
    """An order as an Open311 `request`: no names, phone numbers or e-mail; a confidential
    caller's description is withheld and other descriptions are masked."""
    service = o311.service_for_category(catalogue(), order.category)
    return {
        "service_request_id": order.code,
        "status": o311.simple_status(order.status),
        "extended_status": o311.EXTENDED_STATUS[order.status],
        "status_notes": mask_text(order.reply_text) if order.reply_text else None,
        "service_name": service.name if service else None,
        "service_code": service.code if service else None,
        "description": None if order.caller.confidential else mask_text(order.content),
        "agency_responsible": hl.unit_names().get(order.unit_code or "", order.unit_code),
        "service_notice": None,
        "requested_datetime": _iso(order.received_at),
        "updated_datetime": _iso(order.closed_at or order.replied_at or order.signed_at or order.dispatched_at
                                 or order.received_at),
        "expected_datetime": _iso(order.reply_due),
        "address": order.location.address,
        "address_id": extras.get("address_id"),
        "zipcode": None,
        "lat": order.location.lat,
        "long": order.location.long,
        "media_url": extras.get("media_url"),
    }


# -- mySociety's service request updates -----------------------------------------------------------

def list_updates(hl: Hotline, start: datetime | None, end: datetime | None, page: int, page_size: int
                 ) -> list[dict[str, Any]]:
    """Every public status change in the window (at most 90 days), oldest first."""
    start, stop = o311.request_window(start, end, hl.clock.now())
    with hl.uow.begin() as tx:
        rows = Open311Repository(tx.conn).status_events(start, stop, page_size, (page - 1) * page_size)
    names = hl.unit_names()
    return [{"update_id": str(e["id"]), "service_request_id": code,
             "status": o311.EXTENDED_STATUS[Status(e["to_status"])], "updated_datetime": _iso(e["at"]),
             "description": o311.public_note(e, names), "media_url": None} for code, e in rows]


def post_update(hl: Hotline, api_key: str | None, code: str, status: str, description: str) -> str:
    """A staff system moves an order by posting the extended status it reached; the api_key is a staff
    user's API token and the move is that user's action, with every usual check. Returns the update id."""
    actor = actor_for_token(hl, api_key) if api_key else None
    if actor is None or actor.role in (Role.CITIZEN, Role.SYSTEM):
        raise Forbidden("api_key 无效或无员工权限", "invalid api_key, or not a staff user's key")
    action = o311.UPDATE_ACTIONS.get(status.strip().lower())
    if action is None:
        raise InvalidInput(f"不能通过更新设置状态：{status}",
                           f"status must be one of {sorted(o311.UPDATE_ACTIONS)}, not {status!r}")
    with hl.uow.begin() as tx:
        order = tx.orders.get_by_code(code)
    if order is None:
        raise NotFound(f"诉求不存在：{code}", f"no such service request: {code}")
    text = description.strip()
    uc.perform(hl, order.id or 0, action, actor, {"text": text, "reason": text})
    with hl.uow.begin() as tx:
        return str(Open311Repository(tx.conn).latest_event_id(order.id or 0))


def _iso(at: datetime | None) -> str | None:
    """ISO 8601 in Beijing time with its offset, e.g. 2026-09-28T10:00:00+08:00."""
    shown = local(at)
    return shown.isoformat(timespec="seconds") if shown else None


def _after(end: datetime | None) -> datetime | None:
    """OrderFilter's upper bound is exclusive; the spec's end_date is inclusive."""
    return end + timedelta(microseconds=1) if end else None
