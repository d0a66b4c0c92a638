"""open311

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 01:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import rexian.adapters.db.tables

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash'))
    )
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_keys_name'), ['name'], unique=False)

    op.create_table('open311_requests',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('address_id', sa.String(length=200), nullable=True),
    sa.Column('media_url', sa.String(length=2000), nullable=True),
    sa.Column('device_id', sa.String(length=200), nullable=True),
    sa.Column('account_id', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['key_id'], ['open311_keys.id'], name=op.f('fk_open311_requests_key_id_open311_keys')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_open311_requests_order_id_work_orders')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_open311_requests'))
    )
    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_requests_key_id'), ['key_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_requests_key_id'))
    op.drop_table('open311_requests')
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_keys_name'))
    op.drop_table('open311_keys')
