"""The unit workbench and the hotline office in a real browser: each demo user drives its own steps of
an order's loop through the pages' forms, and every step lands on the order's timeline."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from tests.browser.conftest import AXE_MIN_JS, log_in

from rexian.adapters.files import read_rows
from rexian.domain.routing import RoutingRule, rules_to_csv
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor, Caller
from rexian.services import routing_rules as rules_svc
from rexian.services import workorders as uc
from rexian.services.auth import add_user, issue_token
from rexian.web.i18n import translate

TIANHE, SHIPAI, LIEDE = "440106", "440106006", "440106013"
AGENT, DISPATCHER = Actor("agent", Role.AGENT), Actor("dispatcher", Role.DISPATCHER)


def file_order(hl, content: str) -> int:  # type: ignore[no-untyped-def]
    """An appeal taken by the agent and left for the office to dispatch by hand."""
    intake = uc.AppealIntake(
        content=content,
        channel=uc.Channel.PHONE,
        auto_dispatch=False,
        caller=Caller(name="李女士", phone="13900139000"),
    )
    return uc.file_appeal(hl, intake, AGENT)[0].id or 0


def timeline(page: Page) -> list[str]:
    return page.locator("#timeline li").evaluate_all("items => items.map(li => li.dataset.action)")


def act(page: Page, action: str, *, hands_on: bool = False, **fields: str | list[str]) -> None:
    """Fill one action form on the order page (field id → value) and submit it; the step must reach the
    timeline (unless it hands the order on to a unit above, whose page shows it)."""
    form = page.locator(f"form.action[data-action='{action}']")
    for field, value in fields.items():
        box = form.locator(f"#{field}")
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(str(value))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if hands_on:
        assert page.locator("#timeline").count() == 0  # out of this unit's reach now
    else:
        assert timeline(page)[-1] == action


@pytest.fixture(scope="module")
def desks(browser, base_url) -> Iterator[dict[str, Page]]:  # type: ignore[no-untyped-def]
    """One logged-in browser context per demo user (each logs in once: log-in is rate-limited)."""
    pages = {}
    for name in ("dispatcher", "supervisor", "tianhe", "shipai", "admin"):
        page = browser.new_context(base_url=base_url).new_page()
        log_in(page, name)
        page.wait_for_url(lambda url: "/login" not in url)
        pages[name] = page
    yield pages
    for page in pages.values():
        page.context.close()


def open_as(desks: dict[str, Page], name: str, url: str) -> Page:
    page = desks[name]
    page.goto(url)
    return page


def assert_accessible(page: Page) -> None:
    """axe-core's WCAG 2 A/AA rules on the page as shown (when the vendored script is present)."""
    if not AXE_MIN_JS.exists():
        return
    page.add_script_tag(path=str(AXE_MIN_JS))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == [], page.url


def test_an_order_goes_round_the_loop_through_the_unit_and_office_pages(desks, live_hotline):
    oid = file_order(live_hotline, "天河区石牌村牌坊路口路灯不亮已经一周，晚上行人很不安全")
    office_url, unit_url = f"/office/orders/{oid}", f"/unit/orders/{oid}"

    page = open_as(desks, "dispatcher", "/office")
    assert page.locator(f"tr[data-id='{oid}']").count() == 1  # in the review queue
    assert_accessible(page)
    page.goto(office_url)
    assert "139****9000" in page.inner_text("#caller")  # masked until the office asks
    assert_accessible(page)
    act(page, "dispatch", **{"dispatch-unit": TIANHE})

    page = open_as(desks, "tianhe", "/unit")
    assert page.locator(f"tr[data-id='{oid}']").count() == 1
    assert_accessible(page)
    page.goto(unit_url)
    act(page, "sign")
    assert_accessible(page)
    act(page, "pass-down", **{"pass-down-unit": SHIPAI})

    page = open_as(desks, "shipai", unit_url)
    act(page, "sign")
    assert "13900139000" in page.inner_text("#caller")  # the handling unit may call back the caller
    act(page, "reply", hands_on=True, **{"reply-text": "已安排维修班组更换灯泡，路灯恢复照明。"})

    page = open_as(desks, "tianhe", unit_url)
    assert timeline(page)[-1] == "reply" and "已安排维修班组" in page.inner_text(
        "section"
    )  # gathered back up
    act(page, "reply", **{"reply-text": "经石牌街道核实并维修，路灯已恢复照明。"})

    page = open_as(desks, "dispatcher", office_url)
    act(page, "callback", satisfaction="unsatisfied", note="市民反映路灯仍时亮时灭")
    act(page, "dispatch", **{"dispatch-unit": SHIPAI})  # re-handling (重办): back to the street

    page = open_as(desks, "shipai", unit_url)
    act(page, "sign")
    act(page, "reply", **{"reply-text": "已更换整套灯具及线路，经连续三晚观察照明正常。"})

    page = open_as(desks, "dispatcher", office_url)
    act(page, "callback", satisfaction="satisfied", note="市民确认已修好")
    assert timeline(page) == [
        "receive",
        "dispatch",
        "sign",
        "pass-down",
        "sign",
        "reply",
        "reply",
        "callback",
        "dispatch",
        "sign",
        "reply",
        "callback",
    ]
    order, _ = uc.get_order(live_hotline, oid, DISPATCHER)
    assert (order.status.value, order.reopen_count, order.satisfaction.value) == ("closed", 1, "satisfied")
    assert page.locator("form.action").count() == 0


