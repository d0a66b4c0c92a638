"""Knowledge-base use cases: write, review, publish and retire articles; import cases; search.

One index per process (`knowledge_base(hl)`, kept on the Hotline) holds the published articles and the
reference cases, built from the database on first use and updated in place on every publish, retire and
edit of a published article. Building means segmenting every text with jieba, so a built index is cached
on disk under a fingerprint of what it holds: a restart with the same base loads it instead.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import pickle
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rexian.adapters.db.repo_knowledge import KnowledgeRepository
from rexian.adapters.db.uow import Transaction
from rexian.adapters.files import read_rows
from rexian.config import get_settings
from rexian.domain.access import check_write, is_unit_scoped
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import ConcurrencyConflict, Forbidden, InvalidInput, NotFound, RuleViolation
from rexian.domain.knowledge import (
    EDITABLE_BY_ANY_STAFF,
    EDITABLE_BY_REVIEWERS,
    Article,
    ArticleAction,
    ArticleStatus,
)
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.intelligence.knowledge import KnowledgeDoc, KnowledgeIndex, load_reference_cases
from rexian.intelligence.text import clean_text
from rexian.services import workorders as uc
from rexian.services.context import Hotline, mark_changed

EDITABLE = ("question", "variants", "answer", "policy_basis", "link", "unit", "region", "valid_from", "valid_to",
            "tags")
ARTICLE_COLUMNS = {"id", "question", "answer"}
CASE_COLUMNS = {"留言编号", "留言主题", "留言详情", "答复意见"}
REVIEWERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
log = logging.getLogger(__name__)


def article_doc(article: Article) -> KnowledgeDoc:
    return KnowledgeDoc(id=article.id, kind="article", title=article.question, body=article.answer,
                        variants=tuple(article.variants), region=article.region, unit=article.unit,
                        tags=tuple(article.tags),
                        source=" ".join(p for p in (article.policy_basis, article.link) if p) or None)


class KnowledgeBase:
    """The process's search index over published articles and reference cases.

    Every app process holds its own index. A change made here is indexed at once; one made by another process
    (another worker, another machine, an import from the CLI) marks the "knowledge" cache changed, and the
    hotline's next refresh (at most a second later) brings the index up to date (`sync`), so every agent and
    the self-service bot answer from the same base.
    """

    SYNC_MARGIN = timedelta(minutes=5)  # rows stamped this long before the last look are looked at again:
    # a transaction that stamped its rows before the look but committed after it, or another machine's clock

    def __init__(self, hl: Hotline, cache_dir: Path | None = None) -> None:
        self._hl, self._cache_dir = hl, cache_dir
        self._index: KnowledgeIndex | None = None
        self._validity: dict[str, tuple[date | None, date | None]] = {}
        self._versions: dict[str, int] = {}  # published article → the version indexed
        self._looked_at: datetime | None = None  # when the database was last read for changes (its clock)
        self._lock = threading.Lock()

    def index(self) -> KnowledgeIndex:
        """The built index (built, or loaded from the disk cache, on first call), up to date with the changes
        other processes made (the hotline's refresh)."""
        self._hl.refresh()
        with self._lock:
            if self._index is None:
                self._index = self._build()
            return self._index

    def sync(self) -> None:
        """Index what other processes published, edited, retired or imported since the last look (if built)."""
        with self._lock:
            if self._index is not None:
                self._sync(self._index)

    def _look(self) -> datetime:
        now = self._hl.clock.now()
        since, self._looked_at = (self._looked_at or now) - self.SYNC_MARGIN, now
        return since

    def _build(self) -> KnowledgeIndex:
        self._look()
        with self._hl.uow.begin() as tx:
            repo = KnowledgeRepository(tx.conn)
            articles, cases = repo.published(), repo.cases()
        self._validity = {a.id: (a.valid_from, a.valid_to) for a in articles}
        self._versions = {a.id: a.version for a in articles}
        docs = [article_doc(a) for a in articles] + cases
        digest = hashlib.sha256()
        for a in articles:
            digest.update(f"{a.id}\x01{a.version}\x00".encode())
        for c in cases:
            digest.update(f"{c.id}\x00".encode())
        path = self._cache_dir / f"knowledge-{digest.hexdigest()[:24]}.pickle" if self._cache_dir else None
        if path is not None and path.exists():
            try:
                with path.open("rb") as f:
                    index = pickle.load(f)
                if isinstance(index, KnowledgeIndex) and len(index) == len(docs):
                    return index
            except Exception:  # noqa: BLE001 - a damaged cache is rebuilt
                log.warning("knowledge cache %s unreadable: rebuilding", path)
        index = KnowledgeIndex()
        for doc in docs:
            index.add(doc)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        return index

    def _sync(self, index: KnowledgeIndex) -> None:
        since = self._look()
        with self._hl.uow.begin() as tx:
            repo = KnowledgeRepository(tx.conn)
            changed = repo.changed_since(since)
            new_cases = [i for i in repo.case_ids_since(since) if index.get(i) is None]
            cases = repo.cases_by_id(new_cases) if new_cases else []
        for article in changed:
            if article.status == ArticleStatus.PUBLISHED:
                if self._versions.get(article.id) != article.version:
                    self._add(index, article)
            elif article.id in self._versions:
                self._remove(index, article.id)
        for doc in cases:
            index.add(doc)

    def _add(self, index: KnowledgeIndex, article: Article) -> None:
        self._validity[article.id] = (article.valid_from, article.valid_to)
        self._versions[article.id] = article.version
        index.add(article_doc(article))

    def _remove(self, index: KnowledgeIndex, article_id: str) -> None:
        self._validity.pop(article_id, None)
        self._versions.pop(article_id, None)
        index.remove(article_id)

    def published(self, article: Article) -> None:
        """Index (or re-index) a published article, if the index is built; else the build will."""
        with self._lock:
            if self._index is not None:
                self._add(self._index, article)

    def withdrawn(self, article_id: str) -> None:
        with self._lock:
            if self._index is not None:
                self._remove(self._index, article_id)

    def cases_added(self, docs: Iterable[KnowledgeDoc]) -> None:
        with self._lock:
            if self._index is not None:
                for doc in docs:
                    self._index.add(doc)

    def search(self, query: str, k: int = 10, region: str | None = None, unit: str | None = None,
               kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Best matches first, each with what to show: the answer for an article, the source for a case.
        Articles outside their validity period today are left out."""
        index = self.index()
        today = self._hl.clock.now().astimezone(LOCAL_TZ).date()
        results = []
        for hit in index.search(query, k + 10, region=region, unit=unit, kinds=kinds):
            valid_from, valid_to = self._validity.get(hit.doc_id, (None, None))
            if (valid_from and today < valid_from) or (valid_to and today > valid_to):
                continue
            doc = index.get(hit.doc_id)
            assert doc is not None
            results.append({"id": hit.doc_id, "kind": hit.kind, "title": hit.title, "snippet": hit.snippet,
                            "score": hit.score, "matched_terms": list(hit.matched_terms), "answer": doc.body,
                            "unit": doc.unit, "region": doc.region, "source": doc.source})
        return results[:k]


def knowledge_base(hl: Hotline) -> KnowledgeBase:
    """The hotline's shared knowledge base, created on first use (cached on disk under the home folder)."""
    if hl.knowledge is None:
        hl.knowledge = KnowledgeBase(hl, get_settings().home / "cache")
    return hl.knowledge  # type: ignore[no-any-return]


# -- articles ----------------------------------------------------------------------------------------

def _fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"未知字段：{', '.join(sorted(unknown))}", f"unknown fields: {', '.join(sorted(unknown))}")
    out = dict(data)
    for name in ("variants", "tags"):
        if name in out:
            out[name] = [p for p in (clean_text(x) for x in out[name] or []) if p]
    for name in ("question", "answer", "policy_basis", "link"):
        if name in out:
            out[name] = (out[name] or "").strip()
    for name in ("unit", "region"):
        if name in out:
            out[name] = (out[name] or "").strip() or None
    return out


def _repo(tx: Transaction) -> KnowledgeRepository:
    return KnowledgeRepository(tx.conn)


def create_article(hl: Hotline, data: dict[str, Any], actor: Actor, *, from_order: int | None = None,
                   article_id: str | None = None, status: ArticleStatus = ArticleStatus.DRAFT) -> Article:
    """A new article, as a draft (importers with review rights may store it already published)."""
    check_write(actor, "write_knowledge")
    if status != ArticleStatus.DRAFT:
        check_write(actor, "review_knowledge")
    now = hl.clock.now()
    article = Article(id=article_id or f"kb-{uuid.uuid4().hex[:12]}", **{"question": "", "answer": "",
                      **_fields(data)}, status=status, from_order=from_order, created_by=actor.name,
                      created_at=now, updated_by=actor.name, updated_at=now)
    article.validate()
    with hl.uow.begin(write=True) as tx:
        if _repo(tx).existing_ids([article.id]):
            raise RuleViolation(f"条目已存在：{article.id}", f"article already exists: {article.id}")
        _repo(tx).add(article, "create", actor.name, now)
        mark_changed(tx, "knowledge")  # the other processes index it at their next refresh
        tx.audit.record(now, actor.name, "kb.create", "kb_article", article.id, {"status": status.value})
        tx.commit()
    if status == ArticleStatus.PUBLISHED:
        knowledge_base(hl).published(article)
    return article


def _load(tx: Transaction, article_id: str) -> Article:
    article = _repo(tx).get(article_id)
    if article is None:
        raise NotFound("知识条目不存在", "knowledge article not found")
    return article


def edit_article(hl: Hotline, article_id: str, data: dict[str, Any], actor: Actor,
                 expected_version: int | None = None) -> Article:
    """A new version of the article. Drafts may be edited by their author (a unit: its own drafts) and by
    reviewers; reviewed and published articles by reviewers only; a published edit is re-indexed."""
    check_write(actor, "write_knowledge")
    now = hl.clock.now()
    with hl.uow.begin(write=True) as tx:
        article = _load(tx, article_id)
        reviewer = actor.role in REVIEWERS
        editable = EDITABLE_BY_REVIEWERS if reviewer else EDITABLE_BY_ANY_STAFF
        if article.status not in editable:
            raise Forbidden("无权修改该状态的条目", f"you may not edit a {article.status.value} article")
        if is_unit_scoped(actor) and article.created_by != actor.name:
            raise Forbidden("只能修改本人提交的草稿", "units may edit only the drafts they wrote")
        if expected_version is not None and expected_version != article.version:
            raise ConcurrencyConflict("条目已被他人修改，请刷新后重试", "the article was changed by someone else: reload")
        article = replace(article, **_fields(data), version=article.version + 1, updated_by=actor.name,
                          updated_at=now)
        article.validate()
        _repo(tx).save(article, "edit", actor.name, now)
        mark_changed(tx, "knowledge")  # the other processes index it at their next refresh
        tx.audit.record(now, actor.name, "kb.edit", "kb_article", article.id, {"version": article.version})
        tx.commit()
    if article.status == ArticleStatus.PUBLISHED:
        knowledge_base(hl).published(article)
    return article


def change_status(hl: Hotline, article_id: str, action: ArticleAction, actor: Actor, note: str = "") -> Article:
    """Review, reject (back to draft, with a reason), publish or retire: reviewers only."""
    check_write(actor, "review_knowledge")
    if action == ArticleAction.REJECT and not note.strip():
        raise InvalidInput("退回需要说明理由", "a rejection needs a reason")
    now = hl.clock.now()
    with hl.uow.begin(write=True) as tx:
        article = _load(tx, article_id)
        article.move(action)
        article = replace(article, version=article.version + 1, updated_by=actor.name, updated_at=now)
        _repo(tx).save(article, action.value, actor.name, now, note)
        mark_changed(tx, "knowledge")  # the other processes index it at their next refresh
        tx.audit.record(now, actor.name, f"kb.{action.value}", "kb_article", article.id, {"note": note})
        tx.commit()
    kb = knowledge_base(hl)
    if article.status == ArticleStatus.PUBLISHED:
        kb.published(article)
    elif action == ArticleAction.RETIRE:
        kb.withdrawn(article.id)
    return article


def propose_from_order(hl: Hotline, order_id: int, actor: Actor) -> Article:
    """共建共享: a draft article from an order's reply (the question from the appeal, the answer from the
    reply), by anyone who may see the order; reviewers then edit and publish it."""
    check_write(actor, "write_knowledge")
    order, _ = uc.get_order(hl, order_id, actor)
    if not (order.reply_text or "").strip():
        raise RuleViolation("该工单还没有答复，不能据此提交知识条目", "the order has no reply to propose from")
    unit = hl.unit_names().get(order.unit_code or "") if order.unit_code else None
    region = f"{hl.city.name}{order.location.district or ''}" if order.location.district else hl.city.name
    return create_article(hl, {"question": order.title, "variants": [], "answer": order.reply_text,
                               "unit": unit, "region": region, "tags": [order.category] if order.category else []},
                          actor, from_order=order.id)


def get_article(hl: Hotline, article_id: str, actor: Actor | None) -> Article:
    """Published articles are public; the others only for staff."""
    with hl.uow.begin() as tx:
        article = _load(tx, article_id)
    if article.status != ArticleStatus.PUBLISHED and (actor is None or actor.role == Role.CITIZEN):
        raise NotFound("知识条目不存在", "knowledge article not found")
    return article


def get_case(hl: Hotline, case_id: str) -> KnowledgeDoc:
    with hl.uow.begin() as tx:
        case = _repo(tx).get_case(case_id)
    if case is None:
        raise NotFound("案例不存在", "reference case not found")
    return case


def article_versions(hl: Hotline, article_id: str, actor: Actor) -> list[dict[str, Any]]:
    check_write(actor, "write_knowledge")
    with hl.uow.begin() as tx:
        _load(tx, article_id)
        return _repo(tx).versions(article_id)


def list_articles(hl: Hotline, actor: Actor, status: Iterable[str] = (), unit: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[Article], int]:
    check_write(actor, "write_knowledge")
    with hl.uow.begin() as tx:
        return _repo(tx).query(list(status), unit, limit, offset)


# -- import ------------------------------------------------------------------------------------------

def _date(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as e:
        raise InvalidInput(f"无法识别的日期：{text!r}", f"unrecognised date: {text!r}") from e


def _split(value: str | None) -> list[str]:
    return [p for p in (clean_text(x) for x in (value or "").split("|")) if p]


def _article_data(row: dict[str, str]) -> dict[str, Any]:
    return {"question": row["question"], "answer": row["answer"], "variants": _split(row.get("variants")),
            "policy_basis": row.get("policy_basis") or "", "link": row.get("link") or "",
            "unit": row.get("unit"), "region": row.get("region"), "tags": _split(row.get("tags")),
            "valid_from": _date(row.get("valid_from", "")), "valid_to": _date(row.get("valid_to", ""))}


def _cases_from_rows(header: list[str], rows: Iterable[dict[str, str]]) -> list[KnowledgeDoc]:
    """Reference cases from rows in the attachment-4 format, through the one parser of that format."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, header)
            writer.writeheader()
            writer.writerows(rows)
        return load_reference_cases(path)


def import_file(hl: Hotline, path: Path, actor: Actor, progress: Callable[[int], None] | None = None,
                status: ArticleStatus = ArticleStatus.PUBLISHED) -> dict[str, Any]:
    """Import a CSV/XLSX of articles (id, question, variants, answer, policy_basis, link, unit, region,
    tags[, valid_from, valid_to]) or of cases (the attachment-4 format: 留言编号, 留言主题, 留言详情,
    答复意见). Ids already in the base are skipped. `progress(n)` is called as rows are done."""
    check_write(actor, "review_knowledge" if status != ArticleStatus.DRAFT else "write_knowledge")
    header, rows = read_rows(Path(path))
    columns = set(header)
    if columns >= CASE_COLUMNS:
        return _import_cases(hl, _cases_from_rows(header, rows), progress)
    if not columns >= ARTICLE_COLUMNS:
        raise InvalidInput("无法识别的知识库文件：需要 id, question, answer 列，或附件4的留言编号、留言主题、留言详情、答复意见列",
                           "unrecognised knowledge file: needs id, question, answer columns, or the attachment-4 "
                           "columns 留言编号, 留言主题, 留言详情, 答复意见")
    rows = list(rows)
    with hl.uow.begin() as tx:
        existing = _repo(tx).existing_ids(clean_text(r["id"]) for r in rows)
    report = {"format": "articles", "total": len(rows), "imported": 0, "skipped_existing": 0, "rejected": []}
    for number, row in enumerate(rows, start=2):
        article_id = clean_text(row["id"])
        if article_id in existing:
            report["skipped_existing"] += 1
        else:
            try:
                create_article(hl, _article_data(row), actor, article_id=article_id or None, status=status)
                report["imported"] += 1
                existing.add(article_id)
            except InvalidInput as e:
                report["rejected"].append({"row": number, "error": e.message_en})
        if progress:
            progress(1)
    return report


def _import_cases(hl: Hotline, cases: list[KnowledgeDoc], progress: Callable[[int], None] | None) -> dict[str, Any]:
    report = {"format": "cases", "total": len(cases), "imported": 0, "skipped_existing": 0, "rejected": []}
    for start in range(0, len(cases), 500):
        chunk = cases[start:start + 500]
        now = hl.clock.now()
        with hl.uow.begin(write=True) as tx:
            existing = _repo(tx).existing_ids(c.id for c in chunk)
            fresh = [c for c in chunk if c.id not in existing]
            _repo(tx).add_cases(fresh, now)
            mark_changed(tx, "knowledge")  # the other processes index it at their next refresh
            tx.audit.record(now, "import", "kb.import_cases", "kb_case", None, {"count": len(fresh)})
            tx.commit()
        knowledge_base(hl).cases_added(fresh)
        report["imported"] += len(fresh)
        report["skipped_existing"] += len(chunk) - len(fresh)
        if progress:
            progress(len(chunk))
    return report


def load_demo_knowledge(hl: Hotline, actor: Actor, cases: bool = True) -> dict[str, Any]:
    """The demo base: the Guangzhou demo articles (published) and the real reference cases of
    泰迪杯2020 附件4. Idempotent."""
    data = get_settings().data_dir
    result = {"articles": import_file(hl, data / "knowledge" / "guangzhou_articles.csv", actor)}
    if cases:
        result["cases"] = _import_cases(hl, load_reference_cases(), None)
    return result


def counts(hl: Hotline) -> dict[str, int]:
    with hl.uow.begin() as tx:
        return _repo(tx).counts()


def when(at: datetime | None) -> str:
    """A stored time as local minutes, for pages and the CLI."""
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else ""
