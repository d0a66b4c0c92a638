"""The unit workbench (/unit), the hotline office (/office), unit performance, the routing rules
(/office/rules), notices, the users (/admin/users) and the audit log (/admin/audit). Routes translate forms
into the use cases; who may open which desk is decided by rexian.domain.access (check_write), the order scope
by the services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from rexian.adapters.db.repositories import COUNT_CAP, OrderFilter
from rexian.domain.access import ACTION_ROLES, check_write, is_unit_scoped
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import DomainError, InvalidInput
from rexian.domain.privacy import mask_phone
from rexian.domain.routing import REVIEW, RoutingRule, rules_from_csv
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import TRANSITIONS, Action, Actor, Status, WorkOrder
from rexian.intelligence.taxonomy import top_level_labels
from rexian.services import auth
from rexian.services import office as svc
from rexian.services import order_export as export
from rexian.services import performance as perf
from rexian.services import routing_rules as rules_svc
from rexian.services import workorders as uc
from rexian.services.context import Hotline
from rexian.services.views import order_view
from rexian.web.api.work_orders import export_response
from rexian.web.i18n import translate
from rexian.web.pages.common import StaffActor, check_csrf, language, render
from rexian.web.pages.home import error_message

router = APIRouter(include_in_schema=False)

UNIT_ACTIONS = (Action.SIGN, Action.PASS_DOWN, Action.REPLY, Action.RETURN, Action.EXTEND, Action.SUSPEND,
                Action.RESUME)
OFFICE_ACTIONS = (Action.DISPATCH, Action.REASSIGN, Action.JOINT_REVIEW, Action.DECIDE, Action.BACKSTOP,
                  Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION, Action.REMIND, Action.SUPERVISE,
                  Action.CALLBACK, Action.MERGE, Action.CLOSE)
DESK_ACTIONS = {"unit": UNIT_ACTIONS, "office": OFFICE_ACTIONS}


def _desk(area: str):  # type: ignore[no-untyped-def]
    def check(actor: StaffActor) -> Actor:
        check_write(actor, area)
        return actor
    return Depends(check)


UnitActor = Annotated[Actor, _desk("unit_desk")]
OfficeActor = Annotated[Actor, _desk("office_desk")]
RulesActor = Annotated[Actor, _desk("manage_rules")]
RULES_FILE_LIMIT = 512 * 1024  # a city's rules file is a few kB


def _hl(request: Request) -> Hotline:
    return request.app.state.hotline


def _view(hl: Hotline, order: WorkOrder, actor: Actor, reveal: bool = False) -> dict[str, Any]:
    return order_view(order, actor, hl.policy(), hl.clock.now(), hl.unit_names(), reveal)


def _page(request: Request, actor: Actor, template: str, **context: Any) -> HTMLResponse:
    hl = _hl(request)
    _, unread = svc.notices(hl, actor)
    return render(request, template, unread=unread, flash=request.session.pop("flash", None), **context)


def _back(back: str, fallback: str) -> str:
    return back if back.startswith("/") and not back.startswith("//") else fallback


# -- the unit workbench ---------------------------------------------------------------------------------

@router.get("/unit", response_class=HTMLResponse)
def unit_inbox(request: Request, actor: UnitActor) -> HTMLResponse:
    hl = _hl(request)
    inbox = svc.unit_inbox(hl, actor)
    return _page(request, actor, "desk_unit.html", orders=[_view(hl, o, actor) for o in inbox.orders], queue=inbox)


@router.get("/unit/orders/{order_id}", response_class=HTMLResponse)
def unit_order(request: Request, order_id: int, actor: UnitActor) -> HTMLResponse:
    return _order_page(request, actor, order_id, "unit")


@router.get("/office/orders/{order_id}", response_class=HTMLResponse)
def office_order(request: Request, order_id: int, actor: Annotated[Actor, _desk("view_orders")],
                 reveal: bool = False) -> HTMLResponse:
    return _order_page(request, actor, order_id, "office", reveal)


def _order_page(request: Request, actor: Actor, order_id: int, area: str, reveal: bool = False) -> HTMLResponse:
    hl = _hl(request)
    page = svc.order_page(hl, actor, order_id)
    view = _view(hl, page.order, actor, reveal=area == "unit")  # order_page audited the unit's read
    if area == "office":  # masked until the office user asks; the read is audited
        caller = svc.reveal_caller(hl, actor, order_id) if reveal else None
        view["caller"]["phone"] = caller.phone if caller else mask_phone(page.order.caller.phone)
    allowed = [a for a in DESK_ACTIONS[area] if actor.role in ACTION_ROLES[a]
               and page.order.status in TRANSITIONS[a].sources]
    names = hl.unit_names()
    returns = [e for e in page.events if e["action"] == Action.RETURN.value]
    return _page(request, actor, "desk_order.html", area=area, order=view, events=page.events,
                 attachments=page.attachments, related=[_view(hl, o, actor) for o in page.related],
                 allowed=[a.value for a in allowed], unit_names=names, last_return=returns[-1] if returns else None,
                 below=svc.units_below(hl, page.order.unit_code) if area == "unit" else [],
                 templates=svc.templates_for(hl, actor) if area == "unit" else [], revealed=reveal, tz=LOCAL_TZ)


@router.post("/desk/orders/{order_id}/act/{action}")
def act(request: Request, order_id: int, action: Action, actor: StaffActor,
        csrf: Annotated[str, Form(max_length=100)], back: Annotated[str, Form(max_length=300)] = "/",
        version: Annotated[int | None, Form()] = None,
        reason: Annotated[str, Form(max_length=4000)] = "", legal_basis: Annotated[str, Form(max_length=1000)] = "",
        unit_code: Annotated[str, Form(max_length=64)] = "", units: Annotated[list[str] | None, Form()] = None,
        text: Annotated[str, Form(max_length=8000)] = "", working_days: Annotated[int, Form(ge=0, le=60)] = 0,
        satisfaction: Annotated[str, Form(max_length=32)] = "", note: Annotated[str, Form(max_length=2000)] = "",
        master_id: Annotated[int | None, Form()] = None) -> Response:
    """Every order action of both desks: one use case (services.workorders.perform) per form."""
    check_csrf(request, csrf)
    payload = {k: v for k, v in {"reason": reason, "legal_basis": legal_basis, "unit_code": unit_code,
                                 "units": units, "text": text, "working_days": working_days, "note": note,
                                 "satisfaction": satisfaction, "master_id": master_id}.items() if v}
    try:
        if action == Action.CALLBACK and satisfaction not in ("satisfied", "basically_satisfied", "unsatisfied"):
            raise InvalidInput("请选择满意度", "choose the satisfaction")
        uc.perform(_hl(request), order_id, action, actor, payload, version)
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
    return RedirectResponse(_back(back, "/"), status_code=303)


@router.post("/desk/orders/{order_id}/attachments")
def upload(request: Request, order_id: int, actor: StaffActor, csrf: Annotated[str, Form(max_length=100)],
           file: Annotated[UploadFile, File()], back: Annotated[str, Form(max_length=300)] = "/") -> Response:
    check_csrf(request, csrf)
    data = file.file.read(svc.MAX_ATTACHMENT_BYTES + 1)
    try:
        svc.add_attachment(_hl(request), actor, order_id, file.filename or "", data)
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
    return RedirectResponse(_back(back, "/"), status_code=303)


@router.get("/desk/attachments/{attachment_id}")
def download(request: Request, attachment_id: int, actor: StaffActor) -> Response:
    meta, path = svc.open_attachment(_hl(request), actor, attachment_id)
    return FileResponse(path, media_type=meta["content_type"], filename=meta["filename"])


@router.get("/unit/templates", response_class=HTMLResponse)
def templates_page(request: Request, actor: UnitActor) -> HTMLResponse:
    return _page(request, actor, "desk_templates.html", templates=svc.templates_for(_hl(request), actor))


@router.post("/unit/templates")
def save_template(request: Request, actor: StaffActor, csrf: Annotated[str, Form(max_length=100)],
                  title: Annotated[str, Form(max_length=200)], body: Annotated[str, Form(max_length=8000)],
                  template_id: Annotated[int | None, Form()] = None, delete: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    hl = _hl(request)
    if delete and template_id:
        svc.delete_template(hl, actor, template_id)
    else:
        svc.save_template(hl, actor, title, body, template_id)
    return RedirectResponse("/unit/templates", status_code=303)


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, actor: StaffActor) -> HTMLResponse:
    items, _ = svc.notices(_hl(request), actor)
    return _page(request, actor, "desk_notices.html", items=items)


@router.post("/notices/read")
def notices_read(request: Request, actor: StaffActor, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    check_csrf(request, csrf)
    svc.mark_notices_read(_hl(request), actor)
    return RedirectResponse("/notices", status_code=303)


# -- the hotline office -------------------------------------------------------------------------------

@router.get("/office", response_class=HTMLResponse)
def office(request: Request, actor: OfficeActor) -> HTMLResponse:
    hl = _hl(request)
    queues = svc.office_queues(hl, actor)
    return _page(request, actor, "desk_office.html", queues=queues, views={
        name: [_view(hl, o, actor) for o in queue.orders] for name, queue in queues.items()})


@router.post("/office/sweep")
def office_sweep(request: Request, actor: OfficeActor, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    """Run the deadline sweep now: reminders and supervision for late orders, reminders near the deadline."""
    check_csrf(request, csrf)
    check_write(actor, "sweep")
    hl = _hl(request)
    counts = uc.sweep_deadlines(hl)
    request.session["flash"] = f"sign {counts['sign']} · reply {counts['reply']} · yellow {counts['yellow']}"
    return RedirectResponse("/office", status_code=303)


def _period(start: date | None, end: date | None, hl: Hotline) -> tuple[date, date]:
    today = hl.clock.now().astimezone(LOCAL_TZ).date()
    end = end or today
    return start or end - timedelta(days=29), end


@router.get("/office/performance", response_class=HTMLResponse)
def performance_page(request: Request, actor: OfficeActor, start: date | None = None,
                     end: date | None = None) -> HTMLResponse:
    hl = _hl(request)
    start, end = _period(start, end, hl)
    rows = [p.as_dict() for p in perf.unit_performance(hl, actor, start, end)]
    return _page(request, actor, "desk_performance.html", rows=rows, start=start, end=end)


@router.get("/office/performance.xlsx")
def performance_xlsx(request: Request, actor: OfficeActor, start: date | None = None,
                     end: date | None = None) -> Response:
    hl = _hl(request)
    start, end = _period(start, end, hl)
    content = perf.performance_xlsx(perf.unit_performance(hl, actor, start, end), start, end)
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="performance-{start}-{end}.xlsx"'})


# -- 工单查询: find orders by code, words, caller phone, status, place and time; take them away as CSV or Excel --

SearchActor = Annotated[Actor, _desk("search_orders")]
SEARCH_PAGE = 50


def _search_filter(hl: Hotline, params: Mapping[str, str], statuses: list[str]) -> OrderFilter:
    """The search form's fields (all optional, empty meaning any) as a filter."""
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(params[name]) if params.get(name) else None
        except ValueError:
            raise InvalidInput(f"日期格式应为YYYY-MM-DD：{params[name][:20]}",
                               f"dates are YYYY-MM-DD: {params[name][:20]}") from None

    return export.search_filter(hl.clock.now(), text=params.get("text", "")[:200], phone=params.get("phone", "")[:40],
                                statuses=statuses, district=params.get("district", "")[:64],
                                unit=params.get("unit", "")[:64], category=params.get("category", "")[:200],
                                overdue={"yes": True, "no": False}.get(
                                    params.get("overdue", "")), first=day("from"), last=day("to"))


