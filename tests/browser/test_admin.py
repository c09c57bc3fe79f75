"""In Chromium on a phone: an admin sets up a district with a street and a category (a clash
first, shown next to the field); the moderator then puts a filed case in that street."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_passkeys import invitation_url, with_virtual_authenticator
from tests.browser.test_workflow import file_a_case, open_action

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def signed_in_phone(browser: Browser, base_url: str, role: str, name: str, home: str, *extra: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    with_virtual_authenticator(context, page)
    page.goto(invitation_url(base_url, role, name, *extra))
    page.get_by_role("button", name="创建通行密钥并登录").click()
    page.wait_for_url(f"{base_url}{home}")
    return context, page


def add(page, fields: dict[str, str], choices: dict[str, str] | None = None) -> None:
    """Open the form to add one (unless it is open with errors), type, choose, and send it."""
    form = page.locator("details.admin-create")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    for label, option in (choices or {}).items():
        form.get_by_label(label).select_option(label=option)
    form.locator("button[type=submit]").click()


def test_an_admin_sets_up_areas_and_a_category_that_the_moderator_uses(live_server, browser, categories):
    base = live_server.url
    admin_context, admin = signed_in_phone(browser, base, "admin", "周管理", "/admin/accounts")
    moderator_context, moderator = signed_in_phone(browser, base, "moderator", "林审核", "/moderation")
    try:
        admin.get_by_role("link", name="区域", exact=True).click()
        add(admin, {"中文名称": "竞秀区", "英文名称": "Jingxiu District", "简称": "jingxiu"})
        add(admin, {"中文名称": "东风街道", "英文名称": "Dongfeng Subdistrict", "简称": "dongfeng"}, {"所属区县": "竞秀区"})
        expect(admin.locator(".area-tree ul").get_by_role("link", name="东风街道")).to_be_visible()

        admin.get_by_role("link", name="问题分类", exact=True).click()
        add(admin, {"中文名称": "供水", "简称": "street-lights"})
        expect(admin.get_by_text("该名称已被使用，请换一个。").first).to_be_visible()
        expect(admin.get_by_label("简称")).to_have_value("street-lights")  # kept as typed
        add(admin, {"中文名称": "路灯"}, {"通常承办的单位": "市政设施管理处"})
        expect(admin.get_by_role("link", name="路灯")).to_be_visible()
        assert_no_csp_violations(admin)

        file_a_case(base, categories["water"].id)
        moderator.goto(f"{base}/moderation")
        moderator.get_by_role("link", name="小区停电三四天").click()
        open_action(moderator, "accept")
        moderator.get_by_label("所在区县和街道/乡镇", exact=True).select_option(label="东风街道")
        moderator.get_by_label("问题分类", exact=True).select_option(label="路灯")
        moderator.locator("form[action$='/accept'] button[type=submit]").click()
        expect(moderator.get_by_text("竞秀区 · 东风街道")).to_be_visible()
        expect(moderator.locator(".case-meta").first).to_contain_text("路灯")
        assert_no_csp_violations(moderator)
    finally:
        admin_context.close()
        moderator_context.close()
