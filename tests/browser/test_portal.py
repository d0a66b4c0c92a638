"""The citizen portal in a real browser: ask, file, track and rate, in Chinese and English, in normal and
elderly mode; every portal and knowledge-base page visited passes axe-core's WCAG 2 A and AA rules."""

from __future__ import annotations

import csv
import gzip
import itertools

import pytest
from tests.browser.conftest import AXE_MIN_JS, log_in

from rexian.config import get_settings
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Action, Actor, Status
from rexian.services import knowledge as kb
from rexian.services import portal
from rexian.services import workorders as uc
from rexian.web.i18n import translate

OFFICE = Actor("test-dispatcher", Role.ADMIN)
SHIPAI = "440106006"  # 石牌街道办事处, the street the citizens below pick
MODES = [
    pytest.param("zh", False, False, id="zh-unsatisfied"),
    pytest.param("en", False, True, id="en-satisfied"),
    pytest.param("zh", True, True, id="zh-elderly-satisfied"),
    pytest.param("en", True, False, id="en-elderly-unsatisfied"),
]
# a different problem per mode, so one mode's order is never suggested to another as the same problem
PROBLEMS = {
    ("zh", False): "石牌东路人行道的井盖松动，踩上去会晃，老人小孩经过很危险",
    ("en", False): "华师附中门口早晚高峰乱停车堵住校门，学生上下学不安全",
    ("zh", True): "天河北路这栋楼的电梯经常停运，楼上的老人下不了楼",
    ("en", True): "岗顶公交站的候车亭顶棚漏水，下雨天没有地方避雨",
}


def real_cases(n: int = 5) -> list[dict[str, str]]:
    """The first `n` real messages with their government replies (泰迪杯2020 附件4)."""
    source = get_settings().data_dir / "teddy2020c" / "attachment4_full.csv.gz"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        return list(itertools.islice(csv.DictReader(f), n))


