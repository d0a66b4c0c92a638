"""The agent desk in a real browser: replay a demo call, watch the draft fill, submit, see it dispatched."""

from __future__ import annotations

import pytest
from tests.browser.conftest import log_in

from rexian.intelligence.knowledge import KnowledgeIndex, load_articles_csv
from rexian.services.calls import Desk, install_desk


@pytest.fixture
def desk_ready(live_hotline):
    """The live server's desk, without the slow background indexing of the reference cases."""
    if not isinstance(getattr(live_hotline, "desk", None), Desk):
        knowledge = KnowledgeIndex()
        for doc in load_articles_csv():
            knowledge.add(doc)
        install_desk(live_hotline, Desk(live_hotline, knowledge=knowledge))
    return live_hotline


def test_an_agent_takes_a_replayed_call_to_a_dispatched_order_without_typing_a_field(page, desk_ready):
    log_in(page, "agent")
    page.goto("/desk?speed=40")
    page.select_option("#demo-call", index=0)  # the noise complaint naming part of a merchant's name
    page.click("#replay")
    page.wait_for_function("document.querySelectorAll('#transcript li').length >= 8", timeout=20_000)
    assert page.input_value("#f-phone") == "13800138000"
    assert page.input_value("#f-district") == "天河区" and page.input_value("#f-street") == "员村街道"
    assert "员村美味烧腊" in page.input_value("#f-merchant")
    assert page.locator("#f-street").locator("xpath=..").get_attribute("class").split().count("auto") == 1
    assert page.locator("#routing").inner_text().strip() not in ("", "—")
    page.click("#submit")
    page.wait_for_function("document.getElementById('result').dataset.status", timeout=10_000)
    assert page.get_attribute("#result", "data-status") == "dispatched"
    order_id = page.get_attribute("#result", "data-order-id")
    order = page.request.get(f"/api/v1/work-orders/{order_id}").json()
    assert order["status"] == "dispatched" and order["unit"]["code"] and order["dispatch"]["explanation"]


def test_a_gas_leak_shows_the_red_banner_and_transfers_in_one_click(page, desk_ready):
    log_in(page, "agent")
    page.goto("/desk?speed=40")
    page.select_option("#demo-call", index=3)
    page.click("#replay")
    page.wait_for_selector("#emergency:not([hidden])", timeout=20_000)
    page.click("#emergency button[data-service='119']")
    page.wait_for_function("document.getElementById('result').dataset.status", timeout=10_000)
    assert page.get_attribute("#result", "data-status") == "transferred"
