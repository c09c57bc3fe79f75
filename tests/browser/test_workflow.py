"""The two main hand-offs in Chromium: the moderator accepts a filed case, blacks out part of
its photo and assigns it; the department signs, posts progress with a photo and drafts a reply;
the moderator edits and publishes it; the citizen's follow page and the public page show the
published reply and the redacted photo, never the draft or the original."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_passkeys import invitation_url, with_virtual_authenticator
from tests.support import jpeg, report_fields, submission_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def file_a_case(base_url: str, category_id: int) -> str:
    """A citizen files, with a photo, from another client; returns the private follow URL."""
    with httpx.Client(base_url=base_url) as http:
        form = http.get("/report").text
        uploaded = http.post("/photos", files={"photos": ("IMG_1.jpg", jpeg(colour=(250, 250, 250)), "image/jpeg")})
        photo_key = uploaded.text.split('name="photo_key" value="')[1].split('"')[0]
        fields = {**report_fields(category_id, title="小区停电三四天"), "submission_key": submission_key(form), "photo_key": photo_key}
        response = http.post("/report", data=fields)
        assert response.status_code == 303
        return base_url + response.headers["location"].split("?")[0]


def act(page, action: str) -> None:
    """Open an action's section and send its form."""
    page.locator(f"details:has(form[action$='/{action}']) summary").click()
    page.locator(f"form[action$='/{action}'] button[type=submit]").click()


def open_action(page, action: str) -> None:
    page.locator(f"details:has(form[action$='/{action}']) summary").click()


def staff_phone(browser: Browser, base_url: str, role: str, name: str, *extra: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    with_virtual_authenticator(context, page)
    page.goto(invitation_url(base_url, role, name, *extra))
    page.get_by_role("button", name="创建通行密钥并登录").click()
    page.wait_for_url(f"{base_url}/{'moderation' if role == 'moderator' else 'department'}")
    return context, page


def test_from_filing_to_a_published_reply(live_server, browser, categories):
    base = live_server.url
    follow_url = file_a_case(base, categories["water"].id)
    number = None
    moderator_context, moderator = staff_phone(browser, base, "moderator", "林审核")
    handler_context, handler = staff_phone(browser, base, "handler", "赵办理", "--department", "water")
    try:
        # The moderator finds the case in the queue, accepts and assigns it.
        moderator.goto(f"{base}/moderation")
        moderator.get_by_role("link", name="小区停电三四天").click()
        number = moderator.url.rsplit("/", 1)[1]
        # Staff see the filer's contact masked (under "for staff only", folded), and reveal it for
        # a reason the filer will read.
        moderator.locator(".staff-facts summary").click()
        contact = moderator.locator("#filer-contact")
        expect(contact).to_contain_text("张**")
        expect(contact).to_contain_text("138****8000")
        contact.get_by_label("查看完整姓名和电话的原因").select_option("verify")
        contact.get_by_role("button", name="显示并拨号").click()
        expect(moderator.locator("#filer-contact a[href='tel:138 0013 8000']")).to_be_visible()
        expect(moderator.locator("#filer-contact")).to_contain_text("张女士")
        act(moderator, "accept")

        # A face in the photo: the moderator drags over it to black it out for the public.
        moderator.locator(".photo-moderation summary").click()
        canvas = moderator.locator(".black-out-canvas img")
        box = canvas.bounding_box()
        moderator.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
        moderator.mouse.down()
        moderator.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6, steps=5)
        moderator.mouse.up()
        assert abs(float(moderator.locator("input[name=region_x]").input_value()) - 20) < 1.5
        assert abs(float(moderator.locator("input[name=region_height]").input_value()) - 30) < 1.5
        expect(moderator.locator("[data-black-out-mark]")).to_be_visible()
        original = moderator.locator(".case-detail > .gallery > li > a img").get_attribute("src")
        moderator.get_by_role("button", name="遮挡这一部分").click()
        expect(moderator.get_by_role("link", name="公众看到的照片（部分已遮挡）")).to_be_visible()
        assert moderator.locator(".case-detail > .gallery > li > a img").get_attribute("src") == original  # staff keep the original

        open_action(moderator, "assign")
        moderator.get_by_label("主办单位").select_option(label="市自来水公司")
        moderator.locator("form[action$='/assign'] button[type=submit]").click()
        expect(moderator.locator(".case-meta .status").first).to_have_text("已交办承办单位")
        assert_no_csp_violations(moderator)

        # The department signs, posts progress and drafts the official reply.
        handler.goto(f"{base}/department")
        handler.get_by_role("link", name="小区停电三四天").click()
        act(handler, "sign")

        # The filer's follow page, open on their phone, shows the department's reveal live.
        filer = browser.new_page(locale="zh-CN")
        filer.goto(follow_url)
        filer.evaluate("window.__sameDocument = true")
        filer.wait_for_function("document.querySelector('[sse-connect]') && htmx && true")
        filer.wait_for_timeout(500)  # the stream is open
        handler.locator(".staff-facts summary").click()
        handler.locator("#filer-contact").get_by_label("查看完整姓名和电话的原因").select_option("contact")
        handler.locator("#filer-contact").get_by_role("button", name="显示并拨号").click()
        expect(handler.locator("#filer-contact a[href^='tel:']")).to_be_visible()
        expect(filer.locator(".timeline")).to_contain_text("联系方式已向工作人员显示：为就本案联系诉求人")
        assert filer.evaluate("window.__sameDocument") is True  # arrived without a reload
        filer.close()
        open_action(handler, "post_progress")
        handler.locator("#post_progress-body").fill("21:00 抢修人员已到场")
        handler.locator("#post_progress-photo-input").set_input_files(files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        expect(handler.locator("#post_progress-photo-list .photo-item")).to_have_count(1)
        handler.locator("form[action$='/post_progress'] button[type=submit]").click()
        open_action(handler, "draft_reply")
        handler.locator("#draft_reply-body").fill("线路已修复，02:40恢复供电。")
        handler.locator("form[action$='/draft_reply'] button[type=submit]").click()
        expect(handler.locator(".timeline")).to_contain_text("待审核")
        assert_no_csp_violations(handler)

        # The moderator publishes the progress post and an edited reply.
        moderator.goto(f"{base}/moderation/review")
        items = moderator.locator("article.review-item")
        expect(items).to_have_count(2)
        items.nth(0).get_by_role("button", name="原样发布").click()
        expect(moderator.locator("article.review-item")).to_have_count(1)
        reply = moderator.locator("article.review-item").first
        reply.get_by_label("要发布的文字（可修改）").fill("线路已于凌晨2:40修复，小区已恢复供电。")
        reply.get_by_role("button", name="发布修改后的文字").click()
        expect(moderator.get_by_text("没有待审核的内容。")).to_be_visible()

        # The citizen and the public see the published reply, never the draft.
        citizen = browser.new_page(locale="zh-CN")
        for url in (follow_url, f"{base}/cases/{number}"):
            citizen.goto(url)
            timeline = citizen.locator(".timeline")
            expect(timeline).to_contain_text("线路已于凌晨2:40修复，小区已恢复供电。")
            expect(timeline).to_contain_text("21:00 抢修人员已到场")
            expect(timeline).not_to_contain_text("02:40恢复供电")
            expect(citizen.locator(".case-meta .status").first).to_have_text("已答复")
            expect(timeline.locator(".gallery img")).to_have_count(1)  # the progress post's photo
            assert citizen.locator(".case-detail > .gallery > li > a img").get_attribute("src") != original
            assert "张女士" not in citizen.content() and original not in citizen.content()
        citizen.close()
    finally:
        moderator_context.close()
        handler_context.close()
