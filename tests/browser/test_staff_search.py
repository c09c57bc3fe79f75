"""Staff search on a phone (390×844): a handler on site finds a case by its words, keeps the
search as a view, opens the case and acts on it; the results fit the screen without sideways
scrolling, and axe finds nothing."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from backend.vocabulary import Status
from tests.browser.test_every_page import AXE, AXE_TAGS, STICKING_OUT
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import filed, in_a_worker
from tests.browser.test_phone_staff import PHONE, signed_in
from tests.live.test_workers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_handler_finds_a_case_by_search_and_acts_on_it(live_server, browser, settings, categories):
    department = categories["water"].department
    number = in_a_worker(filed(settings, categories, "小区二次供水水箱发臭", Status.signed))
    answered = in_a_worker(filed(settings, categories, "水箱漏水已修好", Status.replied))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    page = signed_in(browser, live_server.url, handler)
    page.goto(f"{live_server.url}/department")

    # From the menu, the search: the words and the cases not finished.
    page.locator(".nav-menu summary").click()
    page.locator(".nav-menu").get_by_role("link", name="工单查询").click()
    page.get_by_label("工单编号或关键词").fill("水箱")
    page.get_by_label("状态").select_option("with_department")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.wait_for_url("**/staff/search?*q=*")
    results = page.get_by_role("region", name="查询结果")
    expect(results.get_by_role("link", name=number)).to_be_visible()
    expect(results).not_to_contain_text(answered)  # answered: no longer with the department
    expect(page.get_by_label("工单编号或关键词")).to_have_value("水箱")  # the form keeps the search
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(STICKING_OUT)
    page.evaluate(AXE.read_text())
    result = page.evaluate(f"axe.run(document, {{runOnly: {json.dumps(AXE_TAGS)}}})")
    assert [violation["id"] for violation in result["violations"]] == []

    # Kept as a view of their own, which brings the same search back.
    page.get_by_label("将此查询保存为").fill("在办的水箱")
    page.get_by_role("button", name="保存视图").click()
    views = page.get_by_role("region", name="已保存的视图")
    expect(views.get_by_role("link", name="在办的水箱")).to_be_visible()
    views.get_by_role("link", name="在办的水箱").click()
    expect(page.get_by_label("状态")).to_have_value("with_department")

    # The case itself, and the next step from its action bar.
    page.get_by_role("region", name="查询结果").get_by_role("link", name=number).click()
    page.wait_for_url(f"**/staff/cases/{number}")
    page.locator(".action-bar").get_by_role("button", name="办理进展").click()
    page.locator("#post_progress-body").fill("10:20 已到现场，正在清洗水箱")
    page.locator("#post_progress-submit").click()
    page.wait_for_url(f"**/staff/cases/{number}#entry-*")
    expect(page.locator(".timeline")).to_contain_text("正在清洗水箱")
    assert_no_csp_violations(page)