@pytest.fixture(scope="module")
def knowledge(live_hotline, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The live server's base: the demo articles and a few real reference cases of attachment 4."""
    kb.load_demo_knowledge(live_hotline, OFFICE, cases=False)
    rows = real_cases()
    path = tmp_path_factory.mktemp("kb") / "cases.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    kb.import_file(live_hotline, path, OFFICE)
    return live_hotline


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core (served from the repository) finds no WCAG 2 A/AA violation on the current page."""
    page.add_script_tag(path=str(AXE_MIN_JS))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},"
        " resultTypes: ['violations']})"
    )
    found = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]]
    assert found == [], f"{page.url}: {found}"


def use_mode(page, lang: str, elderly: bool) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/prefs?lang={lang}&elderly={int(elderly)}&back=/")
    assert page.get_attribute("html", "lang") == {"zh": "zh-CN", "en": "en"}[lang]
    assert ("elderly" in page.get_attribute("html", "class").split()) is elderly


def staff_reply(hl, code: str, text: str):  # type: ignore[no-untyped-def]
    """What the office and the unit do in their desks: dispatch (unless the router did), sign, reply."""
    order = portal.order_by_code(hl, code)
    if order.status in (Status.RECEIVED, Status.REOPENED):
        order = uc.perform(hl, order.id, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    unit = Actor("unit-staff", Role.UNIT_STAFF, order.unit_code)
    uc.perform(hl, order.id, Action.SIGN, unit)
    return uc.perform(hl, order.id, Action.REPLY, unit, {"text": text})


def rate(page, satisfied: bool, reason: str = "") -> None:  # type: ignore[no-untyped-def]
    page.check("#sat-yes" if satisfied else "#sat-no")
    page.fill("#reason", reason)
    page.click("#rate-h ~ form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize(("lang", "elderly", "satisfied"), MODES)
def test_a_citizen_asks_files_tracks_and_rates_an_appeal(page, knowledge, lang, elderly, satisfied):
    use_mode(page, lang, elderly)
    assert_accessible(page)

    page.fill("#q", "社保卡丢了怎么办")
    page.click("form[action='/ask'] button[type=submit]")
    assert "挂失" in page.locator("article.answer").first.inner_text()  # the demo article on 社保卡
    assert_accessible(page)

    page.click("a[href^='/file?content=']")  # "this did not help"
    assert page.input_value("#content") == "社保卡丢了怎么办"
    assert page.locator("#title").count() == (0 if elderly else 1)  # fewer fields in elderly mode
    assert_accessible(page)
    phone = f"1390000{list(PROBLEMS).index((lang, elderly))}000"
    page.fill("#content", PROBLEMS[lang, elderly])
    page.select_option("#place", SHIPAI)
    page.fill("#phone", phone)
    page.click("form[action='/file'] button[type=submit]")
    assert page.locator("#dup-h").count() == 0
    code = page.inner_text("#order-code")
    assert code in page.inner_text("[role=status]")
    assert_accessible(page)

    page.goto("/track")
    page.fill("#code", code)
    page.fill("#phone", "0000000")
    page.click("form[action='/track'] button[type=submit]")
    assert page.locator("[role=alert]").is_visible()  # a wrong phone finds nothing
    assert_accessible(page)
    page.fill("#phone", phone)
    page.click("form[action='/track'] button[type=submit]")
    assert page.inner_text("#order-code") == code
    assert page.locator("#rate-h").count() == 0  # nothing to rate before a reply

    staff_reply(knowledge, code, "已安排人员现场处理。")
    page.reload()
    assert "已安排人员现场处理。" in page.inner_text("main")
    assert_accessible(page)
    if satisfied:
        rate(page, satisfied=True)
        order = portal.order_by_code(knowledge, code)
        assert (order.status, order.satisfaction.value) == (Status.CLOSED, "satisfied")
    else:
        rate(page, satisfied=False)
        assert page.locator("[role=alert]").is_visible()  # not satisfied needs a reason
        rate(page, satisfied=False, reason="现场并没有处理")
        order = portal.order_by_code(knowledge, code)
        assert (order.status, order.satisfaction.value) == (Status.REOPENED, "unsatisfied")
    assert page.locator("#rate-h").count() == 0 and page.locator("[role=status]").is_visible()
    assert page.inner_text("#order-status") == translate(f"status.{order.status.value}", lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_in_elderly_mode_a_citizen_asks_to_be_called_back(page, live_hotline, lang):
    use_mode(page, lang, elderly=True)
    assert "12345" in page.inner_text(".hotline")
    page.fill("#cb-phone", "12")
    page.click("form[action='/call-me'] button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert_accessible(page)
    page.fill("#cb-phone", "139 0000 1234")
    page.click("form[action='/call-me'] button[type=submit]")
    page.wait_for_load_state()
    code = page.inner_text("#order-code")
    order = portal.order_by_code(live_hotline, code)
    assert (order.caller.phone, order.appeal_type.value, order.status) == (
        "139 0000 1234",
        "consultation",
        Status.RECEIVED,
    )
    assert_accessible(page)


@pytest.mark.parametrize(("lang", "elderly"), [("zh", False), ("en", True)])
def test_the_knowledge_base_pages_find_articles_and_real_cases(page, knowledge, lang, elderly):
    use_mode(page, lang, elderly)
    page.goto("/kb?q=电子社保卡")
    assert_accessible(page)
    page.locator("ol.results a", has_text="电子社保卡").first.click()
    assert "电子社保卡" in page.inner_text("h1")
    assert page.get_attribute("h1", "lang") == "zh-CN"  # the base's Chinese text is marked on an English page
    assert_accessible(page)

    case = real_cases()[0]
    page.goto("/kb")
    page.fill("#q", case["留言主题"])
    page.click("form[action='/kb'] button[type=submit]")
    page.locator("ol.results a", has_text=case["留言主题"].strip()).first.click()
    assert f"留言编号 {case['留言编号'].strip()}" in page.inner_text("main")
    assert_accessible(page)


def test_staff_write_an_article_and_a_reviewer_publishes_it_to_the_portal(page, knowledge):
    question = "长者助餐卡在哪里办理？"
    log_in(page, "dispatcher")
    missing = page.goto("/kb/articles/no-such-article/edit")
    assert missing.status == 404 and page.locator("[role=alert]").is_visible()  # a page, not the API's JSON
    page.goto("/kb/new")
    assert_accessible(page)
    page.fill("#question", question)
    page.fill("#variants", "老人饭堂卡怎么办\n长者饭堂办卡")
    page.fill("#answer", "携带身份证到户籍所在街道的社区服务中心申请长者助餐卡。")
    page.fill("#tags", "长者, 助餐")
    page.click("form[action='/kb/save'] button[type=submit]")
    assert page.inner_text("h1") == question and page.locator("tbody tr").count() == 1  # version 1: create
    assert_accessible(page)

    page.goto("/kb/review")
    assert_accessible(page)
    card = page.locator("article.card", has_text=question)
    card.locator("button[type=submit]").first.click()  # review
    card.locator("button[type=submit]").first.click()  # publish
    assert page.locator("article.card", has_text=question).count() == 0

    page.goto("/ask?q=老人饭堂卡怎么办")
    assert page.locator("article.answer").first.locator("h3").inner_text().startswith(question)
