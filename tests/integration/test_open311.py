"""Open311 GeoReport v2 at /open311/v2 on both databases: the spec's examples in XML and JSON,
filters, errors, the notes and servicerequestupdates extensions, and schemathesis on a live server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
import uvicorn
from tests.conftest import free_port
from tests.integration.conftest import ROOT, SHIPAI, USERS
from typer.testing import CliRunner

from rexian.cli.main import app as cli
from rexian.domain.open311 import service_code
from rexian.domain.workorder import Action, Actor
from rexian.intelligence.taxonomy import taxonomy_tree
from rexian.services import workorders as uc
from rexian.services.open311 import issue_key
from rexian.web.app import create_app

BASE = "/open311/v2"
ROADS = service_code("城乡建设/城市建设和市政管理")  # has the required address_detail attribute
TRAFFIC = service_code("交通运输/交通运输")
PHONE, EMAIL = "13912345678", "wang@example.com"


@pytest.fixture
def api_key(hotline) -> str:
    return issue_key(hotline, "test-app", ROOT)


def post(client, api_key: str | None, fmt: str = "json", **fields: str):
    form = {"service_code": TRAFFIC, "address_string": "广州市天河区石牌街道华师路口",
            "description": "华师路口红绿灯坏了，早高峰很堵", **fields}
    if api_key is not None:
        form["api_key"] = api_key
    return client.post(f"{BASE}/requests.{fmt}", data=form)


def file(client, api_key: str, **fields: str) -> str:
    response = post(client, api_key, **fields)
    assert response.status_code == 201, response.text
    return response.json()[0]["service_request_id"]


def xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)


def test_services_are_the_second_level_categories_grouped_by_the_top_level(client):
    tree = taxonomy_tree()
    services = client.get(f"{BASE}/services.json").json()
    assert len(services) == sum(len(seconds) for seconds in tree.values())
    assert {s["group"] for s in services} == set(tree)
    roads = next(s for s in services if s["service_code"] == ROADS)
    assert roads["service_name"] == "城市建设和市政管理" and roads["type"] == "realtime" and roads["metadata"] is True
    assert set(roads["keywords"].split(",")) == set(tree["城乡建设"]["城市建设和市政管理"])
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text == "true"


def test_a_service_definition_lists_its_attributes_in_both_formats(client):
    definition = client.get(f"{BASE}/services/{ROADS}.json").json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["address_detail"]["required"] is True
    assert attributes["appeal_type"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attributes["appeal_type"]["values"]} == {
        "consultation", "help", "suggestion", "complaint", "report"}
    root = xml(client.get(f"{BASE}/services/{ROADS}.xml"))
    assert root.tag == "service_definition" and root.find("service_code").text == ROADS
    assert [a.find("code").text for a in root.findall("attributes/attribute")][0] == "address_detail"
    assert len(root.findall("attributes/attribute[code='urgency']/values/value")) == 3


def test_an_unknown_service_is_404_in_the_requested_format(client):
    as_json = client.get(f"{BASE}/services/nope.json")
    assert as_json.status_code == 404 and as_json.json()[0]["code"] == 404
    as_xml = client.get(f"{BASE}/services/nope.xml")
    assert as_xml.status_code == 404 and xml(as_xml).find("error/code").text == "404"


def test_a_posted_request_becomes_an_open311_work_order_and_reads_back_in_xml_and_json(client, hotline, api_key):
    response = post(client, api_key, "xml", lat="23.1376", long="113.3441", first_name="伟", last_name="王",
                    phone=PHONE, email=EMAIL, account_id="acct-7", media_url="https://example.org/light.jpg",
                    **{"attribute[appeal_type]": "complaint", "attribute[urgency]": "urgent"})
    assert response.status_code == 201, response.text
    created = xml(response)
    assert created.tag == "service_requests" and created.find("request/account_id").text == "acct-7"
    code = created.find("request/service_request_id").text
    with hotline.uow.begin() as tx:
        order = tx.orders.get_by_code(code)
    assert order.channel == "open311" and order.category == "交通运输/交通运输"
    assert order.appeal_type == "complaint" and order.urgency == "urgent"
    assert order.caller.name == "王伟" and order.caller.phone == PHONE

    read = client.get(f"{BASE}/requests/{code}.json")
    [request] = read.json()
    assert request["service_code"] == TRAFFIC and request["status"] == "open"
    assert request["lat"] == pytest.approx(23.1376) and request["media_url"] == "https://example.org/light.jpg"
    assert request["requested_datetime"].endswith("+08:00")
    assert request["notes"][0]["status"] == "open"
    root = xml(client.get(f"{BASE}/requests/{code}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == code
    assert root.find("request/description").text == "华师路口红绿灯坏了，早高峰很堵"
    for body in (read.text, client.get(f"{BASE}/requests/{code}.xml").text, client.get(f"{BASE}/requests.json").text):
        assert PHONE not in body and EMAIL not in body and "王伟" not in body


def test_a_retry_with_the_same_idempotency_key_gets_the_same_request_not_a_second_one(client, hotline, api_key):
    form = {"service_code": TRAFFIC, "address_string": "天河区华师路口", "description": "路灯不亮",
            "api_key": api_key, "account_id": "acct-9"}
    first = client.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"})
    again = client.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"})
    other_key = issue_key(hotline, "other-app", ROOT)
    other = client.post(f"{BASE}/requests.json", data={**form, "api_key": other_key},
                        headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == other.status_code == 201
    code = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == code  # the retry
    assert other.json()[0]["service_request_id"] != code  # another client's key space
    [request] = client.get(f"{BASE}/requests/{code}.json").json()
    assert request["service_request_id"] == code and request["description"] == "路灯不亮"


def test_a_token_resolves_to_its_service_request_id(client, api_key):
    code = file(client, api_key)
    assert client.get(f"{BASE}/tokens/{code}.json").json() == [{"service_request_id": code, "token": code}]
    assert xml(client.get(f"{BASE}/tokens/{code}.xml")).find("request/service_request_id").text == code
    assert client.get(f"{BASE}/tokens/GZ0-nothing.json").status_code == 404


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_posting_without_a_valid_api_key_is_403(client, key):
    response = post(client, key, "xml")
    assert response.status_code == 403 and xml(response).find("error/code").text == "403"
    assert post(client, key).json()[0]["code"] == 403


@pytest.mark.parametrize(("fields", "problem"), [
    ({"service_code": "nope"}, "service_code"),
    ({"service_code": ROADS}, "address_detail"),
    ({"description": "堵" * 4001}, "description"),
    ({"address_string": "", "lat": "23.1"}, "lat and long"),
    ({"address_string": ""}, "location"),
    ({"attribute[urgency]": "whenever"}, "urgency"),
])
def test_a_bad_request_is_400_with_the_reason(client, api_key, fields, problem):
    response = post(client, api_key, **fields)
    assert response.status_code == 400
    assert problem in response.json()[0]["description"]


def test_a_required_attribute_given_is_accepted_and_joins_the_address(client, hotline, api_key):
    code = file(client, api_key, service_code=ROADS, **{"attribute[address_detail]": "华师东门对面人行道"})
    with hotline.uow.begin() as tx:
        assert tx.orders.get_by_code(code).location.address.endswith("华师东门对面人行道")


def test_the_filters_select_by_service_status_dates_and_ids(client, hotline, api_key, clock, tokens):
    traffic, roads = file(client, api_key), file(client, api_key, service_code=ROADS,
                                                 **{"attribute[address_detail]": "东门"})
    with hotline.uow.begin() as tx:
        order_id = tx.orders.get_by_code(roads).id
    uc.perform(hotline, order_id, Action.WITHDRAW, Actor("agent", USERS["agent"][0]), {"reason": "已自行解决"})

    def codes(**params: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert codes() == [roads, traffic]
    assert codes(service_code=TRAFFIC) == [traffic]
    assert codes(status="closed") == [roads] and codes(status="open") == [traffic]
    assert codes(status="open,closed") == [roads, traffic]
    assert codes(service_request_id=f"{traffic},{roads}", status="open") == [roads, traffic]
    now = clock.now()
    assert codes(start_date=(now - timedelta(days=1)).isoformat(), end_date=now.isoformat()) == [roads, traffic]
    assert codes(start_date=(now + timedelta(hours=1)).isoformat()) == []
    assert codes(page_size="1", page="2") == [traffic]


def test_a_date_range_over_90_days_is_400(client, clock):
    now = clock.now()
    response = client.get(f"{BASE}/requests.xml", params={"start_date": (now - timedelta(days=91)).isoformat(),
                                                          "end_date": now.isoformat()})
    assert response.status_code == 400 and "90" in xml(response).find("error/description").text


def test_notes_and_updates_show_the_public_timeline_without_staff_names(client, hotline, api_key, tokens):
    code = file(client, api_key)
    with hotline.uow.begin() as tx:
        order_id = tx.orders.get_by_code(code).id
    uc.perform(hotline, order_id, Action.DISPATCH, Actor("dispatcher", USERS["dispatcher"][0]),
               {"unit_code": SHIPAI})
    uc.perform(hotline, order_id, Action.REMIND, Actor("dispatcher", USERS["dispatcher"][0]), {"reason": "内部催办"})

    signed = client.post(f"{BASE}/servicerequestupdates.json", data={
        "api_key": tokens["shipai"], "service_request_id": code, "status": "IN_PROGRESS"})
    assert signed.status_code == 200, signed.text
    replied = client.post(f"{BASE}/servicerequestupdates.xml", data={
        "api_key": tokens["shipai"], "service_request_id": code, "status": "fixed",
        "description": "已修复信号灯，联系人电话13800138000"})
    assert xml(replied).find("request_update/update_id").text

    [request] = client.get(f"{BASE}/requests/{code}.json").json()
    assert [n["status"] for n in request["notes"]] == ["open", "in_progress", "in_progress", "fixed"]
    assert request["status"] == "closed" and "13800138000" not in json.dumps(request, ensure_ascii=False)
    assert "石牌街道办事处" in request["notes"][1]["description"]
    updates = client.get(f"{BASE}/servicerequestupdates.json").json()
    mine = [u for u in updates if u["service_request_id"] == code]
    assert [u["status"] for u in mine] == ["open", "in_progress", "in_progress", "fixed"]
    text = json.dumps(updates, ensure_ascii=False) + client.get(f"{BASE}/servicerequestupdates.xml").text
    assert "shipai" not in text and "dispatcher" not in text and "内部催办" not in text


@pytest.mark.parametrize(("who", "status", "expected"), [
    ("client", "in_progress", 403), ("shipai", "duplicate", 400), ("dispatcher", "closed", 400), ("shipai", "closed", 403),
    ("agent", "in_progress", 403)])
def test_an_update_needs_a_staff_key_a_known_status_and_a_legal_move(client, api_key, tokens, who, status,
                                                                     expected):
    code = file(client, api_key)
    key = api_key if who == "client" else tokens[who]
    response = client.post(f"{BASE}/servicerequestupdates.json",
                           data={"api_key": key, "service_request_id": code, "status": status})
    assert response.status_code == expected, response.text
    missing = client.post(f"{BASE}/servicerequestupdates.json",
                          data={"api_key": tokens["shipai"], "service_request_id": "nope", "status": "fixed"})
    assert missing.status_code == 404


def test_discovery_points_at_this_endpoint(client):
    [endpoint] = client.get(f"{BASE}/discovery.json").json()["endpoints"]
    assert endpoint["url"].endswith(BASE) and "text/xml" in endpoint["formats"]
    assert xml(client.get(f"{BASE}/discovery.xml")).find("endpoints/endpoint/formats/format").text == "text/xml"


def test_the_cli_issues_a_key_that_posts(client, database_url, monkeypatch):
    monkeypatch.setenv("REXIAN_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["open311", "key", "city-app", "--json"])
    assert result.exit_code == 0, result.output
    assert post(client, json.loads(result.stdout)["api_key"]).status_code == 201


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one live-server run; DB paths covered above
def test_schemathesis_finds_no_server_error_in_the_open311_schema(hotline, database_url, api_key, tmp_path):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hotline, public_rate_limit=100_000), port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{port}/openapi.json",
             "--include-path-regex", "^/open311/", "--checks", "not_a_server_error", "--max-examples", "8",
             "--seed", "311", "--phases", "examples,coverage,fuzzing", "--suppress-health-check", "all"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        server.should_exit = True
        thread.join(10)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
