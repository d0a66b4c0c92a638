"""Repositories of the workbench and office tables, and the read queries behind their pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from rexian.adapters.db.tables import audit_log, work_order_events, work_orders
from rexian.adapters.db.tables_office import (
    attachments,
    notifications,
    outbox,
    reply_templates,
    unit_contacts,
)


def _dicts(rows: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in rows]


class TemplateRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def visible_to(self, unit_code: str | None) -> list[dict[str, Any]]:
        """The unit's own templates and the shared ones (unit_code NULL)."""
        c = reply_templates.c
        stmt = select(reply_templates).where(or_(c.unit_code.is_(None), c.unit_code == unit_code))
        return _dicts(self.conn.execute(stmt.order_by(c.unit_code.is_(None), c.title)))

    def get(self, template_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(reply_templates).where(reply_templates.c.id == template_id)).first()
        return dict(row._mapping) if row else None

    def add(self, **values: Any) -> int:
        return self.conn.execute(insert(reply_templates).values(**values).returning(reply_templates.c.id)).scalar_one()

    def update(self, template_id: int, **values: Any) -> None:
        self.conn.execute(update(reply_templates).where(reply_templates.c.id == template_id).values(**values))

    def delete(self, template_id: int) -> None:
        self.conn.execute(delete(reply_templates).where(reply_templates.c.id == template_id))


class AttachmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> int:
        return self.conn.execute(insert(attachments).values(**values).returning(attachments.c.id)).scalar_one()

    def get(self, attachment_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(attachments).where(attachments.c.id == attachment_id)).first()
        return dict(row._mapping) if row else None

    def of_order(self, order_id: int) -> list[dict[str, Any]]:
        return _dicts(self.conn.execute(select(attachments).where(attachments.c.order_id == order_id)
                                        .order_by(attachments.c.id)))


_INSERT_NOTICES = insert(notifications)
_INSERT_OUTBOX = insert(outbox)


class NotificationRepository:
    """In-app notifications, unit contacts and the outbox of messages to deliver."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def notify(self, notices: Sequence[dict[str, Any]]) -> None:
        """In-app notices (at, unit_code, order_id, kind, message), in one statement however many."""
        if notices:
            self.conn.execute(_INSERT_NOTICES, [{**notice, "read": False} for notice in notices])

    def for_unit(self, unit_code: str | None, limit: int = 50) -> list[dict[str, Any]]:
        c = notifications.c
        where = c.unit_code.is_(None) if unit_code is None else c.unit_code == unit_code
        return _dicts(self.conn.execute(select(notifications).where(where).order_by(c.id.desc()).limit(limit)))

    def unread(self, unit_code: str | None) -> int:
        c = notifications.c
        where = c.unit_code.is_(None) if unit_code is None else c.unit_code == unit_code
        return self.conn.execute(select(func.count()).where(and_(where, c.read.is_(False)))).scalar_one()

    def mark_read(self, unit_code: str | None) -> None:
        c = notifications.c
        where = c.unit_code.is_(None) if unit_code is None else c.unit_code == unit_code
        self.conn.execute(update(notifications).where(where).values(read=True))

    def contacts(self) -> dict[str, dict[str, Any]]:
        """Every unit's contact, by unit code (a row per unit that has one)."""
        return {row.unit_code: dict(row._mapping) for row in self.conn.execute(select(unit_contacts))}

    def set_contact(self, unit_code: str, email: str | None, phone: str | None) -> None:
        self.conn.execute(delete(unit_contacts).where(unit_contacts.c.unit_code == unit_code))
        self.conn.execute(insert(unit_contacts).values(unit_code=unit_code, email=email, phone=phone))

    def enqueue(self, messages: Sequence[dict[str, Any]]) -> None:
        """Messages to deliver (at, channel, recipient, subject, body), due at once, in one statement."""
        if messages:
            self.conn.execute(_INSERT_OUTBOX, [{**message, "attempts": 0, "next_attempt_at": message["at"],
                                                "failed": False} for message in messages])

    def claim_due(self, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages due at `now`, taken until `until`: a sender in another process skips them
        meanwhile (rows it finds locked, then their new due time), and may take them after `until` should
        this one die before marking them."""
        c = outbox.c
        due = self.conn.execute(select(outbox).where(and_(
            c.sent_at.is_(None), c.failed.is_(False), c.next_attempt_at <= now))
            .order_by(c.id).limit(limit).with_for_update(skip_locked=True)).all()
        if due:
            self.conn.execute(update(outbox).where(c.id.in_([row.id for row in due])).values(next_attempt_at=until))
        return _dicts(due)

    def delivered(self, message_id: int, at: datetime) -> None:
        self.conn.execute(update(outbox).where(outbox.c.id == message_id).values(sent_at=at))

    def attempt_failed(self, message_id: int, attempts: int, retry_at: datetime, error: str, give_up: bool) -> None:
        self.conn.execute(update(outbox).where(outbox.c.id == message_id).values(
            attempts=attempts, next_attempt_at=retry_at, last_error=error[:2000], failed=give_up))

    def outbox_messages(self) -> list[dict[str, Any]]:
        return _dicts(self.conn.execute(select(outbox).order_by(outbox.c.id)))


def audit_entries(conn: Connection, actor: str | None, action: str | None, limit: int, offset: int
                  ) -> tuple[list[dict[str, Any]], int]:
    c = audit_log.c
    conditions = [cond for cond in (c.actor == actor if actor else None, c.action == action if action else None)
                  if cond is not None]
    where = and_(*conditions) if conditions else None
    stmt, count = select(audit_log), select(func.count()).select_from(audit_log)
    if where is not None:
        stmt, count = stmt.where(where), count.where(where)
    total = conn.execute(count).scalar_one()
    return _dicts(conn.execute(stmt.order_by(c.id.desc()).limit(limit).offset(offset))), total


def events_of_orders_active_between(conn: Connection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every event (with the order's deadlines) of the orders that had any event in [start, end)."""
    e, o = work_order_events.c, work_orders.c
    active = select(e.order_id).where(and_(e.at >= start, e.at < end)).distinct()
    stmt = (select(e.order_id, e.action, e.at, e.to_status, e.data, o.urgency, o.reply_due)
            .join(work_orders, o.id == e.order_id).where(e.order_id.in_(active)).order_by(e.order_id, e.id))
    return _dicts(conn.execute(stmt))
