"""A moderator on a phone (390×844) accepts and assigns 20 new cases at once: each is done on its
own, and the ones a colleague dealt with meanwhile are listed with the reason."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from backend.cases import workflow
from backend.cases.actions import Reject
from backend.vocabulary import Status
from tests.browser.test_every_page import AXE, AXE_TAGS
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import filed, in_a_worker
from tests.browser.test_phone_staff import signed_in
from tests.cases.test_lifecycle import MODERATOR
from tests.live.test_workers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def rejected_by_a_colleague(numbers: list[str]) -> None:
    for number in numbers:
        await workflow.perform(number, Reject(text="重复反映，已另案办理"), MODERATOR)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_moderator_bulk_assigns_20_cases_on_a_phone(live_server, browser, settings, categories, locale):
    numbers = [in_a_worker(filed(settings, categories, f"路灯不亮第{n}处", Status.submitted)) for n in range(20)]
    moderator = in_a_worker(session_cookie(settings, "moderator"))
    page = signed_in(browser, live_server.url, moderator, locale)
    # The phone's live connection dropped: the queue still shows cases a colleague has since dealt with.
    page.context.route("**/moderation/events*", lambda route: route.abort())
    page.goto(f"{live_server.url}/moderation")

    for number in numbers:
        page.locator(f"#pick-new-{number}").check()
    in_a_worker(rejected_by_a_colleague(numbers[:3]))

    page.locator("#bulk-assign-box summary").click()
    page.locator("#assign-lead").select_option(str(categories["water"].department))
    page.locator("#assign-body").fill("请尽快处理" if locale == "zh-CN" else "Please see to it")
    submit = page.locator("#bulk-assign-submit")
    held = []  # the run, held on its way to the server: what the moderator sees while it works
    page.route("**/staff/bulk/assign", lambda route: held.append(route))
    submit.click()
    expect(page.locator("#bulk-assign-busy")).to_be_visible()
    expect(submit).to_be_disabled()
    for _ in range(200):  # the route's handler runs as Playwright next dispatches its events
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    outcome = page.locator("#bulk-result [data-bulk-outcome]")
    expect(outcome).to_be_focused(timeout=30_000)  # the outcome takes focus: read out, in view
    expect(page.locator("#bulk-assign-busy")).to_be_hidden()
    expect(submit).to_be_enabled()

    refused = outcome.locator(".bulk-refused li")
    expect(refused).to_have_count(3)
    reason = "诉求当前的状态下不能进行此操作" if locale == "zh-CN" else "This cannot be done while the case is in its current state."
    for index, number in enumerate(numbers[:3]):
        expect(refused.nth(index)).to_contain_text(number)
        expect(refused.nth(index)).to_contain_text(reason.rstrip("。."))
    expect(outcome.get_by_role("status")).to_contain_text("17")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.evaluate(AXE.read_text())
    result = page.evaluate(f"axe.run(document, {{runOnly: {json.dumps(AXE_TAGS)}}})")
    assert [violation["id"] for violation in result["violations"]] == []
    assert_no_csp_violations(page)

    # Through the table, one at a time: the 17 were accepted and assigned, the 3 stay rejected.
    page.goto(f"{live_server.url}/staff/cases/{numbers[3]}")
    expect(page.locator(".action-bar")).to_contain_text("已交办" if locale == "zh-CN" else "Assigned to a department")
    page.goto(f"{live_server.url}/staff/cases/{numbers[0]}")
    expect(page.locator(".action-bar")).to_contain_text("不予受理" if locale == "zh-CN" else "Not accepted")