def test_a_returned_order_goes_to_joint_review_and_is_reassigned_by_its_decision(desks, live_hotline):
    oid = file_order(live_hotline, "猎德大道与黄埔大道交界处人行道砖松动，雨天踩下去溅水")
    uc.perform(live_hotline, oid, Action.DISPATCH, DISPATCHER, {"unit_code": SHIPAI})

    page = open_as(desks, "shipai", f"/unit/orders/{oid}")
    act(
        page,
        "return",
        legal="《广州市12345政府服务便民热线管理办法》第十六条",
        **{"return-reason": "该路段属猎德街道辖区，不属本单位职责"},
    )

    page = open_as(desks, "dispatcher", "/office")
    assert page.locator(f"tr[data-id='{oid}']").count() == 1  # in the returned queue
    page.goto(f"/office/orders/{oid}")
    assert "不属本单位职责" in page.inner_text("section")  # the unit's reason beside the router's explanation
    act(
        page,
        "joint-review",
        **{"joint-review-units": [SHIPAI, LIEDE], "joint-review-reason": "两街道对辖区有争议"},
    )

    page = open_as(desks, "supervisor", f"/office/orders/{oid}")
    act(page, "decide", **{"decide-unit": LIEDE, "decide-reason": "经联合审定，该路段属猎德街道管理"})
    assert timeline(page) == ["receive", "dispatch", "return", "joint-review", "decide"]
    order, _ = uc.get_order(live_hotline, oid, DISPATCHER)
    assert (order.status.value, order.unit_code, order.return_locked) == ("dispatched", LIEDE, True)


def test_the_performance_page_shows_the_units_numbers(desks, live_hotline):
    oid = file_order(live_hotline, "石牌东路垃圾桶满溢无人清理")
    for action, actor, payload in (
        (Action.DISPATCH, DISPATCHER, {"unit_code": SHIPAI}),
        (Action.SIGN, Actor("shipai", Role.UNIT_STAFF, SHIPAI), {}),
        (Action.REPLY, Actor("shipai", Role.UNIT_STAFF, SHIPAI), {"text": "已清运"}),
    ):
        uc.perform(live_hotline, oid, action, actor, payload)

    page = open_as(desks, "dispatcher", "/office/performance")
    row = page.locator("#performance tbody tr", has_text="石牌街道办事处").first
    cells = row.locator("td").all_inner_texts()
    assert int(cells[0]) >= 1 and int(cells[2]) >= 1  # ranked, with its orders counted
    assert re.fullmatch(r"\d+(\.\d)?%", cells[4])  # the on-time reply rate
    assert page.locator("svg.bars rect").count() >= 1
    assert_accessible(page)


def test_a_new_rules_file_is_tried_on_the_recent_orders_then_put_in_force(desks, live_hotline):
    """The office uploads a rules file, sees which recent orders would move and where, then applies it."""
    in_force = rules_svc.list_rules(live_hotline)
    bbq = [uc.file_appeal(live_hotline, uc.AppealIntake(content=f"石牌街道楼下烧烤摊油烟很大第{i}回",
                                                         channel=uc.Channel.PHONE, address="天河区石牌街道"),
                          AGENT)[0] for i in range(2)]
    assert LIEDE not in {o.unit_code for o in bbq}
    proposed = [*in_force, RoutingRule("R-PAGE", 9000, LIEDE, district="天河区", keywords=("烧烤",))]
    try:
        page = open_as(desks, "dispatcher", "/office/rules")
        assert page.locator("#in-force tr[data-id='R001']").count() == 1
        assert_accessible(page)
        page.set_input_files("#rules-file", files=[{"name": "rules.csv", "mimeType": "text/csv",
                                                     "buffer": rules_to_csv(proposed).encode()}])
        with page.expect_navigation():
            page.click("#try button[type=submit]")
        assert int(page.inner_text("#impact-changed")) >= 2
        moves = page.locator("#moves tbody tr", has_text="猎德街道办事处").all_inner_texts()
        assert any(o.code in " ".join(moves) for o in bbq)  # the examples name orders that would move
        assert page.locator("#in-force tr[data-id='R-PAGE']").count() == 0  # tried, not yet in force
        assert_accessible(page)
        with page.expect_navigation():
            page.click("#apply")
        assert page.locator("#in-force tr[data-id='R-PAGE']").count() == 1
        assert {r.id for r in rules_svc.list_rules(live_hotline)} == {r.id for r in proposed}

        page.set_input_files("#rules-file", files=[{"name": "x.csv", "mimeType": "text/csv",
                                                     "buffer": b"id,priority\nR1,high\n"}])
        with page.expect_navigation():
            page.click("#try button[type=submit]")
        flash = page.inner_text("p.flash")
        assert ("规则文件格式有误" in flash or "bad rules file" in flash) and page.locator("#impact").count() == 0
    finally:
        rules_svc.replace_rules(live_hotline, in_force, DISPATCHER)


