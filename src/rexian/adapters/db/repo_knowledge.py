"""Knowledge-base repository: articles (current row + one version row per change) and cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from rexian.adapters.db.tables_knowledge import kb_article_versions, kb_articles, kb_cases
from rexian.domain.knowledge import Article, ArticleStatus
from rexian.intelligence.knowledge import KnowledgeDoc

FIELDS = ("question", "variants", "answer", "policy_basis", "link", "unit", "region", "valid_from", "valid_to",
          "tags")


def snapshot(article: Article) -> dict[str, Any]:
    """The article's editable fields as JSON (dates as ISO strings) for its version row."""
    data = {name: getattr(article, name) for name in FIELDS}
    for name in ("valid_from", "valid_to"):
        data[name] = data[name].isoformat() if data[name] else None
    return data


def _article(row: Any) -> Article:
    m = row._mapping
    return Article(**{k: m[k] for k in (*FIELDS, "id", "version", "from_order", "created_by", "created_at",
                                        "updated_by", "updated_at")} | {"status": ArticleStatus(m["status"])})


class KnowledgeRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- articles --------------------------------------------------------------------------------
    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute(select(kb_articles).where(kb_articles.c.id == article_id)).first()
        return _article(row) if row else None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found |= set(self.conn.execute(select(kb_articles.c.id).where(kb_articles.c.id.in_(chunk))).scalars())
            found |= set(self.conn.execute(select(kb_cases.c.id).where(kb_cases.c.id.in_(chunk))).scalars())
        return found

    def add(self, article: Article, change: str, actor: str, at: datetime, note: str = "") -> None:
        self.conn.execute(insert(kb_articles).values(
            id=article.id, status=article.status.value, version=article.version, from_order=article.from_order,
            created_by=article.created_by, created_at=article.created_at, updated_by=article.updated_by,
            updated_at=article.updated_at, **{name: getattr(article, name) for name in FIELDS}))
        self._version(article, change, actor, at, note)

    def save(self, article: Article, change: str, actor: str, at: datetime, note: str = "") -> None:
        """Store the next version: the article's version must be one more than the stored one."""
        self.conn.execute(update(kb_articles).where(kb_articles.c.id == article.id).values(
            status=article.status.value, version=article.version, updated_by=actor, updated_at=at,
            **{name: getattr(article, name) for name in FIELDS}))
        self._version(article, change, actor, at, note)

    def _version(self, article: Article, change: str, actor: str, at: datetime, note: str) -> None:
        self.conn.execute(insert(kb_article_versions).values(
            article_id=article.id, version=article.version, status=article.status.value, change=change, note=note,
            data=snapshot(article), actor=actor, at=at))

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(kb_article_versions).where(kb_article_versions.c.article_id == article_id)
                                 .order_by(kb_article_versions.c.version))
        return [{k: r._mapping[k] for k in ("version", "status", "change", "note", "data", "actor", "at")}
                for r in rows]

    def query(self, status: Sequence[str] = (), unit: str | None = None, limit: int = 50, offset: int = 0
              ) -> tuple[list[Article], int]:
        where = []
        if status:
            where.append(kb_articles.c.status.in_(list(status)))
        if unit:
            where.append(kb_articles.c.unit == unit)
        total = self.conn.execute(select(func.count()).select_from(kb_articles).where(*where)).scalar_one()
        rows = self.conn.execute(select(kb_articles).where(*where).order_by(kb_articles.c.updated_at.desc(),
                                                                            kb_articles.c.id)
                                 .limit(limit).offset(offset))
        return [_article(r) for r in rows], total

    def published(self) -> list[Article]:
        rows = self.conn.execute(select(kb_articles).where(kb_articles.c.status == ArticleStatus.PUBLISHED.value)
                                 .order_by(kb_articles.c.id))
        return [_article(r) for r in rows]

    def changed_since(self, since: datetime) -> list[Article]:
        """Articles of any status changed at or after `since` (edits, publications, retirements)."""
        rows = self.conn.execute(select(kb_articles).where(kb_articles.c.updated_at >= since)
                                 .order_by(kb_articles.c.id))
        return [_article(r) for r in rows]

    # -- reference cases -------------------------------------------------------------------------
    def add_cases(self, docs: Sequence[KnowledgeDoc], at: datetime) -> None:
        if docs:
            self.conn.execute(insert(kb_cases), [
                {"id": d.id, "title": d.title, "body": d.body, "source": d.source or "", "region": d.region,
                 "unit": d.unit, "created_at": at} for d in docs])

    def cases(self) -> list[KnowledgeDoc]:
        rows = self.conn.execute(select(kb_cases).order_by(kb_cases.c.id))
        return [case_doc(r._mapping) for r in rows]

    def case_ids_since(self, since: datetime) -> list[str]:
        return list(self.conn.execute(select(kb_cases.c.id).where(kb_cases.c.created_at >= since)).scalars())

    def cases_by_id(self, ids: Sequence[str]) -> list[KnowledgeDoc]:
        rows = self.conn.execute(select(kb_cases).where(kb_cases.c.id.in_(list(ids))).order_by(kb_cases.c.id))
        return [case_doc(r._mapping) for r in rows]

    def get_case(self, case_id: str) -> KnowledgeDoc | None:
        row = self.conn.execute(select(kb_cases).where(kb_cases.c.id == case_id)).first()
        return case_doc(row._mapping) if row else None

    def counts(self) -> dict[str, int]:
        by_status = dict(self.conn.execute(select(kb_articles.c.status, func.count())
                                           .group_by(kb_articles.c.status)).all())
        return {**by_status, "cases": self.conn.execute(select(func.count()).select_from(kb_cases)).scalar_one()}


def case_doc(m: Any) -> KnowledgeDoc:
    return KnowledgeDoc(id=m["id"], kind="case", title=m["title"], body=m["body"], region=m["region"],
                        unit=m["unit"], source=m["source"] or None)

