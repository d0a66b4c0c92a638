"""Use cases of the unit workbench and the hotline office beside the order actions: inboxes and
queues, reply templates, attachments, the audited read of a caller, notices and the audit log."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rexian.adapters.db.repo_office import (
    AttachmentRepository,
    NotificationRepository,
    TemplateRepository,
    audit_entries,
)
from rexian.adapters.db.repositories import COUNT_CAP, OrderFilter
from rexian.config import get_settings
from rexian.domain.access import check_write, is_unit_scoped
from rexian.domain.errors import Forbidden, InvalidInput, NotFound
from rexian.domain.units import Unit
from rexian.domain.workorder import IN_UNIT, Actor, Caller, WorkOrder
from rexian.services import workorders as uc
from rexian.services.context import Hotline, mark_changed

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {  # extension → content type; anything else is refused
    "pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
    "txt": "text/plain", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_STORED = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")
OFFICE_QUEUES = {"review": ("received", "review"), "returned": ("returned",), "joint_review": ("joint_review",),
                 "reopened": ("reopened",), "callback": ("replied",)}


INBOX_PAGE = 500  # orders on a desk's list, the most urgent first; the list says how many more there are


@dataclass
class Queue:
    orders: list[WorkOrder]  # the most urgent INBOX_PAGE
    matching: int  # how many are in it, counted up to one past COUNT_CAP

    @property
    def size(self) -> str:
        return f"{COUNT_CAP}+" if self.matching > COUNT_CAP else str(self.matching)


def unit_inbox(hl: Hotline, actor: Actor) -> Queue:
    """The unit's open orders and those of the units below it, the nearest deadline first."""
    check_write(actor, "unit_desk")
    return Queue(*uc.list_orders(hl, actor, OrderFilter(status=tuple(s.value for s in IN_UNIT),
                                                        most_urgent_first=True), INBOX_PAGE, 0))


def units_below(hl: Hotline, unit_code: str | None) -> list[Unit]:
    """The units directly below `unit_code`: where an order can be passed down."""
    with hl.uow.begin() as tx:
        return [u for u in tx.units.all() if unit_code and u.parent_code == unit_code]


def office_queues(hl: Hotline, actor: Actor) -> dict[str, Queue]:
    """Each queue of the office, pending extension requests and concentrated appeals among them, each the most
    urgent first."""
    check_write(actor, "office_desk")
    filters = {name: OrderFilter(status=statuses) for name, statuses in OFFICE_QUEUES.items()}
    filters["extension"] = OrderFilter(status=tuple(s.value for s in IN_UNIT), extension_requested=True)
    filters["concentrated"] = OrderFilter(status=(*(s.value for s in IN_UNIT), *OFFICE_QUEUES["callback"]),
                                          concentrated=True)
    return {name: Queue(*uc.list_orders(hl, actor, replace(f, most_urgent_first=True), INBOX_PAGE, 0))
            for name, f in filters.items()}


@dataclass
class OrderPage:
    order: WorkOrder
    events: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    related: list[WorkOrder]


def order_page(hl: Hotline, actor: Actor, order_id: int) -> OrderPage:
    """An order with its history, attachments and merged callers. A unit that sees the caller's
    contact (a signed order) leaves an audit record of the read; the office page masks the caller
    until asked (reveal_caller)."""
    order, events = uc.get_order(hl, order_id, actor, shows_caller=is_unit_scoped(actor))
    with hl.uow.begin() as tx:
        files = AttachmentRepository(tx.conn).of_order(order_id)
        related = [o for o in (tx.orders.get(i) for i in order.related_ids) if o is not None]
    return OrderPage(order, events, files, related)


def reveal_caller(hl: Hotline, actor: Actor, order_id: int) -> Caller:
    """The unmasked caller for hotline staff; every read is audited."""
    check_write(actor, "read_caller")
    order, _ = uc.get_order(hl, order_id, actor, shows_caller=True)
    return order.caller


# -- reply templates ----------------------------------------------------------------------------------

def templates_for(hl: Hotline, actor: Actor) -> list[dict[str, Any]]:
    with hl.uow.begin() as tx:
        return TemplateRepository(tx.conn).visible_to(actor.unit_code)


def save_template(hl: Hotline, actor: Actor, title: str, body: str, template_id: int | None = None) -> int:
    """A unit admin keeps its unit's templates; an administrator keeps the shared ones."""
    check_write(actor, "manage_templates")
    if not title.strip() or not body.strip():
        raise InvalidInput("模板标题和内容不能为空", "a template needs a title and a body")
    with hl.uow.begin(write=True) as tx:
        repo, now = TemplateRepository(tx.conn), hl.clock.now()
        values = {"title": title.strip()[:200], "body": body.strip(), "updated_at": now}
        if template_id is None:
            template_id = repo.add(unit_code=actor.unit_code, created_by=actor.name, **values)
        else:
            _own_template(repo, actor, template_id)
            repo.update(template_id, **values)
        tx.audit.record(now, actor.name, "save_template", "reply_template", str(template_id), {"title": title})
        tx.commit()
    return template_id


