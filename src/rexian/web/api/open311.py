"""Open311 GeoReport v2 at /open311/v2: every resource in XML (the spec's required format) and JSON.

Routes translate between the spec's wire format and the use cases in services.open311. Errors are
the spec's array of {code, description} in the requested format: 404 missing, 403 bad key, 400
otherwise (also for malformed input, which the rest of the API answers with 422).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from rexian.domain.clock import zoned
from rexian.domain.errors import DomainError, Forbidden, NotFound
from rexian.services import open311 as svc
from rexian.web.deps import HotlineDep, citizen_rate_limit


class Fmt(StrEnum):
    xml = "xml"
    json = "json"


MEDIA = {Fmt.xml: "text/xml; charset=utf-8", Fmt.json: "application/json; charset=utf-8"}
CHILD = {"attributes": "attribute", "values": "value", "notes": "note", "endpoints": "endpoint",
         "formats": "format"}
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,64})\](\[\])?$")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        node = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _fill(node, value)
        elif isinstance(value, list):
            for item in value:
                child = ET.SubElement(node, CHILD.get(key, "item"))
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _text(item)
        else:
            node.text = _text(value)


def render(fmt: Fmt, root: str, item: str | None, data: Any, status: int = 200) -> Response:
    """`data` as JSON, or as XML under <root> (each list element an <item>)."""
    if fmt == Fmt.json:
        return Response(json.dumps(data, ensure_ascii=False), status, media_type=MEDIA[fmt])
    top = ET.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        _fill(ET.SubElement(top, item) if item else top, entry)
    return Response(ET.tostring(top, encoding="utf-8", xml_declaration=True), status, media_type=MEDIA[fmt])


def error(request: Request, status: int, description: str) -> Response:
    fmt = Fmt.json if request.path_params.get("fmt") == "json" else Fmt.xml
    return render(fmt, "errors", "error", [{"code": status, "description": description}], status)


def _message(request: Request, zh: str, en: str) -> str:
    return zh if request.headers.get("accept-language", "").lower().startswith("zh") else en


class Open311Route(APIRoute):
    """Answers every failure of these routes in the spec's error format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as e:
                problems = "; ".join(f"{'.'.join(str(p) for p in x.get('loc', ())[1:])}: {x.get('msg', '')}"
                                     for x in e.errors())
                return error(request, 400, problems or "bad request")
            except DomainError as e:
                status = 404 if isinstance(e, NotFound) else 403 if isinstance(e, Forbidden) else 400
                return error(request, status, _message(request, e.message_zh, e.message_en))
            except HTTPException as e:
                return error(request, e.status_code, str(e.detail))

        return route


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route,
                   dependencies=[Depends(citizen_rate_limit)])
FmtPath = Annotated[Fmt, Path(description="xml or json")]
Jurisdiction = Annotated[str | None, Query(max_length=200, description="accepted and ignored: one jurisdiction")]
Doc = {"content": {"text/xml": {}, "application/json": {}},
       "description": "the resource in the requested format"}
ERRORS: dict[int | str, dict[str, Any]] = {
    200: Doc, 400: {"description": "bad request (errors array)"}, 403: {"description": "bad api_key"},
    404: {"description": "not found"}}


def _service(s: svc.o311.Service) -> dict[str, Any]:
    return {"service_code": s.code, "service_name": s.name, "description": s.description,
            "metadata": s.metadata, "type": "realtime", "keywords": ",".join(s.keywords), "group": s.group}


