"""Knowledge articles (知识库条目): their review lifecycle as data plus one guarded move.

An article is written as a draft (by hotline staff, or proposed by a unit from its reply to an
appeal: 共建共享), checked by a reviewer, published (then every agent, the self-service Q&A and the
portal answer from it) and finally retired. Every edit is a new version; the history is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rexian.domain.errors import IllegalTransition, InvalidInput


class ArticleStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    REVIEWED = "reviewed"  # 已审核
    PUBLISHED = "published"  # 已发布
    RETIRED = "retired"  # 已下线


class ArticleAction(StrEnum):
    REVIEW = "review"
    REJECT = "reject"  # back to draft, with a reason
    PUBLISH = "publish"
    RETIRE = "retire"


A = ArticleStatus
ARTICLE_TRANSITIONS: dict[ArticleAction, tuple[frozenset[ArticleStatus], ArticleStatus]] = {
    ArticleAction.REVIEW: (frozenset({A.DRAFT}), A.REVIEWED),
    ArticleAction.REJECT: (frozenset({A.REVIEWED}), A.DRAFT),
    ArticleAction.PUBLISH: (frozenset({A.REVIEWED}), A.PUBLISHED),
    ArticleAction.RETIRE: (frozenset({A.DRAFT, A.REVIEWED, A.PUBLISHED}), A.RETIRED),
}
EDITABLE_BY_ANY_STAFF = frozenset({A.DRAFT})  # reviewers may also edit reviewed and published articles
EDITABLE_BY_REVIEWERS = frozenset({A.DRAFT, A.REVIEWED, A.PUBLISHED})


@dataclass
class Article:
    """One knowledge article, as of its current version."""

    id: str
    question: str
    answer: str
    variants: list[str] = field(default_factory=list)
    policy_basis: str = ""
    link: str = ""
    unit: str | None = None  # the responsible unit (name)
    region: str | None = None  # None: applies everywhere; 广州市 covers 广州市天河区
    valid_from: date | None = None
    valid_to: date | None = None
    tags: list[str] = field(default_factory=list)
    status: ArticleStatus = ArticleStatus.DRAFT
    version: int = 1
    from_order: int | None = None  # the work order whose reply this article was proposed from
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    def validate(self) -> None:
        if not self.question.strip():
            raise InvalidInput("问题不能为空", "question is required")
        if not self.answer.strip():
            raise InvalidInput("答案不能为空", "answer is required")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise InvalidInput("有效期结束早于开始", "valid_to is before valid_from")

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def move(self, action: ArticleAction) -> ArticleStatus:
        """Apply a lifecycle action; raise IllegalTransition if the status does not allow it."""
        sources, target = ARTICLE_TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition(f"条目当前状态为“{self.status.value}”，不能执行“{action.value}”",
                                    f"article is {self.status.value}: cannot {action.value}")
        self.status = target
        return target
