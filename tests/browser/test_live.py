"""Pages left open on a phone show new progress by themselves, without a reload: on a public
case page the department's published post appears with a quiet notice, its internal note never
does; on the filer's page the published answer brings its rating form to the top."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import expect

from backend.cases.tables import TimelineEntry
from backend.vocabulary import Status
from tests.browser.test_filing import assert_no_csp_violations
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.live.test_workers import act_over_http, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def signed_case(settings, categories):
    """A public case the department signed for, and a leader's and a handler's sessions."""
    filed = await file(settings, form(categories["water"], title="暖气不热"))
    department = categories["water"].department
    await bring_to(filed.number, Status.signed, department)
    return filed.number, await session_cookie(settings, "leader"), await session_cookie(settings, "handler", department_id=department)


def test_a_case_page_updates_without_reload(live_server, phone, settings, categories):
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        number, leader, handler = worker.submit(asyncio.run, signed_case(settings, categories)).result()
    page = phone.new_page()
    page.goto(f"{live_server.url}/cases/{number}")
    page.evaluate("window.__sameDocument = true")
    timeline = page.locator(".timeline")
    expect(timeline.locator("li")).to_have_count(4)
    page.wait_for_function("document.querySelector('[sse-connect]') && htmx && true")
    page.wait_for_timeout(500)  # the stream is open

    act_over_http(live_server.url, handler, number, "post_internal_note", "内部：锅炉房缺人")
    act_over_http(live_server.url, leader, number, "instruct", "14:07 请今晚恢复供暖")
    expect(timeline).to_contain_text("14:07 请今晚恢复供暖", timeout=10_000)
    expect(timeline.locator("li.is-new")).to_have_count(1)
    expect(page.locator("#live-notice")).to_contain_text("新进展")
    expect(timeline).not_to_contain_text("锅炉房")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("document.activeElement === document.body")  # focus was not taken
    assert_no_csp_violations(page)


async def pending_text() -> dict:
    return await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()


def publish_answer(base_url: str, handler: dict, moderator: dict, number: str) -> None:
    """Over HTTP, as the staff would: the server announces it to its streams at once (a change
    made beside it reaches it only by its poll, which counts entry ids)."""
    act_over_http(base_url, handler, number, "draft_reply", "管道已于今日修复，请查看。")
    with ThreadPoolExecutor(1) as worker:
        pending = worker.submit(asyncio.run, pending_text()).result()
    with httpx.Client(base_url=base_url, cookies=moderator) as http:
        assert http.post(f"/moderation/review/{pending['id']}", data={"decision": "approve"}).status_code == 303


def test_the_filers_page_puts_the_answer_and_its_rating_form_first_when_it_arrives(live_server, phone, settings, categories):
    """The filer left the follow page open: when the answer is published, the rating form
    appears at the top by itself, and works."""
    department = categories["water"].department
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        filed = worker.submit(asyncio.run, file(settings, form(categories["water"], title="暖气不热"))).result()
        worker.submit(asyncio.run, bring_to(filed.number, Status.signed, department)).result()
        handler = worker.submit(asyncio.run, session_cookie(settings, "handler", department_id=department)).result()
        moderator = worker.submit(asyncio.run, session_cookie(settings, "moderator")).result()
    page = phone.new_page()
    page.goto(f"{live_server.url}/follow/{filed.follow_token}")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#rating-form")).to_have_count(0)
    page.wait_for_function("document.querySelector('[sse-connect]') && htmx && true")
    page.wait_for_timeout(500)  # the stream is open
    publish_answer(live_server.url, handler, moderator, filed.number)
    expect(page.locator(".timeline")).to_contain_text("管道已于今日修复", timeout=10_000)
    form_ = page.locator("#answer-published #rating-form")
    expect(form_).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload
    top = page.locator("#answer-published").bounding_box()["y"]
    assert top < page.locator(".timeline").bounding_box()["y"]  # before the case and its timeline
    form_.get_by_role("radio", name="满意", exact=True).check()
    form_.get_by_role("radio", name="问题已解决", exact=True).check()
    form_.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您评价答复。")).to_be_visible()
    assert_no_csp_violations(page)


def test_a_filer_remembers_cases_on_this_device_and_sees_where_each_stands(live_server, phone, settings, categories):
    """Opt-in, kept in the browser alone: the list shows each case's status from its follow
    page; a link that no longer works says so and can be forgotten."""
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        first = worker.submit(asyncio.run, file(settings, form(categories["water"], title="暖气不热"))).result()
        second = worker.submit(asyncio.run, file(settings, form(categories["water"], title="路灯不亮"))).result()
        worker.submit(asyncio.run, bring_to(second.number, Status.accepted, categories["water"].department)).result()
    page = phone.new_page()
    for filed in (first, second):
        page.goto(f"{live_server.url}/follow/{filed.follow_token}")
        page.get_by_role("button", name="在本设备上记住这件诉求").click()
        expect(page.get_by_text("已在本设备上记住。")).to_be_visible()
    page.evaluate("localStorage.setItem('minsheng.myCases', JSON.stringify(JSON.parse(localStorage.getItem('minsheng.myCases')).concat(['x'.repeat(43)])))")
    page.goto(f"{live_server.url}/my-cases")
    items = page.locator("[data-my-cases] > li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("路灯不亮")  # the latest remembered first
    expect(items.nth(0)).to_contain_text("已受理")
    expect(items.nth(1)).to_contain_text("暖气不热")
    expect(items.nth(2)).to_contain_text("这个链接已无法打开诉求")
    expect(page.locator("[data-my-cases] > li[aria-busy]")).to_have_count(0)  # every card came, or said why not
    items.nth(2).get_by_role("button", name="不再记住").click()
    expect(items).to_have_count(2)
    assert page.evaluate("JSON.parse(localStorage.getItem('minsheng.myCases')).length") == 2
    items.nth(1).get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/follow/{first.follow_token}")
    assert_no_csp_violations(page)