@router.get("/orders", response_class=HTMLResponse)
def search_page(request: Request, actor: SearchActor, status: Annotated[list[str] | None, Query()] = None,
                offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    hl = _hl(request)
    params = dict(request.query_params)
    orders, total, error, searched = [], 0, None, True
    try:
        f = _search_filter(hl, params, status or [])
        searched = f != OrderFilter(now=f.now)  # an empty form lists nothing
        if searched:
            found, total = uc.list_orders(hl, actor, f, SEARCH_PAGE, offset)
            orders = [_view(hl, o, actor) for o in found]
    except DomainError as e:
        error = error_message(request, e)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "offset"])
    return _page(request, actor, "desk_search.html", orders=orders, total=total, capped=total > COUNT_CAP, cap=COUNT_CAP,
                 offset=offset, page=SEARCH_PAGE, params=params, chosen=status or [], query=query, searched=searched,
                 statuses=list(Status), names=hl.unit_names(), error=error, categories=top_level_labels(),
                 area="unit" if is_unit_scoped(actor) else "office")


@router.get("/orders/export.{kind}")
def search_export(request: Request, kind: Literal["csv", "xlsx"], actor: SearchActor,
                  status: Annotated[list[str] | None, Query()] = None) -> Response:
    """The search's orders as a file (at most EXPORT_CAP, the newest), in the reader's language; audited."""
    hl, lang = _hl(request), language(request)
    try:
        done = export.export_orders(hl, actor, _search_filter(hl, dict(request.query_params), status or []))
    except DomainError as error:  # back to the search, which says what is wrong
        request.session["flash"] = error_message(request, error)
        return RedirectResponse(f"/orders?{request.url.query}", status_code=303)
    return export_response(hl, done, kind, lambda vocabulary, value: translate(f"{vocabulary}.{value}", lang))


