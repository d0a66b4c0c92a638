"""Tables of the unit workbench and the hotline office: reply templates, attachments, contacts,
in-app notifications and the outbox of email/SMS messages still to be delivered."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text

from rexian.adapters.db.tables import UTCDateTime, metadata

reply_templates = Table(
    "reply_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit_code", String(64), ForeignKey("units.code"), nullable=True, index=True),  # None: shared
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

attachments = Table(
    "attachments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("work_orders.id"), nullable=False, index=True),
    Column("filename", String(200), nullable=False),  # as uploaded, shown only
    Column("stored_name", String(64), nullable=False, unique=True),  # generated, the only name on disk
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("unit_code", String(64), nullable=True),
    Column("uploaded_by", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

unit_contacts = Table(
    "unit_contacts", metadata,
    Column("unit_code", String(64), ForeignKey("units.code"), primary_key=True),
    Column("email", String(200), nullable=True),
    Column("phone", String(40), nullable=True),
)

notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("unit_code", String(64), nullable=True, index=True),  # None: the hotline office
    Column("order_id", Integer, ForeignKey("work_orders.id"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("read", Boolean, nullable=False, default=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("channel", String(16), nullable=False),  # email | sms
    Column("recipient", String(200), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("failed", Boolean, nullable=False, default=False),
    Column("last_error", Text, nullable=True),
)