@router.get("/discovery.{fmt}", response_class=Response, responses=ERRORS)
def discovery(fmt: FmtPath, request: Request) -> Response:
    """Where this endpoint lives and what it speaks."""
    url = str(request.url_for("list_services", fmt="xml")).rsplit("/", 1)[0]
    data = {"changeset": "2026-11-28T00:00:00+08:00", "contact": "12345 热线办 / the 12345 hotline office",
            "key_service": "rexian open311 key NAME (operators issue client keys)",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": url,
                           "changeset": "2026-11-28T00:00:00+08:00", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return render(fmt, "discovery", None, data)


@router.get("/services.{fmt}", response_class=Response, responses=ERRORS)
def list_services(fmt: FmtPath, jurisdiction_id: Jurisdiction = None) -> Response:
    """Every service: one per second-level category of the appeal taxonomy, grouped by the top level."""
    return render(fmt, "services", "service", [_service(s) for s in svc.catalogue().values()])


@router.get("/services/{service_code}.{fmt}", response_class=Response, responses=ERRORS)
def service_definition(service_code: Annotated[str, Path(max_length=64)], fmt: FmtPath,
                       jurisdiction_id: Jurisdiction = None) -> Response:
    """A service's attributes (its definition)."""
    s = svc.get_service(service_code)
    attributes = [{"variable": a.variable, "code": a.code, "datatype": a.datatype, "required": a.required,
                   "datatype_description": a.datatype_description, "order": a.order, "description": a.description,
                   "values": [{"key": v.key, "name": v.name} for v in a.values]} for a in s.attributes]
    return render(fmt, "service_definition", None, {"service_code": s.code, "attributes": attributes})


async def attributes_of(request: Request) -> dict[str, list[str]]:
    """The `attribute[code]` (and `attribute[code][]`) fields of the form."""
    form = await request.form()
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        match = _ATTRIBUTE.match(key)
        if match and isinstance(value, str):
            found.setdefault(match.group(1), []).append(value)
    return found


Text = Annotated[str | None, Form(max_length=200)]


@router.post("/requests.{fmt}", response_class=Response, responses={**ERRORS, 201: Doc}, status_code=201)
def create_request(
    fmt: FmtPath, hl: HotlineDep, attributes: Annotated[dict[str, list[str]], Depends(attributes_of)],
    service_code: Annotated[str, Form(max_length=64)],
    api_key: Text = None, jurisdiction_id: Text = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Text = None,
    description: Annotated[str | None, Form(max_length=100_000)] = None,
    email: Annotated[str | None, Form(max_length=320)] = None,
    first_name: Text = None, last_name: Text = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
    device_id: Text = None, account_id: Text = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """File a request (form-encoded; needs api_key). We file at once, so the answer holds the
    service_request_id (our tracking code). A retry with the same Idempotency-Key header gets the
    same service_request_id instead of a second request."""
    order, account = svc.submit_request(hl, api_key, svc.Submission(
        service_code, lat, long, address_string, address_id, attributes, description, email, first_name,
        last_name, phone, media_url, device_id, account_id), idempotency_key)
    return render(fmt, "service_requests", "request", [
        {"service_request_id": order.code, "service_notice": "", "account_id": account}], 201)


@router.get("/requests.{fmt}", response_class=Response, responses=ERRORS)
def list_requests(
    fmt: FmtPath, hl: HotlineDep,
    service_request_id: Annotated[str | None, Query(max_length=4000, description="comma list; overrides all")] = None,
    service_code: Annotated[str | None, Query(max_length=64)] = None,
    start_date: datetime | None = None, end_date: datetime | None = None,
    status: Annotated[str | None, Query(max_length=20, description="open, closed or open,closed")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=svc.MAX_PAGE_SIZE)] = svc.MAX_PAGE_SIZE,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """Requests, newest first: by ids, or filtered (at most 90 days; default the last 90 days)."""
    q = svc.RequestQuery(
        service_request_ids=tuple(i.strip() for i in (service_request_id or "").split(",") if i.strip()),
        service_code=service_code, start_date=zoned(start_date), end_date=zoned(end_date),
        statuses=tuple(s.strip() for s in (status or "").split(",") if s.strip()), page=page, page_size=page_size)
    return render(fmt, "service_requests", "request", svc.list_requests(hl, q))


@router.get("/requests/{service_request_id}.{fmt}", response_class=Response, responses=ERRORS)
def get_request(service_request_id: Annotated[str, Path(max_length=64)], fmt: FmtPath, hl: HotlineDep,
                jurisdiction_id: Jurisdiction = None) -> Response:
    """One request with its public timeline (`notes`)."""
    return render(fmt, "service_requests", "request", [svc.get_request(hl, service_request_id)])


@router.get("/tokens/{token}.{fmt}", response_class=Response, responses=ERRORS)
def resolve_token(token: Annotated[str, Path(max_length=64)], fmt: FmtPath, hl: HotlineDep,
                  jurisdiction_id: Jurisdiction = None) -> Response:
    """The service_request_id behind a token."""
    return render(fmt, "service_requests", "request", [svc.resolve_token(hl, token)])


@router.get("/servicerequestupdates.{fmt}", response_class=Response, responses=ERRORS)
def list_updates(
    fmt: FmtPath, hl: HotlineDep, start_date: datetime | None = None, end_date: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=svc.MAX_PAGE_SIZE)] = svc.MAX_PAGE_SIZE,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """mySociety's updates: each public status change, with an extended status."""
    updates = svc.list_updates(hl, zoned(start_date), zoned(end_date), page, page_size)
    return render(fmt, "service_request_updates", "request_update", updates)


@router.post("/servicerequestupdates.{fmt}", response_class=Response, responses=ERRORS)
def post_update(
    fmt: FmtPath, hl: HotlineDep,
    service_request_id: Annotated[str, Form(max_length=64)],
    status: Annotated[str, Form(max_length=40)],
    api_key: Text = None, jurisdiction_id: Text = None, update_id: Text = None,
    updated_datetime: Annotated[str | None, Form(max_length=40)] = None,
    description: Annotated[str | None, Form(max_length=4000)] = None,
    email: Annotated[str | None, Form(max_length=320)] = None,
    first_name: Text = None, last_name: Text = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """A staff system posts a status (needs a staff user's API token as api_key); the order moves
    by the one action that reaches it. The client's update_id and datetime are not kept: the
    change happens now, as an event with our id."""
    event_id = svc.post_update(hl, api_key, service_request_id, status, description or "")
    return render(fmt, "service_request_updates", "request_update", [{"update_id": event_id}])
