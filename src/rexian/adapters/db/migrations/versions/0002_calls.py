"""calls: the agent desk's call sessions and their transcripts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import rexian.adapters.db.tables

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('caller_number', sa.String(length=40), nullable=True),
    sa.Column('agent', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('elderly', sa.Boolean(), nullable=False),
    sa.Column('edits', sa.JSON(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('started_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_calls_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    op.create_index(op.f('ix_calls_caller_number'), 'calls', ['caller_number'], unique=False)
    op.create_index(op.f('ix_calls_order_id'), 'calls', ['order_id'], unique=False)
    op.create_index(op.f('ix_calls_status'), 'calls', ['status'], unique=False)
    op.create_table('call_utterances',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_utterances_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_utterances'))
    )
    op.create_index(op.f('ix_call_utterances_call_id'), 'call_utterances', ['call_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_call_utterances_call_id'), table_name='call_utterances')
    op.drop_table('call_utterances')
    op.drop_index(op.f('ix_calls_status'), table_name='calls')
    op.drop_index(op.f('ix_calls_order_id'), table_name='calls')
    op.drop_index(op.f('ix_calls_caller_number'), table_name='calls')
    op.drop_table('calls')
