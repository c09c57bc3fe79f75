"""The satisfaction loop in Chromium: on a phone the citizen rates the published answer 不满意
with a photo; the moderator finds the case in the queue and reopens it to the department, then
publishes the rating with the comment edited; the public page shows the published rating."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from backend.vocabulary import Status
from backend.cases.tables import Case
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_workflow import file_a_case, staff_phone
from tests.cases.test_lifecycle import bring_to
from tests.support import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def answer(department_id: int) -> str:
    """The department's reply to the case just filed, published by the centre (as the
    workflow test does in the browser)."""
    case = await Case.select(Case.number).order_by(Case.id, ascending=False).first()
    await bring_to(case["number"], Status.replied, department_id)
    return case["number"]


def test_an_unsatisfied_citizen_a_reopen_and_a_published_rating(live_server, browser, phone, categories):
    base = live_server.url
    follow_url = file_a_case(base, categories["water"].id)
    with ThreadPoolExecutor(1) as worker:  # Playwright's own event loop runs in this thread
        number = worker.submit(asyncio.run, answer(categories["water"].department)).result()

    citizen = phone.new_page()
    citizen.goto(follow_url)
    expect(citizen.get_by_role("heading", name="评价答复")).to_be_visible()
    citizen.get_by_role("button", name="提交评价").click()  # nothing chosen: refused, field by field
    expect(citizen.locator("[data-error-summary]")).to_contain_text("请选择您对答复的满意程度。")
    citizen.get_by_label("意见（可选）").fill("我是张女士，修完第二天又停电了。")
    citizen.get_by_label("不满意").check()
    citizen.get_by_label("问题没有解决").check()
    citizen.locator("#photo-input").set_input_files(files=[{"name": "again.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    expect(citizen.locator("#photo-list .photo-item")).to_have_count(1)
    citizen.get_by_role("button", name="提交评价").click()
    expect(citizen.get_by_text("感谢您评价答复。")).to_be_visible()
    expect(citizen.locator(".case-meta .status").first).to_have_text("反映人不满意，待平台中心处理")
    expect(citizen.locator(".ratings")).to_contain_text("不满意")
    assert citizen.viewport_size["width"] == 360
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    assert_no_csp_violations(citizen)

    moderator_context, moderator = staff_phone(browser, base, "moderator", "林审核")
    try:
        moderator.goto(f"{base}/moderation")
        expect(moderator.get_by_text("1 件诉求等待您处理。")).to_be_visible()
        moderator.get_by_role("link", name="小区停电三四天").click()
        expect(moderator.locator(".timeline")).to_contain_text("修完第二天又停电了")
        moderator.locator("details:has(form[action$='/reopen']) summary").click()
        moderator.locator("#reopen-body").fill("反映人反映再次停电，请重新检修。")
        moderator.locator("form[action$='/reopen'] button[type=submit]").click()
        expect(moderator.locator(".case-meta .status").first).to_have_text("已交办承办单位")
        expect(moderator.locator(".case-meta .badge").first).to_have_text("重办")

        moderator.goto(f"{base}/moderation/ratings")
        item = moderator.locator("article.review-item")
        expect(item).to_have_count(1)
        expect(item.locator(".gallery img")).to_have_count(1)
        item.get_by_label("要公开的意见（请删去个人信息；留空则只公开评价）").fill("修完第二天又停电了。")
        item.get_by_role("button", name="公开评价").click()
        expect(moderator.get_by_text("没有待公开的评价。")).to_be_visible()
        assert_no_csp_violations(moderator)
    finally:
        moderator_context.close()

    citizen.goto(f"{base}/cases/{number}")
    ratings = citizen.locator(".ratings")
    expect(ratings).to_contain_text("不满意")
    expect(ratings).to_contain_text("问题没有解决")
    expect(ratings).to_contain_text("修完第二天又停电了。")
    expect(ratings.locator(".gallery img")).to_have_count(1)
    expect(citizen.locator(".timeline")).to_contain_text("重办：退回承办单位重新办理")
    assert "张女士" not in citizen.content()
    citizen.close()
