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
