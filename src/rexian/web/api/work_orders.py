"""Work-order endpoints: thin translations between HTTP and the use cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from rexian.adapters.db.repositories import COUNT_CAP, OrderFilter
from rexian.domain.workorder import Action, Actor, Caller, WorkOrder
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


@router.get("", response_model=WorkOrdersPublic, responses=ERRORS)
def list_work_orders(
    hl: HotlineDep, actor: CurrentActor,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    f = OrderFilter(status=status or (), unit_codes=[unit] if unit else None, district=district,
                    category=category, overdue=overdue, created_from=created_from, created_to=created_to,
                    text=text, now=hl.clock.now())
    orders, total = uc.list_orders(hl, actor, f, limit, offset)
    return {"items": [present(hl, o, actor) for o in orders], "total": min(total, COUNT_CAP),
            "total_capped": total > COUNT_CAP, "limit": limit, "offset": offset}


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
