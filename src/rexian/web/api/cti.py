"""The CTI API a switch drives: events in, routing decisions out (HTTP and WebSocket); live service
levels, history and the caller's orders for the desk. Vocabulary and examples in docs/cti.md."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from rexian.domain.access import check_write
from rexian.domain.errors import Forbidden
from rexian.services.auth import actor_for_token
from rexian.services.callcentre import CtiService, caller_history, cti_service, parse_time
from rexian.web.deps import CurrentActor, HotlineDep
from rexian.web.errors import error_body

router = APIRouter(prefix="/api/v1/cti", tags=["cti"])


def _service(request: Request | WebSocket) -> CtiService:
    return cti_service(request.app.state, request.app.state.hotline)


@router.post("/events", summary="Report one CTI event or a batch; answers with the routing decisions")
def post_events(request: Request, actor: CurrentActor,
                body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()]) -> Any:
    single = isinstance(body, dict)
    results = _service(request).handle(actor, [body] if single else body)
    if not single:
        return {"results": results, "decisions": [d for r in results for d in r.get("decisions", [])]}
    result = results[0]
    if "error" in result:
        return JSONResponse(error_body(result["error"], result["message"], result["message_en"]),
                            status_code=result["status"])
    return result


@router.websocket("/ws")
async def events_socket(websocket: WebSocket, token: Annotated[str | None, Query()] = None) -> None:
    """Events in (an object or a list per message), `{"results", "decisions"}` out; decisions made
    by background ticks are pushed as `{"type": "tick", "decisions": [...]}`."""
    hl = websocket.app.state.hotline
    header = websocket.headers.get("authorization", "")
    credential = token or (header[7:] if header.lower().startswith("bearer ") else None)
    actor = await run_in_threadpool(actor_for_token, hl, credential) if credential else None
    try:
        if actor is None:
            raise Forbidden("需要有效的令牌", "a valid token is required")
        check_write(actor, "drive_cti")
    except Forbidden:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    service = _service(websocket)
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    unsubscribe = service.subscribe(
        lambda decisions: loop.call_soon_threadsafe(outbox.put_nowait, {"type": "tick", "decisions": decisions}))

    async def send() -> None:
        while True:
            await websocket.send_json(await outbox.get())

    sender = asyncio.create_task(send())
    try:
        while True:
            text = await websocket.receive_text()
            try:
                message = json.loads(text)
            except ValueError:
                message = None
            events = message if isinstance(message, list) else [message]
            results = await run_in_threadpool(service.handle, actor, events)
            await outbox.put({"type": "results", "results": results,
                              "decisions": [d for r in results for d in r.get("decisions", [])]})
    except WebSocketDisconnect:
        pass
    finally:
        unsubscribe()
        sender.cancel()


@router.get("/snapshot", summary="Live service levels: waiting, agents by state, 15-s rate, connection rate")
def snapshot(request: Request, actor: CurrentActor) -> dict[str, Any]:
    return _service(request).snapshot(actor)


@router.get("/history", summary="Offered, answered, abandoned, ASA, AHT, ACW per hour or day, per skill or agent")
def history(request: Request, actor: CurrentActor, period: Literal["hour", "day"] = "hour",
            by: Literal["skill", "agent"] = "skill") -> dict[str, Any]:
    return {"period": period, "by": by, "rows": _service(request).history(actor, period, by)}


@router.get("/calls", summary="Call detail records: each call offered in [since, until) as the centre recorded it")
def calls(request: Request, actor: CurrentActor, since: str | None = None, until: str | None = None
          ) -> dict[str, Any]:
    start, end = (parse_time(t) if t else None for t in (since, until))
    return {"calls": _service(request).calls(actor, start, end)}


@router.get("/callers/{number}", summary="A caller's orders by phone (masked for units)")
def caller(hl: HotlineDep, actor: CurrentActor,
           number: Annotated[str, Path(pattern=r"^\+?[0-9-]{3,20}$")]) -> dict[str, Any]:
    return caller_history(hl, actor, number)
