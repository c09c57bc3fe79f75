"""A citizen files a complaint with a photo from a phone, then opens the follow link."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def assert_no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.__cspViolations || []") == []


def test_file_a_complaint_with_a_photo_and_follow_it(live_server, phone, tmp_path):
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(jpeg(width=2000, height=1500, gps=(38.8739, 115.4646)))
    page = phone.new_page()
    page.goto(f"{live_server.url}/report")
    expect(page).to_have_title("我要反映问题 · 民生：反映问题，跟进到解决")

    page.get_by_label("投诉").check()
    page.get_by_label("问题分类").select_option(label="供水 (市自来水公司)")
    page.get_by_label("标题").fill("路口自来水管爆裂")
    page.get_by_label("问题描述").fill("路口东南角有自来水从地面冒出来，整个路口都是水，晚上会结冰。")
    page.get_by_label("问题地点").fill("朝阳大街与七一路交口")

    # The photo uploads as soon as it is chosen, and its GPS fills the map point.
    page.locator("#photo-input").set_input_files(str(photo))
    expect(page.locator(".photo-item img")).to_be_visible()
    expect(page.get_by_label("纬度")).to_have_value("38.8739")
    expect(page.get_by_label("经度")).to_have_value("115.4646")

    # Sending with contact details missing: errors, focus on them, nothing typed or uploaded lost.
    page.get_by_role("button", name="提交").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请告诉我们如何称呼您。")
    expect(page.get_by_label("标题")).to_have_value("路口自来水管爆裂")
    expect(page.locator(".photo-item")).to_have_count(1)

    page.get_by_label("您的姓名或称呼").fill("王先生")
    page.get_by_label("电话 *", exact=True).fill("13800138000")
    page.get_by_label("同意：受理后任何人都可以查看").check()
    page.get_by_role("button", name="提交").click()

    page.wait_for_url("**/follow/**")
    expect(page.get_by_role("heading", name="谢谢您")).to_contain_text("您的诉求编号是")
    follow_url = page.locator("#follow-url").input_value()
    assert follow_url.startswith(f"{live_server.url}/follow/")
    assert_no_csp_violations(page)

    later = phone.new_page()
    later.goto(follow_url)
    expect(later.get_by_role("heading", name="路口自来水管爆裂")).to_be_visible()
    expect(later.locator(".timeline")).to_contain_text("已提交，等待审核")
    image = later.locator(".gallery img")
    expect(image).to_be_visible()
    assert later.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
    assert "王先生" not in later.content() and "13800138000" not in later.content()
    assert_no_csp_violations(later)
    # Nothing on the page is wider than the phone's screen.
    assert later.evaluate("document.documentElement.scrollWidth") <= 360
