"""Knowledge-base pages: search and read (everyone); write, propose and review (staff)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rexian.domain.errors import DomainError, InvalidInput
from rexian.domain.knowledge import ArticleAction, ArticleStatus
from rexian.services import knowledge as kb
from rexian.web.pages.common import StaffActor, check_csrf, render, session_actor
from rexian.web.pages.home import error_message, error_status, limit_public

router = APIRouter(prefix="/kb", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def search(request: Request, q: str = "", region: str = "", unit: str = "") -> HTMLResponse:
    q = q.strip()[:500]
    if q:
        limit_public(request)
    results = kb.knowledge_base(request.app.state.hotline).search(q, 20, region or None, unit or None) if q else []
    return render(request, "kb_search.html", q=q, region=region, unit=unit, results=results)


def _missing(request: Request, error: DomainError) -> HTMLResponse:
    """An article or case that cannot be shown, as a page (not the API's JSON error)."""
    return render(request, "kb_article.html", status_code=error_status(error), article=None,
                  error=error_message(request, error))


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, article_id: str) -> HTMLResponse:
    hl, actor = request.app.state.hotline, session_actor(request)
    try:
        found = kb.get_article(hl, article_id, actor)
        history = kb.article_versions(hl, article_id, actor) if actor else []
    except DomainError as e:
        return _missing(request, e)
    return render(request, "kb_article.html", article=found, history=history, when=kb.when)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: str) -> HTMLResponse:
    try:
        found = kb.get_case(request.app.state.hotline, case_id)
    except DomainError as e:
        return _missing(request, e)
    return render(request, "kb_case.html", case=found)


def _editor(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(request, "kb_edit.html", status_code=status_code, **context)


@router.get("/new", response_class=HTMLResponse)
def new(request: Request, actor: StaffActor) -> HTMLResponse:
    return _editor(request, article=None, form={})


@router.get("/articles/{article_id}/edit", response_class=HTMLResponse)
def edit(request: Request, article_id: str, actor: StaffActor) -> HTMLResponse:
    try:
        found = kb.get_article(request.app.state.hotline, article_id, actor)
    except DomainError as e:
        return _missing(request, e)
    return _editor(request, article=found, form=found.__dict__)


def _data(form: dict[str, str]) -> dict[str, Any]:
    def day(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError as e:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD") from e

    lines = lambda text: [x for x in (text or "").splitlines() if x.strip()]  # noqa: E731
    return {"question": form["question"], "answer": form["answer"], "variants": lines(form["variants"]),
            "policy_basis": form["policy_basis"], "link": form["link"], "unit": form["unit"],
            "region": form["region"], "tags": [t for t in form["tags"].replace("，", ",").split(",") if t.strip()],
            "valid_from": day(form["valid_from"]), "valid_to": day(form["valid_to"])}


@router.post("/save", response_class=HTMLResponse)
def save(request: Request, actor: StaffActor, csrf: Annotated[str, Form(max_length=100)],
         question: Annotated[str, Form(max_length=2000)], answer: Annotated[str, Form(max_length=20000)],
         article_id: Annotated[str, Form(max_length=64)] = "", version: Annotated[int | None, Form()] = None,
         variants: Annotated[str, Form(max_length=10000)] = "", policy_basis: Annotated[str, Form(max_length=2000)] = "",
         link: Annotated[str, Form(max_length=500)] = "", unit: Annotated[str, Form(max_length=200)] = "",
         region: Annotated[str, Form(max_length=64)] = "", tags: Annotated[str, Form(max_length=1000)] = "",
         valid_from: Annotated[str, Form(max_length=10)] = "", valid_to: Annotated[str, Form(max_length=10)] = "",
         ) -> Response:
    """Create a draft, or store the next version of an article."""
    check_csrf(request, csrf)
    form = {"question": question, "answer": answer, "variants": variants, "policy_basis": policy_basis,
            "link": link, "unit": unit, "region": region, "tags": tags, "valid_from": valid_from,
            "valid_to": valid_to}
    hl = request.app.state.hotline
    try:
        data = _data(form)
        saved = (kb.edit_article(hl, article_id, data, actor, version) if article_id
                 else kb.create_article(hl, data, actor))
    except DomainError as e:
        try:
            found = kb.get_article(hl, article_id, actor) if article_id else None
        except DomainError as missing:
            return _missing(request, missing)
        return _editor(request, error_status(e), article=found, form={**form, "raw": True}, error=error_message(request, e))
    return RedirectResponse(f"/kb/articles/{saved.id}", status_code=303)


@router.post("/propose", response_class=HTMLResponse)
def propose(request: Request, actor: StaffActor, csrf: Annotated[str, Form(max_length=100)],
            order_id: Annotated[int, Form()]) -> Response:
    """共建共享: a draft from an order's reply, opened in the editor."""
    check_csrf(request, csrf)
    try:
        draft = kb.propose_from_order(request.app.state.hotline, order_id, actor)
    except DomainError as e:
        return render(request, "kb_review.html", status_code=error_status(e), articles=[], error=error_message(request, e))
    return RedirectResponse(f"/kb/articles/{draft.id}/edit", status_code=303)


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, actor: StaffActor) -> HTMLResponse:
    """Drafts and reviewed articles waiting for a reviewer."""
    try:
        articles, _ = kb.list_articles(request.app.state.hotline, actor,
                                       [ArticleStatus.DRAFT.value, ArticleStatus.REVIEWED.value], limit=200)
    except DomainError as e:
        return render(request, "kb_review.html", status_code=error_status(e), articles=[], error=error_message(request, e))
    return render(request, "kb_review.html", articles=articles, when=kb.when)


@router.post("/articles/{article_id}/{action}", response_class=HTMLResponse)
def change(request: Request, article_id: str, action: ArticleAction, actor: StaffActor,
           csrf: Annotated[str, Form(max_length=100)], note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_csrf(request, csrf)
    try:
        kb.change_status(request.app.state.hotline, article_id, action, actor, note)
    except DomainError as e:
        return render(request, "kb_review.html", status_code=error_status(e), articles=[], error=error_message(request, e))
    return RedirectResponse("/kb/review", status_code=303)
