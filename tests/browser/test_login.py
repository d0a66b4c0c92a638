"""Staff log in with a password; a wrong one is refused; the language switch is remembered."""

from __future__ import annotations

from tests.browser.conftest import log_in


def test_staff_log_in_and_out(page):
    log_in(page, "dispatcher")
    assert page.locator(".who").inner_text() == "dispatcher"
    page.click("header form button")
    assert page.locator(".who").count() == 0


def test_a_wrong_password_is_refused_in_the_users_language(page):
    page.goto("/login?lang=en")
    page.fill("#name", "admin")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Wrong user name or password"
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_elderly_mode_is_switchable_and_remembered(page):
    page.goto("/?lang=zh")
    page.click("text=长者模式")
    assert "elderly" in (page.locator("html").get_attribute("class") or "")
    page.goto("/login")
    assert "elderly" in (page.locator("html").get_attribute("class") or "")
