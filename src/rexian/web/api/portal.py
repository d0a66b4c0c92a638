"""Citizen endpoints: track an order and rate it, proving it is yours with the phone you gave."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from rexian.services import portal
from rexian.web.deps import CITIZEN, HotlineDep, citizen_rate_limit

router = APIRouter(prefix="/api/v1/public/orders", tags=["citizens"], dependencies=[Depends(citizen_rate_limit)])


class Rating(BaseModel):
    phone: str = Field(max_length=40)
    satisfied: bool
    reason: str = Field("", max_length=2000)


@router.get("/{code}")
def track(code: str, hl: HotlineDep, phone: Annotated[str, Query(max_length=40)]) -> dict[str, Any]:
    """The public timeline of your order (404 unless the phone is the one you gave)."""
    return portal.public_view(hl, portal.find_own_order(hl, code, phone))


@router.post("/{code}/rating")
def rate(code: str, body: Rating, hl: HotlineDep) -> dict[str, Any]:
    """Satisfied closes the order; unsatisfied (with a reason) reopens it. Only once it is replied."""
    order = portal.find_own_order(hl, code, body.phone)
    return portal.public_view(hl, portal.rate(hl, order, body.satisfied, body.reason, CITIZEN))
