"""cti: callers registered for the no-queue line (older or disabled)

Revision ID: 0008
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import rexian.adapters.db.tables

revision = '0008'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cti_registered_callers',
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('flag', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('registered_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_cti_registered_callers'))
    )


def downgrade() -> None:
    op.drop_table('cti_registered_callers')
