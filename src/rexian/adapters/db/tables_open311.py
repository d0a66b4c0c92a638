"""Open311 tables: client API keys (hashed) and what an Open311 request carries beyond a work order."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table

from rexian.adapters.db.tables import UTCDateTime, metadata

open311_keys = Table(
    "open311_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

open311_requests = Table(
    "open311_requests", metadata,
    Column("order_id", Integer, ForeignKey("work_orders.id"), primary_key=True),
    Column("key_id", Integer, ForeignKey("open311_keys.id"), nullable=False, index=True),
    Column("attributes", JSON, nullable=False, default=dict),
    Column("address_id", String(200), nullable=True),
    Column("media_url", String(2000), nullable=True),
    Column("device_id", String(200), nullable=True),
    Column("account_id", String(200), nullable=True),
    Column("email", String(320), nullable=True),  # personal data: stored for the office, never served
)
