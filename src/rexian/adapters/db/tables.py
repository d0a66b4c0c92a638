"""The schema, as SQLAlchemy Core tables. Every change here comes with an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, gives back timezone-aware UTC on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


units = Table(
    "units", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("parent_code", String(64), ForeignKey("units.code"), nullable=True, index=True),
    Column("district", String(64), nullable=True, index=True),
    Column("street", String(64), nullable=True),
    Column("aliases", JSON, nullable=False, default=list),
    Column("remit", JSON, nullable=False, default=list),
    Column("city", String(64), nullable=False, index=True),
    Column("active", Boolean, nullable=False, default=True),
)

work_orders = Table(
    "work_orders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("external_ref", String(200), nullable=True, unique=True),
    Column("channel", String(16), nullable=False),
    Column("appeal_type", String(16), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("title", String(500), nullable=False),
    Column("content", Text, nullable=False),
    Column("category", String(200), nullable=True, index=True),
    Column("category_confidence", Float, nullable=True),
    Column("address", String(500), nullable=True),
    Column("district", String(64), nullable=True, index=True),
    Column("street", String(64), nullable=True),
    Column("community", String(64), nullable=True),
    Column("lat", Float, nullable=True),
    Column("long", Float, nullable=True),
    Column("caller_name", String(100), nullable=True),
    Column("caller_phone", String(40), nullable=True, index=True),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("confidential", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, index=True),
    Column("unit_code", String(64), ForeignKey("units.code"), nullable=True),
    Column("chain", JSON, nullable=False, default=list),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("dispatched_at", UTCDateTime, nullable=True),
    Column("signed_at", UTCDateTime, nullable=True),
    Column("replied_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("sign_due", UTCDateTime, nullable=True),
    Column("reply_due", UTCDateTime, nullable=True, index=True),
    Column("callback_due", UTCDateTime, nullable=True),
    Column("suspended_at", UTCDateTime, nullable=True),
    Column("extension_request", JSON, nullable=True),
    Column("reply_text", Text, nullable=True),
    Column("satisfaction", String(24), nullable=True),
    Column("dispatch_explanation", Text, nullable=True),
    Column("dispatch_confidence", Float, nullable=True),
    Column("return_locked", Boolean, nullable=False, default=False),
    Column("return_count", Integer, nullable=False, default=0),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("supervision_level", Integer, nullable=False, default=0),
    Column("overdue", JSON, nullable=False, default=list),
    Column("master_id", Integer, ForeignKey("work_orders.id"), nullable=True),
    Column("related_ids", JSON, nullable=False, default=list),
    Column("transferred_to", String(8), nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "unit_code", "status"),
)

work_order_events = Table(
    "work_order_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("work_orders.id"), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False, default=dict),
)

code_counters = Table(
    "code_counters", metadata,
    Column("prefix", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("unit_code", String(64), ForeignKey("units.code"), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

calendar_days = Table(
    "calendar_days", metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(8), nullable=False),  # holiday | workday
    Column("name", String(64), nullable=False, default=""),
)

routing_rules = Table(
    "routing_rules", metadata,
    Column("city", String(64), primary_key=True),  # rule ids are per city
    Column("id", String(32), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("category", String(200), nullable=False, default="*"),
    Column("district", String(64), nullable=False, default="*"),
    Column("street", String(64), nullable=False, default="*"),
    Column("keywords", JSON, nullable=False, default=list),
    Column("unit_code", String(64), nullable=False),
    Column("note", Text, nullable=False, default=""),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(64), nullable=True),
    Column("data", JSON, nullable=False, default=dict),
)

settings_kv = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)
import rexian.adapters.db.tables_analytics  # noqa: E402,F401
import rexian.adapters.db.tables_calls  # noqa: E402,F401
import rexian.adapters.db.tables_cti  # noqa: E402,F401
import rexian.adapters.db.tables_knowledge  # noqa: E402,F401
import rexian.adapters.db.tables_limits  # noqa: E402,F401
import rexian.adapters.db.tables_office  # noqa: E402,F401
import rexian.adapters.db.tables_open311  # noqa: E402,F401
