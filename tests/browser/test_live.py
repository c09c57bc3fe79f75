"""A public case page left open on a phone shows new progress by itself, without a reload:
the department's published post appears with a quiet notice, its internal note never does."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

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
