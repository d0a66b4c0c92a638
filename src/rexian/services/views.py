"""What each reader may see of an order: personal data masked unless the reader needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rexian.domain.access import is_unit_scoped
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.privacy import mask_phone, mask_text
from rexian.domain.sla import DeadlinePolicy
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor, Status, WorkOrder

FULL_CONTACT_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def unit_may_reach_caller(order: WorkOrder) -> bool:
    """A unit needs the caller's contact only while it handles a signed order, never a hidden caller."""
    c = order.caller
    return not (c.anonymous or c.confidential) and order.status in (Status.SIGNED, Status.SUSPENDED)


def _unmasked(order: WorkOrder, actor: Actor) -> bool:
    return actor.role in FULL_CONTACT_ROLES or (is_unit_scoped(actor) and unit_may_reach_caller(order))


def sees_caller_contact(order: WorkOrder, actor: Actor) -> bool:
    """Whether caller_view shows this reader the caller's phone unmasked: a read of personal data to audit."""
    return bool(order.caller.phone) and _unmasked(order, actor)


def caller_view(order: WorkOrder, actor: Actor, reveal: bool = False) -> dict[str, Any]:
    """Hotline staff see the caller; units never see an anonymous or confidential caller, see the
    phone only while they handle the signed order and masked before; everyone else sees nothing.
    The full phone is shown only where the read is audited (`reveal`); lists and action replies mask it."""
    c = order.caller
    hidden = c.anonymous or c.confidential
    if _unmasked(order, actor):
        name, phone = c.name, c.phone if reveal else mask_phone(c.phone)
    elif is_unit_scoped(actor) and not hidden:
        name, phone = c.name, mask_phone(c.phone)
    else:
        name, phone = None, None
    return {"name": name, "phone": phone, "anonymous": c.anonymous, "confidential": c.confidential}


def local(at: datetime | None) -> datetime | None:
    """Times are stored in UTC and shown in Asia/Shanghai."""
    return at.astimezone(LOCAL_TZ) if at else None


def order_view(order: WorkOrder, actor: Actor, policy: DeadlinePolicy, now: datetime,
               unit_names: dict[str, str], reveal: bool = False) -> dict[str, Any]:
    lights = order.lights(policy, now)
    content = order.content if actor.role in FULL_CONTACT_ROLES else mask_text(order.content)
    return {
        "id": order.id, "code": order.code, "version": order.version, "status": order.status.value,
        "channel": order.channel.value, "appeal_type": order.appeal_type.value, "urgency": order.urgency.value,
        "title": order.title, "content": content, "category": order.category,
        "category_confidence": order.category_confidence,
        "location": {"address": order.location.address, "district": order.location.district,
                     "street": order.location.street, "community": order.location.community,
                     "lat": order.location.lat, "long": order.location.long},
        "caller": caller_view(order, actor, reveal),
        "unit": {"code": order.unit_code, "name": unit_names.get(order.unit_code or "", order.unit_code)}
        if order.unit_code else None,
        "chain": order.chain,
        "dispatch": {"explanation": order.dispatch_explanation, "confidence": order.dispatch_confidence},
        "deadlines": {
            kind: {"due": local(due), "light": lights[kind].value if lights[kind] else None}
            for kind, due in (("sign", order.sign_due), ("reply", order.reply_due), ("callback", order.callback_due))
        },
        "received_at": local(order.received_at), "dispatched_at": local(order.dispatched_at),
        "signed_at": local(order.signed_at), "replied_at": local(order.replied_at), "closed_at": local(order.closed_at),
        "reply_text": order.reply_text,
        "satisfaction": order.satisfaction.value if order.satisfaction else None,
        "extension_request": order.extension_request,
        "return_count": order.return_count, "reopen_count": order.reopen_count,
        "supervision_level": order.supervision_level, "overdue": order.overdue,
        "master_id": order.master_id, "related_ids": order.related_ids,
        "transferred_to": order.transferred_to,
    }
