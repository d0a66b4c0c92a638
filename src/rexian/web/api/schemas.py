"""Request and response models of the JSON API (the OpenAPI docs are generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rexian.domain.vocabulary import AppealType, Channel, Satisfaction, Urgency


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CallerIn(Strict):
    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{3,40}$")
    anonymous: bool = False
    confidential: bool = False


class LatLong(Strict):
    lat: float = Field(ge=-90, le=90)
    long: float = Field(ge=-180, le=180)


class WorkOrderCreate(Strict):
    content: str = Field(min_length=1, max_length=20000)
    title: str | None = Field(None, max_length=500)
    channel: Channel = Channel.WEB
    appeal_type: AppealType | None = None
    urgency: Urgency = Urgency.NORMAL
    caller: CallerIn = Field(default_factory=CallerIn)
    address: str | None = Field(None, max_length=500)
    location: LatLong | None = None


class ActionIn(Strict):
    """Fields of every action; each action uses the ones it needs (the docs list them per action)."""

    unit_code: str | None = Field(None, max_length=64, description="dispatch, reassign, pass-down, decide, backstop")
    units: list[str] | None = Field(None, max_length=20, description="joint-review: the disputing units")
    reason: str | None = Field(None, max_length=4000)
    legal_basis: str | None = Field(None, max_length=2000, description="return: the legal basis (退单依据)")
    suggested_unit: str | None = Field(None, max_length=64, description="return")
    text: str | None = Field(None, max_length=20000, description="reply")
    answer: str | None = Field(None, max_length=20000, description="answer (即时解答)")
    article_id: str | None = Field(None, max_length=64)
    working_days: int | None = Field(None, ge=1, le=60, description="extend")
    satisfaction: Satisfaction | None = Field(None, description="callback")
    note: str | None = Field(None, max_length=4000)
    master_id: int | None = Field(None, ge=1, description="merge")
    service: str | None = Field(None, pattern=r"^(110|119|120|122)$", description="transfer")
    explanation: str | None = Field(None, max_length=2000)
    expected_version: int | None = Field(None, ge=1, description="optimistic lock: 409 if the order changed")


class Deadline(BaseModel):
    due: datetime | None
    light: str | None


class UnitRef(BaseModel):
    code: str
    name: str | None


class WorkOrderPublic(BaseModel):
    id: int
    code: str
    version: int
    status: str
    channel: str
    appeal_type: str
    urgency: str
    title: str
    content: str
    category: str | None
    category_confidence: float | None
    location: dict[str, Any]
    caller: dict[str, Any]
    unit: UnitRef | None
    chain: list[str]
    dispatch: dict[str, Any]
    deadlines: dict[str, Deadline]
    received_at: datetime
    dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reply_text: str | None
    satisfaction: str | None
    extension_request: dict[str, Any] | None
    return_count: int
    reopen_count: int
    supervision_level: int
    overdue: list[str]
    master_id: int | None
    related_ids: list[int]
    transferred_to: str | None


class WorkOrdersPublic(BaseModel):
    items: list[WorkOrderPublic]
    total: int = Field(description="orders matching the filter, counted up to 10,000")
    total_capped: bool = Field(description="true when more than `total` orders match")
    limit: int
    offset: int


class EventPublic(BaseModel):
    id: int
    action: str
    actor: str
    role: str
    at: datetime
    from_status: str | None
    to_status: str | None
    reason: str
    data: dict[str, Any]


class UnitPublic(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    district: str | None
    street: str | None
    children: list[UnitPublic] = []
