"""Filing by keyboard alone, as a screen-reader user moves: every control reached with Tab,
choices made with the arrow keys and Space, errors announced, focus moved to them, each error a
link to its field, and each field naming its own error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_filing import assert_no_csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused control's accessible name contains ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            """() => { const el = document.activeElement;
                 const labels = el.labels ? Array.from(el.labels).map(l => l.textContent).join(" ") : "";
                 return [labels, el.getAttribute("aria-label") || "", el.textContent || ""].join(" "); }"""
        )
        if name in label:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_file_a_complaint_with_the_keyboard_alone(live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server.url}/report")

    tab_to(page, "投诉")
    page.keyboard.press("Space")
    tab_to(page, "问题分类")
    page.keyboard.press("ArrowDown")  # the first category
    tab_to(page, "标题")
    page.keyboard.type("路灯不亮")
    tab_to(page, "问题描述")
    page.keyboard.type("小区门口的路灯坏了一个星期，晚上很黑。")
    # Sent without a place or contact details: the errors are announced and focused.
    tab_to(page, "提交")
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert summary.get_attribute("role") == "alert"
    expect(page.get_by_label("标题")).to_have_value("路灯不亮")

    # Each error links to its field, and the field names its error for the screen reader.
    page.keyboard.press("Tab")
    first_error = page.evaluate("document.activeElement.getAttribute('href')")
    assert first_error == "#field-address"
    page.keyboard.press("Enter")
    address = page.get_by_label("问题地点")
    expect(address).to_have_attribute("aria-invalid", "true")
    described = page.locator("#" + address.get_attribute("aria-describedby"))
    expect(described).to_have_text("请填写问题所在位置（地址或附近的地标）。")

    expect(address).to_be_focused()  # the link took the keyboard to the field
    page.keyboard.type("东风路12号")
    tab_to(page, "您的姓名或称呼")
    page.keyboard.type("李先生")
    tab_to(page, "电话")
    page.keyboard.type("13800138000")
    tab_to(page, "同意：受理后任何人都可以查看")
    page.keyboard.press("Space")
    tab_to(page, "提交")
    page.keyboard.press("Enter")
    page.wait_for_url("**/follow/**")
    expect(page.get_by_role("heading", name="谢谢您")).to_be_visible()
    assert_no_csp_violations(page)
