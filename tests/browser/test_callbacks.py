"""Recording a callback (回访) on a phone (390×844): from the centre's callback queue to the case,
what the filer said, and the case out of the queue; axe finds nothing on either page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from backend import clock
from backend.cases import callbacks
from backend.cases.tables import Callback, Case
from backend.vocabulary import Status
from tests.browser.test_every_page import AXE, AXE_TAGS
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import filed, in_a_worker
from tests.browser.test_phone_staff import PHONE, signed_in
from tests.live.test_workers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def assert_axe_clean(page) -> None:
    page.evaluate(AXE.read_text())
    result = page.evaluate(f"axe.run(document, {{runOnly: {json.dumps(AXE_TAGS)}}})")
    assert [violation["id"] for violation in result["violations"]] == []


async def answered_by_phone(settings, categories) -> str:
    number = await filed(settings, categories, "小区二次供水水箱发臭", Status.replied)
    await Case.update({Case.source: "hotline"}).where(Case.number == number)
    await callbacks.queue_callbacks(clock.now())
    return number


async def what_was_recorded() -> dict:
    row = await Callback.select(Callback.satisfaction, Callback.solved, Callback.reached_at).first()
    return {"satisfaction": row["satisfaction"], "solved": row["solved"], "reached": row["reached_at"] is not None}


def test_the_centre_records_a_callback_on_a_phone(live_server, browser, settings, categories):
    number = in_a_worker(answered_by_phone(settings, categories))
    moderator = in_a_worker(session_cookie(settings, "moderator"))
    page = signed_in(browser, live_server.url, moderator)
    page.goto(f"{live_server.url}/moderation/callbacks")
    expect(page.get_by_role("heading", name="待回访 (1)")).to_be_visible()
    expect(page.locator("main")).to_contain_text("电话受理")
    assert_axe_clean(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("link", name=f"{number} · 小区二次供水水箱发臭").click()
    page.wait_for_url(f"**/staff/cases/{number}#action-record_callback")
    form = page.locator("#action-record_callback")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    form.get_by_label("基本满意").check()
    form.get_by_label("问题部分解决").check()
    form.get_by_label("回访记录（仅工作人员可见）").fill("市民表示水箱已清洗，但水仍有异味")
    assert_axe_clean(page)
    form.get_by_role("button", name="回访诉求人").click()
    page.wait_for_url(f"**/staff/cases/{number}#entry-*")
    expect(page.locator(".timeline")).to_contain_text("市民表示水箱已清洗")
    assert_no_csp_violations(page)
    assert in_a_worker(what_was_recorded()) == {"satisfaction": "basically_satisfied", "solved": "partly", "reached": True}

    page.goto(f"{live_server.url}/moderation/callbacks")
    expect(page.get_by_role("heading", name="待回访 (0)")).to_be_visible()
