"""rate limits: hits per client in fixed windows, shared by every app process

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("rate_limit_hits",
                    sa.Column("scope", sa.String(length=16), nullable=False),
                    sa.Column("window_start", sa.Integer(), nullable=False),
                    sa.Column("client", sa.String(length=64), nullable=False),
                    sa.Column("hits", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("scope", "window_start", "client", name=op.f("pk_rate_limit_hits")))


def downgrade() -> None:
    op.drop_table("rate_limit_hits")
