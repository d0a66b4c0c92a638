"""The wallboard shows live numbers, and they change when the switch reports calls."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect
from tests.browser.conftest import log_in

from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import issue_token


def test_the_wallboard_counts_a_new_waiting_call_and_the_staffing_plan(page, live_hotline):
    token = issue_token(live_hotline, "admin", Actor("test-setup", Role.ADMIN))
    log_in(page, "supervisor")
    page.goto("/wallboard?lang=en")
    offered = page.locator("#wb-offered .wb-value")
    expect(offered).not_to_have_text("–")
    before = int(offered.inner_text())

    response = page.request.post("/api/v1/cti/events", headers={"Authorization": f"Bearer {token}"}, data={
        "type": "CallOffered", "call_id": f"wb-{uuid.uuid4().hex}", "caller_number": "13900000009",
        "dialled_number": "12345", "language": "english"})
    assert response.status == 200, response.text()

    expect(offered).to_have_text(str(before + 1), timeout=6000)
    assert int(page.locator("#wb-waiting .wb-value").inner_text()) >= 1
    expect(page.locator("#wb-connection")).to_have_class("wb-tile wb-missed")  # a waiting call, none answered
    assert int(page.locator("#wb-needed .wb-value").inner_text()) >= 0
    expect(page.get_by_text("Agents logged in", exact=True)).to_be_visible()
