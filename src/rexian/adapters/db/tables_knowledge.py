"""Knowledge-base tables: articles with their version history, and reference cases (案例)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from rexian.adapters.db.tables import UTCDateTime, metadata

kb_articles = Table(
    "kb_articles", metadata,
    Column("id", String(64), primary_key=True),
    Column("question", Text, nullable=False),
    Column("variants", JSON, nullable=False, default=list),
    Column("answer", Text, nullable=False),
    Column("policy_basis", Text, nullable=False, default=""),
    Column("link", String(500), nullable=False, default=""),
    Column("unit", String(200), nullable=True, index=True),
    Column("region", String(64), nullable=True),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("tags", JSON, nullable=False, default=list),
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("from_order", Integer, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

kb_article_versions = Table(
    "kb_article_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(64), ForeignKey("kb_articles.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("change", String(32), nullable=False),  # create, edit, review, reject, publish, retire
    Column("note", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False),  # the article's fields as of this version
    Column("actor", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("article_id", "version"),
)

kb_cases = Table(
    "kb_cases", metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("source", String(200), nullable=False),
    Column("region", String(64), nullable=True),
    Column("unit", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)
