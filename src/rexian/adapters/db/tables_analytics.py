"""Analytics tables: reply scores, surge alerts, stored hotspot runs, the dashboard's order counts;
indexes the dashboard reads."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    text,
)

from rexian.adapters.db.tables import UTCDateTime, metadata, work_orders

reply_scores = Table(
    "reply_scores", metadata,
    Column("order_id", Integer, ForeignKey("work_orders.id"), primary_key=True),
    Column("total", Float, nullable=False, index=True),
    Column("relevance", Float, nullable=False),
    Column("completeness", Float, nullable=False),
    Column("readability", Float, nullable=False),
    Column("timeliness", Float, nullable=True),
    Column("reasons", JSON, nullable=False, default=list),
    Column("scored_at", UTCDateTime, nullable=False),
)

surge_alerts = Table(
    "surge_alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # category_district | place
    Column("key", String(300), nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False, index=True),
    Column("observed", Integer, nullable=False),
    Column("expected", Float, nullable=False),
    Column("p_value", Float, nullable=False),
    Column("ratio", Float, nullable=False),
    Column("evidence", JSON, nullable=False, default=list),  # order codes
    Column("status", String(16), nullable=False, default="open", index=True),  # open | closed
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "kind", "key", "status"),
)

hotspot_runs = Table(
    "hotspot_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("computed_at", UTCDateTime, nullable=False, index=True),
    Column("period_from", UTCDateTime, nullable=True),
    Column("period_to", UTCDateTime, nullable=True),
    Column("hotspots", JSON, nullable=False, default=list),
    Column("note", Text, nullable=False, default=""),
)

# What the dashboard sums instead of scanning orders: per local day of receipt and per value of each
# dimension, the orders and their outcomes. WorkOrderRepository keeps it current in the transaction of
# every change; `rexian db recount` rebuilds it from the orders.
order_counts = Table(
    "order_counts", metadata,
    Column("day", Date, primary_key=True),
    Column("dimension", String(16), primary_key=True),  # channel | category | district | satisfaction | unit
    Column("value", String(200), primary_key=True),  # '' where the order has none
    # writers side by side (PostgreSQL) spread over stripes, so concurrent intakes do not queue on one row per
    # day; readers sum over them; the sweep folds past days back into stripe 0
    Column("stripe", SmallInteger, primary_key=True, server_default=text("0")),
    Column("orders", Integer, nullable=False),
    Column("replied_on_time", Integer, nullable=False),
    Column("replied_late", Integer, nullable=False),
    Column("rated", Integer, nullable=False),
    Column("satisfied", Integer, nullable=False),
    Column("returns", Integer, nullable=False),
)

# Orders still waiting for a reply with a deadline set: the few whose lateness depends on the clock.
_AWAITING_REPLY = and_(work_orders.c.replied_at.is_(None), work_orders.c.reply_due.is_not(None))
Index("ix_work_orders_awaiting_reply", work_orders.c.received_at, work_orders.c.reply_due, work_orders.c.unit_code,
      sqlite_where=_AWAITING_REPLY, postgresql_where=_AWAITING_REPLY)

# Orders of a period by channel, district or category: the partial days at the ends of a dashboard
# period, the office's filtered lists.
Index("ix_work_orders_received_at_channel", work_orders.c.received_at, work_orders.c.channel)
Index("ix_work_orders_district_received_at", work_orders.c.district, work_orders.c.received_at)
Index("ix_work_orders_category_received_at", work_orders.c.category, work_orders.c.received_at)