# -- routing rules (派单规则): see what a new rules file would do, then put it in force -----------------------

@router.get("/office/rules", response_class=HTMLResponse)
def rules_page(request: Request, actor: RulesActor) -> HTMLResponse:
    hl = _hl(request)
    return _page(request, actor, "desk_rules.html", rules=rules_svc.list_rules(hl), names=hl.unit_names())


@router.post("/office/rules/try", response_class=HTMLResponse)
def rules_try(request: Request, actor: RulesActor, csrf: Annotated[str, Form(max_length=100)],
              file: Annotated[UploadFile, File()]) -> Response:
    """The uploaded rules tried on the newest orders (nothing changes), with a button to put them in force."""
    check_csrf(request, csrf)
    hl = _hl(request)
    try:
        text, proposed = _rules_file(file.file.read(RULES_FILE_LIMIT + 1))
        impact = rules_svc.rule_impact(hl, proposed, actor)
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
        return RedirectResponse("/office/rules", status_code=303)
    names = {**hl.unit_names(), REVIEW: translate("desk.queue.review", language(request))}
    return _page(request, actor, "desk_rules.html", rules=rules_svc.list_rules(hl), names=names, impact=impact,
                 proposed=proposed, proposed_csv=text, filename=file.filename or "")


@router.post("/office/rules/apply")
def rules_apply(request: Request, actor: RulesActor, csrf: Annotated[str, Form(max_length=100)],
                rules_csv: Annotated[str, Form(max_length=RULES_FILE_LIMIT)]) -> Response:
    check_csrf(request, csrf)
    try:
        n = rules_svc.replace_rules(_hl(request), _rules_file(rules_csv.encode())[1], actor)
        request.session["flash"] = f"{n} rules in force" if language(request) == "en" else f"已启用 {n} 条规则"
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
    return RedirectResponse("/office/rules", status_code=303)


