"""Merge the areas' migrations (calls, knowledge, Open311, office, analytics, CTI) into one head.

Revision ID: 0009
Revises: 0002, 0003, 0004, 0005, 0006, 0008
Create Date: 2026-11-28 01:20:00
"""

revision = "0009"
down_revision = ("0002", "0003", "0004", "0005", "0006", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