def delete_template(hl: Hotline, actor: Actor, template_id: int) -> None:
    check_write(actor, "manage_templates")
    with hl.uow.begin(write=True) as tx:
        repo = TemplateRepository(tx.conn)
        _own_template(repo, actor, template_id)
        repo.delete(template_id)
        tx.audit.record(hl.clock.now(), actor.name, "delete_template", "reply_template", str(template_id))
        tx.commit()


def _own_template(repo: TemplateRepository, actor: Actor, template_id: int) -> None:
    template = repo.get(template_id)
    if template is None:
        raise NotFound("模板不存在", "template not found")
    if template["unit_code"] != actor.unit_code:
        raise Forbidden("只能修改本单位的模板", "only your own unit's templates can be changed")


# -- attachments ---------------------------------------------------------------------------------------

def attachment_dir() -> Path:
    return get_settings().home / "attachments"


def add_attachment(hl: Hotline, actor: Actor, order_id: int, filename: str, data: bytes) -> int:
    """Store a file under a generated name (the uploaded name is only shown, never used as a path)."""
    check_write(actor, "attach")
    uc.get_order(hl, order_id, actor)  # the unit scope
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise InvalidInput(f"不支持的附件类型（仅限 {'、'.join(sorted(ALLOWED_TYPES))}）",
                           f"file type not allowed (only {', '.join(sorted(ALLOWED_TYPES))})")
    if not data or len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("附件为空或超过10MB", "the file is empty or larger than 10 MB")
    stored = f"{secrets.token_hex(16)}.{extension}"
    folder = attachment_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    shown = Path(filename.replace("\\", "/")).name[:200]
    with hl.uow.begin(write=True) as tx:
        attachment_id = AttachmentRepository(tx.conn).add(
            order_id=order_id, filename=shown, stored_name=stored, content_type=ALLOWED_TYPES[extension],
            size=len(data), unit_code=actor.unit_code, uploaded_by=actor.name, at=hl.clock.now())
        tx.audit.record(hl.clock.now(), actor.name, "attach", "work_order", str(order_id),
                        {"attachment_id": attachment_id, "filename": shown, "size": len(data)})
        tx.commit()
    return attachment_id


def open_attachment(hl: Hotline, actor: Actor, attachment_id: int) -> tuple[dict[str, Any], Path]:
    with hl.uow.begin() as tx:
        meta = AttachmentRepository(tx.conn).get(attachment_id)
    if meta is None or not _STORED.match(meta["stored_name"]):
        raise NotFound("附件不存在", "attachment not found")
    uc.get_order(hl, meta["order_id"], actor)  # the unit scope
    return meta, attachment_dir() / meta["stored_name"]


# -- notices and the audit log --------------------------------------------------------------------------

def notices(hl: Hotline, actor: Actor) -> tuple[list[dict[str, Any]], int]:
    """The actor's unit's notices (the office's for office staff) and how many are unread."""
    unit = actor.unit_code if is_unit_scoped(actor) else None
    with hl.uow.begin() as tx:
        repo = NotificationRepository(tx.conn)
        return repo.for_unit(unit), repo.unread(unit)


def mark_notices_read(hl: Hotline, actor: Actor) -> None:
    unit = actor.unit_code if is_unit_scoped(actor) else None
    with hl.uow.begin(write=True) as tx:
        NotificationRepository(tx.conn).mark_read(unit)
        tx.commit()


def set_unit_contact(hl: Hotline, actor: Actor, unit_code: str, email: str | None, phone: str | None) -> None:
    """Where a unit's email and SMS notices go."""
    check_write(actor, "manage_units")
    with hl.uow.begin(write=True) as tx:
        if tx.units.get(unit_code) is None:
            raise InvalidInput(f"承办单位不存在：{unit_code}", f"unknown unit: {unit_code}")
        NotificationRepository(tx.conn).set_contact(unit_code, email, phone)
        mark_changed(tx, "contacts")
        tx.audit.record(hl.clock.now(), actor.name, "set_contact", "unit", unit_code, {"email": email, "phone": phone})
        tx.commit()
    hl.forget("contacts")


def audit_log(hl: Hotline, actor: Actor, who: str | None = None, action: str | None = None,
              limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    check_write(actor, "read_audit")
    with hl.uow.begin() as tx:
        return audit_entries(tx.conn, who, action, limit, offset)