def _rules_file(data: bytes) -> tuple[str, list[RoutingRule]]:
    """A rules file's text and rules; one too large, not UTF-8 or not in the rules' CSV form is an InvalidInput."""
    if len(data) > RULES_FILE_LIMIT:
        raise InvalidInput("规则文件过大", f"the rules file is larger than {RULES_FILE_LIMIT // 1024} kB")
    try:
        text = data.decode("utf-8-sig")
        return text, rules_from_csv(text)
    except (UnicodeDecodeError, KeyError, ValueError) as e:
        raise InvalidInput("规则文件格式有误：请上传从本页导出的CSV（UTF-8）",
                           f"bad rules file ({e.__class__.__name__}): upload a CSV as exported here (UTF-8)") from e


# -- users: stop someone who left, revoke a leaked token ----------------------------------------------------

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, actor: Annotated[Actor, _desk("manage_users")]) -> HTMLResponse:
    hl = _hl(request)
    return _page(request, actor, "desk_users.html", users=auth.list_users(hl, actor), names=hl.unit_names(),
                 roles=STAFF_ROLES)


STAFF_ROLES = [r for r in Role if r != Role.CITIZEN]


@router.post("/admin/users")
def user_add(request: Request, actor: Annotated[Actor, _desk("manage_users")],
             csrf: Annotated[str, Form(max_length=100)], name: Annotated[str, Form(max_length=100)],
             role: Annotated[Role, Form()], unit_code: Annotated[str, Form(max_length=64)] = "",
             password: Annotated[str, Form(max_length=200)] = "") -> Response:
    """A new user with a role (a unit for unit staff) and a log-in password; systems get a token from the CLI."""
    check_csrf(request, csrf)
    try:
        auth.add_user(_hl(request), name, role, actor, unit_code.strip() or None, password or None)
        request.session["flash"] = f"{name} ({role.value})"
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{change}")
def user_change(request: Request, change: Literal["deactivate", "activate", "revoke"],
                actor: Annotated[Actor, _desk("manage_users")], csrf: Annotated[str, Form(max_length=100)],
                name: Annotated[str, Form(max_length=100)]) -> Response:
    """Deactivate or activate a user, or revoke every API token of theirs."""
    check_csrf(request, csrf)
    hl = _hl(request)
    try:
        if change == "revoke":
            n = auth.revoke_tokens(hl, name, actor)
            done = (f"已吊销{name}的{n}个令牌", f"{n} token(s) of {name} revoked")
        else:
            auth.set_active(hl, name, change == "activate", actor)
            done = (f"{name}已{'启用' if change == 'activate' else '停用'}", f"{name} {change}d")
        request.session["flash"] = done[language(request) == "en"]
    except DomainError as error:
        request.session["flash"] = error_message(request, error)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: StaffActor, who: str | None = None, action: str | None = None,
               offset: int = 0) -> HTMLResponse:
    entries, total = svc.audit_log(_hl(request), actor, who or None, action or None, 100, max(offset, 0))
    return _page(request, actor, "desk_audit.html", entries=entries, total=total, offset=offset, who=who or "",
                 action=action or "")
