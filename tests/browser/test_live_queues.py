"""Staff queues left open take new work by themselves (the morph swap, idiomorph): a handler's
``/department`` shows a case the moderator has just assigned, and ``/moderation`` a case just
filed, without a reload, with focus where it was and no script error. The first block of either
queue changes each time, the case that broke the hand-written merge."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import expect

from backend.vocabulary import Status
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.live.test_workers import session_cookie
from tests.support import report_fields, submission_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def in_a_worker(coroutine):
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        return worker.submit(asyncio.run, coroutine).result()


async def filed(settings, categories, title: str, status: Status) -> str:
    case = await file(settings, form(categories["water"], title=title))
    await bring_to(case.number, status, categories["water"].department)
    return case.number


def open_page(browser, base_url: str, cookies: dict, path: str):
    """A staff page on a phone, recording script errors and CSP violations, with its stream open."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_cookies([{"name": name, "value": value, "url": base_url} for name, value in cookies.items()])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + path)
    page.evaluate("window.__sameDocument = true")
    page.wait_for_function("window.Idiomorph && htmx && document.querySelector('[sse-connect]')")
    page.wait_for_timeout(500)  # the stream is open
    return page, errors


def assert_updated_in_place(page, errors: list[str], focused_href: str) -> None:
    assert errors == []
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("document.activeElement.getAttribute('href')") == focused_href
    assert_no_csp_violations(page)


def test_a_handler_sees_a_newly_assigned_case_without_reload(live_server, browser, settings, categories):
    department = categories["water"].department
    waiting = in_a_worker(filed(settings, categories, "老小区水压太低", Status.assigned))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    moderator = in_a_worker(session_cookie(settings, "moderator"))
    page, errors = open_page(browser, live_server.url, handler, "/department")
    to_do = page.locator("#queue-to-do")
    expect(to_do.locator("li.case-card")).to_have_count(1)
    page.get_by_role("link", name="老小区水压太低").focus()

    number = in_a_worker(filed(settings, categories, "消火栓漏水三天", Status.accepted))
    with httpx.Client(base_url=live_server.url, cookies=moderator) as http:
        response = http.post(f"/staff/cases/{number}/assign", data={"department_id": str(department)})
        assert response.status_code == 303, response.text

    expect(to_do).to_contain_text("消火栓漏水三天", timeout=10_000)
    expect(to_do.locator("li.case-card")).to_have_count(2)
    expect(page.locator("[data-live-notice]")).to_contain_text("新的待办")
    expect(page.locator("#department-counts")).to_contain_text("2")
    assert_updated_in_place(page, errors, f"/staff/cases/{waiting}")


def test_the_moderation_queue_takes_a_new_case_without_reload(live_server, browser, settings, categories):
    earlier = in_a_worker(filed(settings, categories, "路灯不亮", Status.submitted))
    moderator = in_a_worker(session_cookie(settings, "moderator"))
    page, errors = open_page(browser, live_server.url, moderator, "/moderation")
    new = page.locator("#queue-new")
    expect(new.locator("li.case-card")).to_have_count(1)
    page.get_by_role("link", name="路灯不亮").focus()

    # Filed through the server, as a citizen does (the server hears its own changes at once).
    with httpx.Client(base_url=live_server.url) as http:
        key = submission_key(http.get("/report").text)
        fields = {**report_fields(categories["water"].id, title="井盖缺失有人掉下去"), "submission_key": key}
        assert http.post("/report", data=fields).status_code == 303

    expect(new).to_contain_text("井盖缺失有人掉下去", timeout=10_000)
    expect(new.locator("li.case-card")).to_have_count(2)
    expect(page.locator("[data-live-notice]")).to_contain_text("新的待办")
    assert_updated_in_place(page, errors, f"/staff/cases/{earlier}")


def test_text_typed_in_the_review_queue_survives_new_posts(live_server, browser, settings, categories):
    department = categories["water"].department
    # bring_to(in_progress) leaves its progress post waiting for review: the first item.
    first = in_a_worker(filed(settings, categories, "路灯不亮", Status.in_progress))
    second = in_a_worker(filed(settings, categories, "井盖缺失有人掉下去", Status.signed))
    moderator = in_a_worker(session_cookie(settings, "moderator"))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    page, errors = open_page(browser, live_server.url, moderator, "/moderation/review")
    items = page.locator("article.review-item")
    expect(items).to_have_count(1)
    edited = items.first.locator("textarea[name=text]")
    edited.fill("已修好路灯（审核时改写）")
    comment = items.first.locator("textarea[name=comment]")
    comment.fill("请补一张照片")  # typed, then focus left it for the comment box
    comment.press("End")

    with httpx.Client(base_url=live_server.url, cookies=handler) as http:
        response = http.post(f"/staff/cases/{second}/post_progress", data={"body": "18:10 已放置警示锥", "internal": "false"})
        assert response.status_code == 303, response.text

    expect(items).to_have_count(2, timeout=10_000)
    expect(page.locator("article.review-item", has_text=second)).to_contain_text("18:10 已放置警示锥")
    expect(page.locator("article.review-item", has_text=first).locator("textarea[name=text]")).to_have_value("已修好路灯（审核时改写）")
    expect(page.locator("article.review-item", has_text=first).locator("textarea[name=comment]")).to_have_value("请补一张照片")
    assert errors == []
    assert page.evaluate("document.activeElement.name") == "comment"
    assert page.evaluate("window.__sameDocument") is True
    assert_no_csp_violations(page)
