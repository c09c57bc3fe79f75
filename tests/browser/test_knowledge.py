"""The knowledge base and reply templates on phone-sized screens: the report form offers answers
as the citizen types; the centre answers a consultation from an entry; a department fills a
reply template in for its case and edits it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from backend.vocabulary import Status
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_workflow import open_action, staff_phone
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.knowledge.helpers import entry, template

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def in_worker(coroutine_function, *args):
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        return worker.submit(asyncio.run, coroutine_function(*args)).result()


async def _consultation(settings, categories):
    return await file(settings, form(categories["water"], case_type="consultation", title="请问居住证在哪里办"))


async def _signed_case(settings, categories) -> str:
    filed = await file(settings, form(categories["water"], filer_name="王女士"))
    await bring_to(filed.number, Status.signed, categories["water"].department)
    return filed.number


def test_the_report_form_offers_answers_as_the_citizen_types(live_server, phone):
    in_worker(entry)
    page = phone.new_page()
    page.goto(f"{live_server.url}/report")
    page.get_by_label("标题").fill("想问居住证怎么办")
    suggestions = page.locator("#answer-suggestions")
    expect(suggestions).to_contain_text("这些可能已经回答了你的问题")
    expect(suggestions.get_by_role("link", name="居住证怎么办理？")).to_have_attribute("target", "_blank")
    expect(page.get_by_label("标题")).to_have_value("想问居住证怎么办")  # what was typed stays
    assert_no_csp_violations(page)


def test_the_centre_answers_a_consultation_from_an_entry(live_server, browser, settings, categories):
    in_worker(entry)
    filed = in_worker(_consultation, settings, categories)
    context, moderator = staff_phone(browser, live_server.url, "moderator", "林审核")
    try:
        moderator.goto(f"{live_server.url}/staff/cases/{filed.number}")
        open_action(moderator, "answer_from_knowledge")
        moderator.get_by_label("答复此诉求的知识库条目").select_option(label="居住证怎么办理？")
        moderator.locator("form[action$='/answer_from_knowledge'] button[type=submit]").click()
        expect(moderator.locator("#case-status")).to_have_text("已答复")
        assert_no_csp_violations(moderator)
    finally:
        context.close()
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    citizen.goto(f"{live_server.url}/follow/{filed.follow_token}")
    expect(citizen.get_by_text("派出所户籍窗口")).to_be_visible()
    citizen.get_by_role("link", name="在知识库中查看此答复").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("居住证怎么办理？")


def test_a_department_fills_in_a_reply_template_and_edits_it(live_server, browser, settings, categories):
    number = in_worker(_signed_case, settings, categories)
    in_worker(template)
    context, handler = staff_phone(browser, live_server.url, "handler", "赵办理", "--department", "water")
    try:
        handler.goto(f"{live_server.url}/staff/cases/{number}")
        open_action(handler, "draft_reply")
        handler.get_by_label("从答复模板开始（可选）").select_option(label="已处理完毕 (平台中心的)")
        handler.get_by_role("button", name="填入模板").click()
        body = handler.locator("#draft_reply-body")
        expect(body).to_have_value(f"王女士您好，您反映的问题（编号{number}）已由市自来水公司处理完毕。感谢您的监督。")
        body.press("End")
        body.type("3日上午已更换破裂的水管。")
        handler.locator("form[action$='/draft_reply'] button[type=submit]").last.click()
        expect(handler.get_by_text("3日上午已更换破裂的水管。")).to_be_visible()
        assert_no_csp_violations(handler)
    finally:
        context.close()
