"""order counts: what the dashboard sums instead of scanning orders, backfilled from the orders

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 03:00:00

The backfill is `recount`, the same SQL as `rexian db recount`: one grouped pass over the orders.
"""

import sqlalchemy as sa
from alembic import op

from rexian.adapters.db.repo_analytics import recount

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

AWAITING_REPLY = sa.text("replied_at IS NULL AND reply_due IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "order_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("replied_on_time", sa.Integer(), nullable=False),
        sa.Column("replied_late", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "dimension", "value", name=op.f("pk_order_counts")),
    )
    op.create_index("ix_work_orders_awaiting_reply", "work_orders", ["received_at", "reply_due", "unit_code"],
                    unique=False, sqlite_where=AWAITING_REPLY, postgresql_where=AWAITING_REPLY)
    recount(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_work_orders_awaiting_reply", table_name="work_orders")
    op.drop_table("order_counts")
