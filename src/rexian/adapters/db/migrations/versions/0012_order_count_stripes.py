"""order count stripes: concurrent writers spread a day's counts over stripes instead of one row each

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 05:20:00

Existing rows become stripe 0; readers sum over the stripes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEY = ["day", "dimension", "value"]


def upgrade() -> None:
    with op.batch_alter_table("order_counts", recreate="auto") as batch:
        batch.add_column(sa.Column("stripe", sa.SmallInteger(), server_default=sa.text("0"), nullable=False))
        batch.drop_constraint(op.f("pk_order_counts"), type_="primary")
        batch.create_primary_key(op.f("pk_order_counts"), [*KEY, "stripe"])


def downgrade() -> None:
    measures = ["orders", "replied_on_time", "replied_late", "rated", "satisfied", "returns"]
    sums = ", ".join(f"sum({m}) AS {m}" for m in measures)
    op.execute(f"CREATE TEMPORARY TABLE folded AS SELECT {', '.join(KEY)}, {sums} FROM order_counts "
               f"GROUP BY {', '.join(KEY)}")
    op.execute("DELETE FROM order_counts")
    with op.batch_alter_table("order_counts", recreate="auto") as batch:
        batch.drop_constraint(op.f("pk_order_counts"), type_="primary")
        batch.drop_column("stripe")
        batch.create_primary_key(op.f("pk_order_counts"), KEY)
    op.execute(f"INSERT INTO order_counts ({', '.join(KEY)}, {', '.join(measures)}) SELECT * FROM folded")
    op.execute("DROP TABLE folded")
