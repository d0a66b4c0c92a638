"""knowledge base: articles, their versions, reference cases

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 01:10:00
"""

import sqlalchemy as sa
from alembic import op

import rexian.adapters.db.tables

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_articles',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('policy_basis', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_order', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles'))
    )
    op.create_index(op.f('ix_kb_articles_status'), 'kb_articles', ['status'], unique=False)
    op.create_index(op.f('ix_kb_articles_unit'), 'kb_articles', ['unit'], unique=False)
    op.create_table('kb_article_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('change', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'],
                            name=op.f('fk_kb_article_versions_article_id_kb_articles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article_versions')),
    sa.UniqueConstraint('article_id', 'version', name=op.f('uq_kb_article_versions_article_id_version'))
    )
    op.create_table('kb_cases',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('created_at', rexian.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_cases'))
    )


def downgrade() -> None:
    op.drop_table('kb_cases')
    op.drop_table('kb_article_versions')
    op.drop_index(op.f('ix_kb_articles_unit'), table_name='kb_articles')
    op.drop_index(op.f('ix_kb_articles_status'), table_name='kb_articles')
    op.drop_table('kb_articles')