def test_the_admin_revokes_a_users_tokens_and_deactivates_them_on_the_users_page(desks, live_hotline):
    add_user(live_hotline, "clerk-left", Role.AGENT, Actor("test-setup", Role.ADMIN))
    token = issue_token(live_hotline, "clerk-left", Actor("test-setup", Role.ADMIN))
    page = open_as(desks, "admin", "/admin/users")
    api = page.context.request

    def api_status(bearer: str) -> int:
        return api.get("/api/v1/work-orders?limit=1", headers={"Authorization": f"Bearer {bearer}"}).status

    row = page.locator("#users tr[data-name='clerk-left']")
    assert row.get_attribute("data-active") == "yes" and api_status(token) == 200
    assert_accessible(page)
    with page.expect_navigation():
        row.locator("button.revoke").click()
    assert api_status(token) == 401 and row.locator("button.revoke").count() == 0
    fresh = issue_token(live_hotline, "clerk-left", Actor("test-setup", Role.ADMIN))
    with page.expect_navigation():
        row.locator("button.deactivate").click()
    assert row.get_attribute("data-active") == "no" and api_status(fresh) == 401
    with page.expect_navigation():
        row.locator("button.activate").click()
    assert row.get_attribute("data-active") == "yes" and api_status(fresh) == 200
    assert page.locator("#users tr[data-name='shipai']").get_attribute("data-active") == "yes"
    page.fill("#new-name", "new-agent")  # a new colleague, with a password to log in
    page.select_option("#new-role", "agent")
    page.fill("#new-password", "agent-pass-2026")
    with page.expect_navigation():
        page.click("#add-user button[type=submit]")
    assert page.locator("#users tr[data-name='new-agent']").get_attribute("data-active") == "yes"
    page.fill("#new-name", "clerk-nowhere")
    page.select_option("#new-role", "unit_staff")
    with page.expect_navigation():
        page.click("#add-user button[type=submit]")  # unit staff need a unit
    assert page.locator("#users tr[data-name='clerk-nowhere']").count() == 0 and page.locator("p.flash").count() == 1
    me = page.locator("#users tr[data-name='admin']")
    with page.expect_navigation():
        me.locator("button.deactivate").click()
    assert me.get_attribute("data-active") == "yes" and page.locator("p.flash").count() == 1  # not oneself


def test_the_office_finds_orders_by_words_or_phone_and_exports_them_a_unit_only_its_own(desks, live_hotline, tmp_path):
    """工单查询: the office finds an order by its words and by the caller's phone and downloads the result as
    Excel; a unit finds it only once it is the unit's, and has no phone field."""
    words = "龙口西路井盖缺失"
    oid = file_order(live_hotline, f"{words}，夜间行人容易跌倒")
    code = uc.get_order(live_hotline, oid, DISPATCHER)[0].code

    def search(page: Page, **fields: str) -> list[int]:
        for field, value in fields.items():
            page.fill(f"#s-{field}", value)
        with page.expect_navigation():
            page.locator("form#search button[type=submit]").click()
        return [int(i) for i in page.locator("table.orders tbody tr[data-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.id)")]

    page = open_as(desks, "dispatcher", "/orders")
    assert search(page, text=words) == [oid]
    assert oid in search(page, text="", phone="13900139000")
    assert search(page, text=words, phone="") == [oid]
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "orders.xlsx"
    download.value.save_as(path)
    _, rows = read_rows(path)
    exported = list(rows)
    assert [r["工单编号"] for r in exported] == [code]
    status = uc.get_order(live_hotline, oid, DISPATCHER)[0].status.value
    assert exported[0]["联系电话"] == "139****9000"
    assert exported[0]["状态"] == translate(f"status.{status}", "en")  # in the reader's language (English here)
    assert_accessible(page)

    unit = open_as(desks, "shipai", "/orders")
    assert unit.locator("#s-phone").count() == 0
    assert search(unit, text=words) == []
    uc.perform(live_hotline, oid, Action.DISPATCH, DISPATCHER, {"unit_code": SHIPAI})
    assert search(unit, text=words) == [oid]
    assert unit.locator(f"tr[data-id='{oid}'] a").get_attribute("href") == f"/unit/orders/{oid}"
