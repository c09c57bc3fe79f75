"""In Chromium, with passkeys: a representative files a suggestion with a PDF and invites a
member of the other body, who co-signs it; the lead submits it, and its page names both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_admin import signed_in_phone
from tests.representatives.helpers import TEXT, pdf

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def representative(browser: Browser, base_url: str, name: str, body: str, constituency: str):
    extra = ("--body", body, "--level", "city", "--constituency", constituency)
    return signed_in_phone(browser, base_url, "representative", name, "/representatives", *extra)


def test_a_representative_files_and_another_co_signs(live_server, browser, tmp_path):
    base = live_server.url
    co_context, co = representative(browser, base, "李委员", "cppcc", "经济界别")
    lead_context, lead = representative(browser, base, "王代表", "npc", "竞秀区第三选区")
    document = tmp_path / "方案.pdf"
    document.write_bytes(pdf())
    try:
        lead.get_by_role("button", name="提出建议").click()
        lead.locator("#field-title").fill("加快老城区雨污分流改造")
        lead.locator("#field-text").fill(TEXT)
        lead.locator("#field-category_id").select_option(index=1)
        lead.locator("#field-attachments").set_input_files(str(document))
        lead.get_by_label("可以：受理后任何人都可以查看").check()
        lead.get_by_role("button", name="保存草稿").click()
        lead.wait_for_url(re.compile(r".*/representatives/drafts/\d+$"))
        expect(lead.get_by_role("link", name="方案.pdf")).to_be_visible()
        invitee = lead.locator("#field-account_id option", has_text="李委员").get_attribute("value")
        lead.locator("#field-account_id").select_option(invitee)
        lead.get_by_role("button", name="邀请", exact=True).click()
        expect(lead.locator("#invited")).to_contain_text("已邀请，尚未联名")
        draft_url = lead.url

        co.goto(f"{base}/representatives")
        co.get_by_role("link", name="加快老城区雨污分流改造").click()
        co.get_by_role("button", name="联名这条建议").click()
        expect(co.locator("#co-signed")).to_be_visible()

        lead.goto(draft_url)
        expect(lead.locator("#invited")).to_contain_text("已联名")
        lead.get_by_role("button", name="提交建议").click()
        lead.wait_for_url(re.compile(r".*/representatives/suggestions/\d{4}-\d{6,}$"))
        expect(lead.locator("#lead-representative")).to_contain_text("王代表")
        expect(lead.locator("#co-signers")).to_contain_text("李委员")
        assert_no_csp_violations(lead)
        assert_no_csp_violations(co)
    finally:
        lead_context.close()
        co_context.close()
