"""Knowledge-base endpoints: open search; article CRUD, review and proposals for staff."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from rexian.domain.knowledge import Article, ArticleAction
from rexian.services import knowledge as kb
from rexian.web.deps import CurrentActor, HotlineDep, OptionalActor, citizen_rate_limit

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])


class ArticleUpdate(BaseModel):
    question: str | None = Field(None, max_length=2000)
    variants: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=50)
    answer: str | None = Field(None, max_length=20000)
    policy_basis: str | None = Field(None, max_length=2000)
    link: str | None = Field(None, max_length=500)
    unit: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=64)
    valid_from: date | None = None
    valid_to: date | None = None
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=50)
    expected_version: int | None = None


class ArticleCreate(ArticleUpdate):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)


class StatusChange(BaseModel):
    note: str = Field("", max_length=2000)


class Proposal(BaseModel):
    order_id: int


class ArticlePublic(BaseModel):
    id: str
    question: str
    variants: list[str]
    answer: str
    policy_basis: str
    link: str
    unit: str | None
    region: str | None
    valid_from: date | None
    valid_to: date | None
    tags: list[str]
    status: str
    version: int
    from_order: int | None
    created_by: str
    created_at: datetime | None
    updated_by: str
    updated_at: datetime | None


def public(article: Article) -> dict[str, Any]:
    return {**article.__dict__, "status": article.status.value}


@router.get("/search", dependencies=[Depends(citizen_rate_limit)])
def search(hl: HotlineDep, q: Annotated[str, Query(min_length=1, max_length=500)],
           region: Annotated[str | None, Query(max_length=64)] = None,
           unit: Annotated[str | None, Query(max_length=200)] = None,
           kind: Annotated[list[str] | None, Query(max_length=2)] = None,
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
    """Search published articles and reference cases (open to everyone, rate-limited)."""
    return {"query": q, "items": kb.knowledge_base(hl).search(q, limit, region, unit, kind)}


@router.get("/articles", response_model=dict[str, Any])
def list_articles(hl: HotlineDep, actor: CurrentActor,
                  status: Annotated[list[str] | None, Query(max_length=4)] = None,
                  unit: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    articles, total = kb.list_articles(hl, actor, status or (), unit, limit, offset)
    return {"items": [public(a) for a in articles], "total": total, "limit": limit, "offset": offset}


@router.post("/articles", status_code=201, response_model=ArticlePublic)
def create_article(body: ArticleCreate, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """A new draft article."""
    data = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    return public(kb.create_article(hl, data, actor))


@router.post("/proposals", status_code=201, response_model=ArticlePublic)
def propose(body: Proposal, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """共建共享: a draft article from a work order's reply."""
    return public(kb.propose_from_order(hl, body.order_id, actor))


@router.get("/articles/{article_id}", response_model=ArticlePublic)
def get_article(article_id: str, hl: HotlineDep, actor: OptionalActor) -> dict[str, Any]:
    """A published article (anyone) or any article (staff)."""
    return public(kb.get_article(hl, article_id, actor))


@router.put("/articles/{article_id}", response_model=ArticlePublic)
def edit_article(article_id: str, body: ArticleUpdate, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """A new version of the article (send expected_version to guard against lost updates)."""
    data = body.model_dump(exclude={"expected_version"}, exclude_unset=True)
    return public(kb.edit_article(hl, article_id, data, actor, body.expected_version))


@router.get("/articles/{article_id}/versions")
def versions(article_id: str, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    return {"items": kb.article_versions(hl, article_id, actor)}


@router.post("/articles/{article_id}/{action}", response_model=ArticlePublic)
def change_status(article_id: str, action: ArticleAction, hl: HotlineDep, actor: CurrentActor,
                  body: StatusChange | None = None) -> dict[str, Any]:
    """review, reject (with a note), publish or retire: reviewers only."""
    return public(kb.change_status(hl, article_id, action, actor, body.note if body else ""))


@router.get("/cases/{case_id}")
def get_case(case_id: str, hl: HotlineDep) -> dict[str, Any]:
    case = kb.get_case(hl, case_id)
    return {"id": case.id, "title": case.title, "body": case.body, "source": case.source}
