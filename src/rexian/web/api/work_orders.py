"""Work-order endpoints: thin translations between HTTP and the use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from rexian.adapters.db.repositories import COUNT_CAP, OrderFilter
from rexian.domain.clock import LOCAL_TZ, zoned
from rexian.domain.workorder import Action, Actor, Caller, WorkOrder
from rexian.services import order_export as export
from rexian.services import workorders as uc
from rexian.services.context import Hotline
from rexian.services.views import order_view
from rexian.web.api.schemas import (
    ActionIn,
    EventPublic,
    WorkOrderCreate,
    WorkOrderPublic,
    WorkOrdersPublic,
)
from rexian.web.deps import CITIZEN, CurrentActor, HotlineDep, OptionalActor, citizen_rate_limit

router = APIRouter(prefix="/api/v1/work-orders", tags=["work orders"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "authentication required"}, 403: {"description": "forbidden"},
    404: {"description": "not found"}, 409: {"description": "illegal move or stale version"},
    422: {"description": "invalid fields"},
}


def present(hl: Hotline, order: WorkOrder, actor: Actor, reveal: bool = False) -> dict[str, Any]:
    """The order as `actor` may see it; the full caller phone only on the audited single read."""
    return order_view(order, actor, hl.policy(), hl.clock.now(), hl.unit_names(), reveal)


def _file(hl: Hotline, intake: uc.AppealIntake, actor: Actor, idempotency_key: str | None
          ) -> tuple[dict[str, Any], bool]:
    """File the appeal and present its order (both touch the database: run in the thread pool)."""
    order, created = uc.file_appeal(hl, intake, actor, idempotency_key)
    return present(hl, order, actor), created


@router.post("", status_code=201, response_model=WorkOrderPublic, responses=ERRORS,
             dependencies=[Depends(citizen_rate_limit)])
async def create_work_order(body: WorkOrderCreate, hl: HotlineDep, actor: OptionalActor, response: Response,
                            idempotency_key: Annotated[str | None, Header(max_length=200)] = None
                            ) -> dict[str, Any]:
    """File an appeal (受理). Open to citizens (rate-limited); staff file with their token.
    The order comes back already dispatched, or queued for review, with the router's explanation."""
    # async so that FastAPI checks the response here: the blocking work is the one trip to the thread pool
    intake = uc.AppealIntake(
        content=body.content, title=body.title, channel=body.channel, appeal_type=body.appeal_type,
        urgency=body.urgency, caller=Caller(**body.caller.model_dump()), address=body.address,
        lat=body.location.lat if body.location else None, long=body.location.long if body.location else None,
    )
    view, created = await run_in_threadpool(_file, hl, intake, actor or CITIZEN, idempotency_key)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/work-orders/{view['id']}"
    return view


def order_filter(
    hl: HotlineDep,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
    created_from: Annotated[datetime | None, Query(description="received at or after (local time if no zone)")] = None,
    created_to: Annotated[datetime | None, Query(description="received before (local time if no zone)")] = None,
    text: Annotated[str | None, Query(max_length=200, description="the order code, or words in title or content")
                    ] = None,
    phone: Annotated[str | None, Query(max_length=40, description="the caller's phone (hotline staff; audited)")
                     ] = None,
    sort: Annotated[Literal["newest", "deadline"], Query(
        description="newest first, or the nearest deadline first (sign-for while dispatched, then reply)")
                    ] = "newest",
) -> OrderFilter:
    return OrderFilter(status=status or (), unit_codes=[unit] if unit else None, district=district,
                       category=category, overdue=overdue, created_from=zoned(created_from),
                       created_to=zoned(created_to), text=text, phone=phone.strip() if phone else None,
                       most_urgent_first=sort == "deadline", now=hl.clock.now())


OrderQuery = Annotated[OrderFilter, Depends(order_filter)]


@router.get("", response_model=WorkOrdersPublic, responses=ERRORS)
def list_work_orders(
    hl: HotlineDep, actor: CurrentActor, f: OrderQuery,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    orders, total = uc.list_orders(hl, actor, f, limit, offset)
    return {"items": [present(hl, o, actor) for o in orders], "total": min(total, COUNT_CAP),
            "total_capped": total > COUNT_CAP, "limit": limit, "offset": offset}


EXPORT_TYPES = {"csv": ("text/csv; charset=utf-8", export.export_csv),
                "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export.export_xlsx)}


@router.get("/export", response_class=Response, responses={
    **ERRORS, 200: {"description": "the orders as CSV (UTF-8 with BOM) or Excel; X-Export-Truncated: true when "
                    f"more than {export.EXPORT_CAP} matched (the newest are exported)",
                    "content": {t: {} for t, _ in EXPORT_TYPES.values()}}})
def export_work_orders(hl: HotlineDep, actor: CurrentActor, f: OrderQuery,
                       format: Literal["csv", "xlsx"] = "xlsx") -> Response:
    """工单导出: the orders matching the filters (as the list takes them) that the caller may see, phones
    masked; every export is audited."""
    return export_response(hl, export.export_orders(hl, actor, f), format)


def export_response(hl: Hotline, done: export.Export, kind: Literal["csv", "xlsx"],
                    label: export.Label = export.as_is) -> Response:
    """An export as a file to download, named by the local time; X-Export-Truncated says whether it was cut."""
    media_type, write = EXPORT_TYPES[kind]
    stamp = hl.clock.now().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    return Response(write(done, label), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="orders-{stamp}.{kind}"',
        "X-Export-Truncated": "true" if done.truncated else "false"})


@router.get("/{order_id}", response_model=WorkOrderPublic, responses=ERRORS)
def get_work_order(order_id: int, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    order, _ = uc.get_order(hl, order_id, actor, shows_caller=True)
    return present(hl, order, actor, reveal=True)


@router.get("/{order_id}/events", response_model=list[EventPublic], responses=ERRORS)
def get_work_order_events(order_id: int, hl: HotlineDep, actor: CurrentActor) -> list[dict[str, Any]]:
    _, events = uc.get_order(hl, order_id, actor)
    return events


@router.post("/{order_id}/actions/{action}", response_model=WorkOrderPublic, responses=ERRORS)
def act_on_work_order(order_id: int, action: Action, body: ActionIn, hl: HotlineDep, actor: CurrentActor,
                      if_match: Annotated[str | None, Header(max_length=20, pattern=r'^"?\d+"?$')] = None
                      ) -> dict[str, Any]:
    """Carry out one transition (dispatch, sign, pass-down, reply, return, reassign, joint-review, decide,
    backstop, extend, approve-extension, reject-extension, suspend, resume, remind, supervise, callback,
    reopen, merge, withdraw, close, answer, transfer). 409 for an illegal move or a stale version."""
    expected = body.expected_version or (int(if_match.strip('"')) if if_match else None)
    payload = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    if "satisfaction" in payload:
        payload["satisfaction"] = body.satisfaction.value if body.satisfaction else None
    order = uc.perform(hl, order_id, action, actor, payload, expected)
    return present(hl, order, actor)
