"""A disputed rating on phones (390×844): the lead department disputes what the filer said on a
callback, the centre sees the decision offered only now and upholds it; axe finds nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.cases import actions, workflow
from backend.cases.tables import RatingDispute
from tests.browser.test_callbacks import answered_by_phone, assert_axe_clean
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import in_a_worker
from tests.browser.test_phone_staff import signed_in
from tests.cases.test_lifecycle import MODERATOR
from tests.live.test_workers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def called_back(settings, categories) -> str:
    number = await answered_by_phone(settings, categories)
    await workflow.perform(number, actions.RecordCallback(satisfaction="basically_satisfied", solved="partly"), MODERATOR)
    return number


async def dispute_status() -> str | None:
    row = await RatingDispute.select(RatingDispute.status).first()
    return row["status"] if row else None


def open_form(page, action: str):
    form = page.locator(f"#action-{action}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    return form


def test_a_department_disputes_a_rating_and_the_centre_upholds_it(live_server, browser, settings, categories):
    number = in_a_worker(called_back(settings, categories))
    handler = signed_in(browser, live_server.url, in_a_worker(session_cookie(settings, "handler", department_id=categories["water"].department)))
    moderator = signed_in(browser, live_server.url, in_a_worker(session_cookie(settings, "moderator")))
    moderator.goto(f"{live_server.url}/staff/cases/{number}")
    expect(moderator.locator("#action-uphold_dispute")).to_have_count(0)  # no dispute waits

    handler.goto(f"{live_server.url}/staff/cases/{number}")
    form = open_form(handler, "dispute_rating")
    form.locator("textarea").fill("水箱已于周二清洗并检测合格")
    assert_axe_clean(handler)
    form.locator("button[type=submit]").click()
    expect(handler.locator(".timeline")).to_contain_text("水箱已于周二清洗并检测合格")
    assert in_a_worker(dispute_status()) == "pending"

    moderator.goto(f"{live_server.url}/staff/cases/{number}")
    open_form(moderator, "uphold_dispute").locator("button[type=submit]").click()
    expect(moderator.locator("#action-uphold_dispute")).to_have_count(0)
    assert in_a_worker(dispute_status()) == "upheld"
    assert_axe_clean(moderator)
    assert_no_csp_violations(handler)
    assert_no_csp_violations(moderator)
