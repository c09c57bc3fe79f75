"""The public list on a phone: filters swap the results in place (htmx) and go into the
address; the map shows the same cases, follows the filters and is usable by keyboard."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.test_filing import assert_no_csp_violations
from tests.cases.test_browse import publish

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def map_server(live_server):
    """The run's shared live server, whose map tiles come from the tests' tile server."""
    yield live_server


async def some_cases(settings, categories):
    water, roads = categories["water"], categories["roads"]
    return {
        "water": await publish(settings, water, title="东风街道停水", latitude="38.8700", longitude="115.4600"),
        "roads": await publish(settings, roads, title="路面塌陷一个大坑", latitude="38.9100", longitude="115.5100"),
    }


def seeded(settings, categories) -> dict[str, str]:
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        return worker.submit(asyncio.run, some_cases(settings, categories)).result()


def test_filters_swap_the_results_and_go_into_the_address(map_server, phone, settings, categories):
    seeded(settings, categories)
    page = phone.new_page()
    page.goto(f"{map_server.url}/cases")
    page.evaluate("window.__sameDocument = true")
    results = page.locator("#case-results")
    expect(results.locator(".case-card")).to_have_count(2)
    page.get_by_label("问题分类").select_option("water")
    page.get_by_role("button", name="显示诉求").click()
    expect(results.locator(".case-card")).to_have_count(1)
    expect(results).to_contain_text("东风街道停水")
    expect(page.locator("#results-status")).to_have_text("显示 1 件诉求。")
    assert "category=water" in page.url
    page.get_by_label("搜索").fill("塌陷")
    page.get_by_role("button", name="显示诉求").click()
    expect(page.locator("#results-status")).to_have_text("没有符合这些条件的公开诉求。")
    assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded
    page.go_back()
    expect(results.locator(".case-card")).to_have_count(1)
    # A shared link opens the same view.
    page.goto(f"{map_server.url}/cases?q=塌陷")
    expect(results.locator(".case-card")).to_have_count(1)
    expect(page.get_by_label("搜索")).to_have_value("塌陷")
    assert_no_csp_violations(page)


def test_the_map_shows_the_cases_of_the_filters_and_works_by_keyboard(map_server, phone, settings, categories):
    seeded(settings, categories)
    page = phone.new_page()
    page.goto(f"{map_server.url}/cases")
    markers = page.locator("#case-map .leaflet-marker-icon")
    expect(page.locator("#case-map")).to_be_visible()
    expect(markers).to_have_count(2)
    expect(page.locator(".map-count")).to_have_text("地图上有 2 件诉求。")
    expect(page.locator("#case-map img.leaflet-tile-loaded").first).to_be_visible()  # tiles the CSP lets in
    page.get_by_label("问题分类").select_option("roads")
    page.get_by_role("button", name="显示诉求").click()
    expect(markers).to_have_count(1)
    marker = markers.first
    assert marker.get_attribute("alt").endswith("路面塌陷一个大坑")
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content a")
    expect(popup).to_contain_text("路面塌陷一个大坑")
    assert popup.get_attribute("href").startswith("/cases/")
    assert_no_csp_violations(page)


def test_without_script_the_list_is_all_there_is(map_server, browser, settings, categories):
    seeded(settings, categories)
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{map_server.url}/cases")
    expect(page.locator("#case-map")).to_be_hidden()
    page.get_by_label("问题分类").select_option("water")
    page.get_by_role("button", name="显示诉求").click()
    expect(page.locator("#case-results .case-card")).to_have_count(1)
    assert "category=water" in page.url
    context.close()


def test_the_report_form_offers_me_too_instead_of_a_second_report(map_server, phone, settings, categories):
    seeded(settings, categories)
    page = phone.new_page()
    page.goto(f"{map_server.url}/report")
    page.get_by_label("问题分类").select_option(label="供水 (市自来水公司)")
    page.get_by_label("纬度").fill("38.8701")
    page.get_by_label("经度").fill("115.4601")
    page.get_by_label("经度").dispatch_event("change")
    suggestions = page.locator("#similar-cases")
    expect(suggestions).to_contain_text("东风街道停水")
    expect(suggestions).to_contain_text("约 14 米外")
    suggestions.get_by_role("button", name="我也遇到").click()
    expect(suggestions).to_contain_text("1 人也遇到这个问题。")
    page.get_by_label("标题").fill("停水了")  # the suggestions come again: the person is one of them
    expect(suggestions).to_contain_text("1 人也遇到这个问题")
    expect(suggestions).to_contain_text("其中包括您。")
    expect(suggestions.get_by_role("button", name="我也遇到")).to_have_count(0)
    expect(page.locator("#report-form")).to_be_visible()  # what was typed stays
    expect(page.get_by_label("纬度")).to_have_value("38.8701")
    assert_no_csp_violations(page)
