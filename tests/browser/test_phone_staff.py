"""Staff pages on a phone (390×844: the handlers work on site): the case page puts the state,
the time left and the next likely steps first, in a bar that stays on screen; posting progress
with a photo takes one screen; the navigation folds into a menu that keeps its counts."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from backend.vocabulary import Status
from tests.browser.test_filing import assert_no_csp_violations
from tests.browser.test_live_queues import filed, in_a_worker
from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.browser.test_every_page import AXE, AXE_TAGS, STICKING_OUT
from tests.live.test_workers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def signed_in(browser, base_url: str, cookies: dict, locale: str = "zh-CN"):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_cookies([{"name": name, "value": value, "url": base_url} for name, value in cookies.items()])
    return context.new_page()


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_a_handler_acts_on_a_case_from_the_first_screen(live_server, browser, settings, categories):
    department = categories["water"].department
    number = in_a_worker(filed(settings, categories, "小区二次供水水箱发臭", Status.signed))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    page = signed_in(browser, live_server.url, handler)
    page.goto(f"{live_server.url}/staff/cases/{number}")

    bar = page.locator(".action-bar")
    expect(bar).to_contain_text("承办单位已签收")
    expect(bar).to_contain_text("期限")  # the time left on the clock that runs next
    # The next likely steps of a signed case, from the lifecycle table; not returning it.
    steps = bar.get_by_role("navigation")
    for label in ("承办单位已联系反映人", "办理进展", "正式答复"):
        expect(steps).to_contain_text(label)
    expect(steps).not_to_contain_text("承办单位退回")
    progress = steps.get_by_role("button", name="办理进展")
    assert progress.bounding_box()["y"] + progress.bounding_box()["height"] <= PHONE["height"]
    print(f"\naction bar: top {box(page, '.action-bar')['y']:.0f} px, bottom {box(page, '.action-bar')['y'] + box(page, '.action-bar')['height']:.0f} px")

    # It stays on screen while the case scrolls under it (small beside the screen: a third at most).
    expect(bar).to_have_class(re.compile(r"\bstays\b"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert 0 <= box(page, ".action-bar")["y"] <= 1

    # One tap opens the progress form; text, a photo and the button fit on one screen.
    progress.click()
    form = page.locator("#action-post_progress")
    expect(form).to_have_attribute("open", "")
    expect(page.locator("#post_progress-body")).to_be_focused()
    page.locator("#post_progress-body").fill("17:40 已清洗水箱，正在消毒")
    submit = page.locator("#post_progress-submit")
    submit.scroll_into_view_if_needed()
    summary_top = box(page, "#action-post_progress summary")["y"]
    bottom = box(page, "#post_progress-submit")["y"] + box(page, "#post_progress-submit")["height"]
    bar_bottom = box(page, ".action-bar")["y"] + box(page, ".action-bar")["height"]
    print(f"progress form: {bottom - summary_top:.0f} px tall under a {bar_bottom:.0f} px bar")
    assert bottom - summary_top <= PHONE["height"] - bar_bottom
    expect(page.locator("#post_progress-photo-input")).to_be_visible()
    submit.click()
    page.wait_for_url(f"**/staff/cases/{number}#entry-*")
    expect(page.locator(".timeline")).to_contain_text("已清洗水箱")
    assert_no_csp_violations(page)


def test_the_navigation_folds_into_a_menu_that_keeps_the_counts(live_server, browser, settings, categories):
    department = categories["water"].department
    in_a_worker(filed(settings, categories, "小区二次供水水箱发臭", Status.assigned))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    page = signed_in(browser, live_server.url, handler)
    page.goto(f"{live_server.url}/department")
    header = box(page, ".site-header")
    print(f"\nstaff header at 390 px: {header['height']:.0f} px tall")
    assert header["height"] < 140  # two rows: the brand and the menu, then the work links
    # The counts are in view without opening anything; the workspace and the public list differ.
    work = page.locator(".work-links")
    expect(work.get_by_role("link", name="本单位工作台 1")).to_be_visible()
    menu = page.locator(".nav-menu")
    expect(menu.get_by_role("link", name="承办单位")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="承办单位")).to_be_visible()
    expect(menu.get_by_role("button", name="退出登录")).to_be_visible()
    assert_no_csp_violations(page)


def test_the_leader_page_starts_with_the_figures(live_server, browser, settings, categories):
    for title in ("路灯不亮", "井盖缺失", "水管爆裂", "垃圾未清运", "噪音扰民", "占道经营"):
        in_a_worker(filed(settings, categories, title, Status.signed))
    leader = in_a_worker(session_cookie(settings, "leader"))
    page = signed_in(browser, live_server.url, leader)
    page.goto(f"{live_server.url}/leader")
    jump = page.get_by_role("navigation", name="本页目录")
    expect(jump.get_by_role("link", name="各承办单位数据")).to_be_visible()
    top = page.evaluate("document.getElementById('figures-heading').getBoundingClientRect().top + scrollY")
    print(f"\n/leader figures at {top:.0f} px")
    assert top < PHONE["height"]


def test_no_table_column_is_narrower_than_its_longest_word(live_server, browser, settings, categories):
    in_a_worker(filed(settings, categories, "小区二次供水水箱发臭", Status.signed))
    page = signed_in(browser, live_server.url, {})
    page.goto(f"{live_server.url}/departments")
    # Each department's name stays on one line (a Chinese name is one word), in a column that
    # stays in view while the figures scroll sideways.
    lines = page.evaluate("""Array.from(document.querySelectorAll('.figures tbody th')).map(cell => {
        const range = document.createRange(); range.selectNodeContents(cell);
        return new Set(Array.from(range.getClientRects()).map(rect => Math.round(rect.top))).size; })""")
    assert lines and set(lines) == {1}
    first = page.locator(".figures tbody th").first
    before = first.bounding_box()["x"]
    page.locator(".table-scroll").first.evaluate("box => box.scrollLeft = 400")
    assert abs(first.bounding_box()["x"] - before) < 1


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_handlers_case_page_reflows_and_passes_axe_opened_up(live_server, browser, settings, categories, locale):
    """What test_every_page checks, on the handler's own view of a case (the action bar with its
    next steps, the filer's contact) with the menu, the staff facts and an action opened: no axe
    violation, and no sideways scrolling at 320 px, with text at 200 % too."""
    department = categories["water"].department
    number = in_a_worker(filed(settings, categories, "小区二次供水水箱发臭", Status.signed))
    handler = in_a_worker(session_cookie(settings, "handler", department_id=department))
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale=locale)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_cookies([{"name": name, "value": value, "url": live_server.url} for name, value in handler.items()])
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/cases/{number}")
    page.locator(".staff-facts summary").click()
    page.locator(".action-bar [data-open-action]").nth(1).click()
    page.locator(".nav-menu summary").click()  # last: it opens over the page
    page.evaluate(AXE.read_text())
    result = page.evaluate(f"axe.run(document, {{runOnly: {json.dumps(AXE_TAGS)}}})")
    assert [violation["id"] for violation in result["violations"]] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.evaluate(STICKING_OUT)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.evaluate(STICKING_OUT)
    # So tall now that it would cover most of the screen: the bar no longer stays on it.
    expect(page.locator(".action-bar")).not_to_have_class(re.compile(r"\bstays\b"))
    assert_no_csp_violations(page)
