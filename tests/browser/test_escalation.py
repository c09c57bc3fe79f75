"""The escalation ladder on a phone: an admin changes when complaints reach the leaders (a bad
number first, refused next to the field and kept as typed); axe finds nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_admin import signed_in_phone
from tests.browser.test_callbacks import assert_axe_clean
from tests.browser.test_filing import assert_no_csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_admin_changes_when_complaints_reach_the_leaders(live_server, browser):
    context, admin = signed_in_phone(browser, live_server.url, "admin", "周管理", "/admin/accounts")
    try:
        admin.goto(f"{live_server.url}/admin/escalation")
        assert_axe_clean(admin)
        step = admin.locator("#step-complaint form")
        step.locator("input[name=leader_after_hours]").fill("9999")
        step.locator("button[type=submit]").click()
        field = admin.locator("input[name=leader_after_hours][aria-invalid=true]")
        expect(field).to_have_value("9999")  # kept as typed, next to its message
        assert_axe_clean(admin)
        field.fill("12")
        admin.locator("form:has(input[aria-invalid=true]) button[type=submit]").click()
        expect(admin.locator("#heading-complaint")).to_contain_text("超期 12 个工作小时后提请领导关注")
        assert admin.evaluate("document.documentElement.scrollWidth") <= 360
        assert_no_csp_violations(admin)
    finally:
        context.close()
