"""Call endpoints of the agent desk: thin translations to rexian.services.calls, and the draft stream."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rexian.services import calls as desk
from rexian.web.api.work_orders import ERRORS, present
from rexian.web.deps import CurrentActor, HotlineDep

router = APIRouter(prefix="/api/v1/calls", tags=["agent desk"])
STREAM_POLL_S = 0.1  # how often a stream looks at this process's drafts
STREAM_LOOK_S = 1.0  # how often it looks at the stored call, for changes made on another process


class CallStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller_number: Annotated[str | None, Field(max_length=40, pattern=r"^\+?[0-9\-]{3,40}$")] = None
    elderly: bool = False  # the switch flags the elderly line or a registered older caller


class UtteranceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker: Literal["caller", "agent"]
    text: Annotated[str, Field(min_length=1, max_length=desk.TEXT_LIMIT)]
    at: datetime | None = None


class UtterancesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    utterances: Annotated[list[UtteranceIn], Field(min_length=1, max_length=200)]


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    merchant: str | None = None
    appeal_type: str | None = None
    urgency: str | None = None
    category: str | None = None
    content: str | None = None
    title: str | None = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Annotated[str | None, Field(max_length=4000)] = None
    article_id: Annotated[str | None, Field(max_length=200)] = None


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Literal["110", "119", "120", "122"]
    reason: Annotated[str | None, Field(max_length=500)] = None


@router.post("", status_code=201, responses=ERRORS)
def start_call(body: CallStart, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """A call is picked up: the draft so far (empty) and the caller's previous orders by phone."""
    return desk.start_call(hl, actor, body.caller_number, body.elderly)


@router.post("/{call_id}/utterances", responses=ERRORS)
def add_utterances(call_id: int, body: UtterancesIn | UtteranceIn, hl: HotlineDep, actor: CurrentActor
                   ) -> dict[str, Any]:
    """Append one utterance or a batch ({"utterances": [...]}); returns the new draft."""
    items = body.utterances if isinstance(body, UtterancesIn) else [body]
    return desk.add_utterances(hl, actor, call_id, [(u.speaker, u.text, u.at) for u in items])


@router.get("/{call_id}/draft", responses=ERRORS)
def get_draft(call_id: int, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """The work-order draft as it stands: fields (auto-filled and edited), category, the router's
    decision and explanation, knowledge suggestions, emergency assessment, elderly priority."""
    return desk.get_draft(hl, actor, call_id)


@router.patch("/{call_id}/draft", responses=ERRORS)
def edit_draft(call_id: int, body: DraftEdit, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """Set fields by hand; later extraction never overwrites them (null returns a field to extraction)."""
    return desk.edit_draft(hl, actor, call_id, body.model_dump(exclude_unset=True))


@router.post("/{call_id}/submit", responses=ERRORS)
def submit_call(call_id: int, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """File the draft as a work order, dispatched by the router in the same request."""
    return present(hl, desk.submit_call(hl, actor, call_id), actor)


@router.post("/{call_id}/answer", responses=ERRORS)
def answer_call(call_id: int, body: AnswerIn, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """Close the call as answered instantly (即时解答), with a knowledge article or a typed answer."""
    return present(hl, desk.answer_call(hl, actor, call_id, body.answer, body.article_id), actor)


@router.post("/{call_id}/transfer", responses=ERRORS)
def transfer_call(call_id: int, body: TransferIn, hl: HotlineDep, actor: CurrentActor) -> dict[str, Any]:
    """One-click transfer to 110 / 119 / 120 / 122, recorded on the order filed for the call."""
    return present(hl, desk.transfer_call(hl, actor, call_id, body.service, body.reason), actor)


@router.get("/{call_id}/stream", responses=ERRORS)
async def stream_draft(call_id: int, request: Request, hl: HotlineDep, actor: CurrentActor) -> StreamingResponse:
    """Server-sent events: the draft now, then the new draft after each utterance or edit;
    ends when the call ends."""
    first = await asyncio.to_thread(desk.get_draft, hl, actor, call_id)

    async def events():  # type: ignore[no-untyped-def]
        draft, seen = first, first["version"]
        clock = asyncio.get_running_loop().time
        while True:
            yield f"event: draft\ndata: {json.dumps(jsonable_encoder(draft), ensure_ascii=False)}\n\n"
            if draft["status"] != desk.LIVE:
                return
            looked = clock()
            while True:
                await asyncio.sleep(STREAM_POLL_S)
                if await request.is_disconnected():
                    return
                version = desk.desk_of(hl).version(call_id)
                if version is None or version != seen:  # changed here, or ended and forgotten
                    break
                if clock() - looked >= STREAM_LOOK_S:
                    looked = clock()
                    if await asyncio.to_thread(desk.stored_version, hl, call_id) != seen:  # changed elsewhere
                        break
            draft = await asyncio.to_thread(desk.get_draft, hl, actor, call_id)
            seen = draft["version"]

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
