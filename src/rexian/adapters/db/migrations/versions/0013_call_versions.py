"""call versions: every change to a live call (utterances, the agent's edits, its end) bumps its version

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 12:00:00

So that any app process can tell whether the draft it keeps warm is the call as stored, and the draft
stream on one process sees utterances posted to another.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("version")
