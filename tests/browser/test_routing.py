"""Routing rules on a phone-sized screen: the moderation queue shows a rule's suggestion with its
reason, and the moderator takes it with one button; axe finds nothing on either page."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from backend.accounts.audit import Who
from backend.departments.services import AreaForm, create_area
from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.browser.test_every_page import AXE, AXE_TAGS
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import in_a_worker
from tests.cases.test_filing import file, form
from tests.live.test_workers import session_cookie
from tests.routing.helpers import rule

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _suggested_case(settings, categories) -> tuple[str, int]:
    """A roads case in a street of Jingxiu, and the rule for roads in Jingxiu."""
    admin = Who(None, "test admin")
    jingxiu = await create_area(AreaForm(name="竞秀区", name_en="Jingxiu District", slug="jingxiu"), actor=admin)
    dongfeng = await create_area(AreaForm(name="东风街道", name_en="Dongfeng", slug="dongfeng", parent_id=str(jingxiu)), actor=admin)
    roads = categories["roads"]
    rule_id = await rule(roads.department, roads.id, jingxiu, co=[categories["water"].department])
    filed = await file(settings, form(roads, title="东风路路面塌陷", area_id=str(dongfeng)))
    return filed.number, rule_id


def assert_axe_clean(page) -> None:
    page.evaluate(AXE.read_text())
    result = page.evaluate(f"axe.run(document, {{runOnly: {json.dumps(AXE_TAGS)}}})")
    assert [violation["id"] for violation in result["violations"]] == []


def test_a_moderator_takes_a_rule_s_suggestion_from_the_queue(live_server, browser, settings, categories):
    number, rule_id = in_a_worker(_suggested_case(settings, categories))
    cookies = in_a_worker(session_cookie(settings, "moderator"))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_cookies([{"name": name, "value": value, "url": live_server.url} for name, value in cookies.items()])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/moderation")
        card = page.locator(f"#new-{number}")
        expect(card).to_contain_text(f"规则 {rule_id}：道路 在 竞秀区")
        expect(card).to_contain_text("建议派往： 市政设施管理处")
        expect(card).to_contain_text("协办： 市自来水公司")
        assert_axe_clean(page)
        card.get_by_role("button", name=f"按建议受理并派发 {number}").click()
        page.wait_for_url(re.compile(rf"/staff/cases/{number}#entry-\d+$"))
        expect(page.locator("#case-status")).to_have_text("已交办承办单位")
        expect(page.get_by_text(f"规则 {rule_id}：道路 在 竞秀区")).to_be_visible()
        assert_axe_clean(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_no_csp_violations(page)
    finally:
        context.close()
