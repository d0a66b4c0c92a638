"""The dashboard draws its ECharts charts and the district map from the live API."""

from __future__ import annotations

from tests.browser.conftest import log_in


def test_the_dashboard_draws_every_chart_and_the_district_map(page, base_url):
    page.request.post(f"{base_url}/api/v1/work-orders", data={
        "content": "天河区石牌街道华师附近工地夜间施工噪音扰民", "channel": "web", "appeal_type": "complaint",
        "address": "天河区石牌街道"})
    log_in(page, "supervisor")
    page.goto("/dashboard?wall=1")
    page.wait_for_function("document.getElementById('dashboard').dataset.charts === '4'", timeout=20_000)
    assert page.locator(".dashboard.wall").count() == 1
    assert page.locator("#chart-volume canvas").count() == 1
    assert int(page.locator("#kpi-total").inner_text()) >= 1
    assert page.locator(".district-map .tile").count() == 11


def test_the_weekly_report_page_shows_its_sections(page, base_url):
    log_in(page, "supervisor")
    page.goto("/reports?period=week")
    page.wait_for_function("document.getElementById('report').dataset.charts === '1'", timeout=20_000)
    assert page.locator("article.report h2").count() >= 6
