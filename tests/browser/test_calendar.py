"""In Chromium on a phone: an admin brings in next year's official schedule (a pasted list with a
mistake first, shown next to the field and kept as typed), checks the days read, keeps them, and
finds them among the year's changes; axe finds nothing on the pages on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin import signed_in_phone
from tests.browser.test_callbacks import assert_axe_clean
from tests.browser.test_filing import assert_no_csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

YEAR = 2031  # a year no other test touches
SCHEDULE = f"{YEAR}-01-23 至 {YEAR}-01-29 休 春节\n{YEAR}-01-19 班 春节"


def test_an_admin_brings_in_a_years_schedule_on_a_phone(live_server, browser):
    context, admin = signed_in_phone(browser, live_server.url, "admin", "周管理", "/admin/accounts")
    try:
        admin.goto(f"{live_server.url}/admin/calendar?year={YEAR}")
        field = admin.get_by_label("节假日安排（列表）")
        mistaken = SCHEDULE + f"\n{YEAR + 1}-01-01 休 元旦"  # a day of another year
        field.fill(mistaken)
        admin.get_by_role("button", name="预览日期").click()
        expect(admin.locator("#error-schedule")).to_be_visible()
        expect(admin.get_by_label("节假日安排（列表）")).to_have_value(mistaken)  # kept as typed
        admin.get_by_label("节假日安排（列表）").fill(SCHEDULE)
        admin.get_by_role("button", name="预览日期").click()
        preview = admin.locator("table").first
        expect(preview).to_contain_text("春节")
        expect(preview.locator("tbody tr")).to_have_count(8)  # seven holidays and one make-up day
        assert_axe_clean(admin)
        admin.get_by_role("button", name="保存这 8 天").click()
        expect(admin.get_by_text(f"{YEAR} 年的法定节假日安排已在此导入")).to_be_visible()
        assert admin.evaluate("document.documentElement.scrollWidth") <= 360
        assert_axe_clean(admin)
        assert_no_csp_violations(admin)
    finally:
        context.close()
