"""The installable app in Chromium: installable by DevTools' own check, and a complaint written
without a connection (photo included) kept on the device, surviving a closed tab, sent once
when the connection returns, and filed once even when the first answer is lost on the way; sent
by the service worker when no page is open; and back in the form when the server refuses it."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from backend.cases.tables import Case
from backend.departments.tables import Category
from backend.photos.tables import Photo
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, RECORD_CSP_VIOLATIONS
from tests.browser.test_filing import assert_no_csp_violations
from tests.support import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def controlled(page) -> None:
    """Wait until the service worker has installed the shell and controls the page."""
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_the_app_is_installable(live_server, browser, tmp_path):
    # Installability is judged for a real profile, not an incognito one: a Chromium of its own.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, locale="zh-CN"
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        controlled(page)
        devtools = context.new_cdp_session(page)
        assert devtools.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = devtools.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"] == live_server.url + "/manifest.webmanifest"
    finally:
        context.close()


def in_database(work):
    """``work()``'s awaitable, run on an event loop of its own: Playwright's runs in this thread."""

    async def run():
        return await work()

    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, run()).result()


def cases_and_photos() -> tuple[int, int]:
    async def count():
        return await Case.count(), await Photo.count().where(Photo.case.is_not_null())

    return in_database(count)


def report_offline(phone, url: str, title: str = "地下室进水", uploaded_first: bool = False):
    """Open the report form, lose the connection, then fill it in, a photo included, and send
    it: the page it happened on. ``uploaded_first``: a photo is uploaded before the connection
    goes (the form is then not reloaded from the device, which would drop it)."""
    page = phone.new_page()
    page.goto(f"{url}/report")
    controlled(page)
    if uploaded_first:
        page.locator("#photo-input").set_input_files(files=[{"name": "before.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
        expect(page.locator(".photo-item img")).to_have_count(1)
    phone.set_offline(True)
    if not uploaded_first:
        page.reload()  # the report form comes from the device now
    page.get_by_label("投诉").check()
    page.get_by_label("问题分类").select_option(label="供水 (市自来水公司)")
    page.get_by_label("标题").fill(title)
    page.get_by_label("问题描述").fill("昨夜暴雨后地下室全部进水，水深二十厘米，没有信号。")
    page.get_by_label("问题地点").fill("文津花园小区3号楼")
    page.locator("#photo-input").set_input_files(files=[{"name": "water.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    expect(page.locator("#photo-list")).to_contain_text("water.jpg")
    page.get_by_label("您的姓名或称呼").fill("王先生")
    page.get_by_label("电话 *", exact=True).fill("13800138000")
    page.get_by_label("同意：受理后任何人都可以查看").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_contain_text("已保存在本设备")
    return page


def test_a_complaint_written_offline_is_kept_and_sent_once_back_online(live_server, phone, categories):
    page = report_offline(phone, live_server.url)
    saved = page.get_by_role("status")
    expect(saved).to_contain_text("已保存在本设备")
    expect(saved).to_be_focused()
    expect(page.locator("#outbox")).to_contain_text("地下室进水")
    expect(page.locator("#outbox")).to_contain_text("等待网络连接")
    assert cases_and_photos() == (0, 0)

    # The tab is closed; what was written is still on the device.
    page.close()
    later = phone.new_page()
    later.goto(f"{live_server.url}/report")
    expect(later.locator("#outbox")).to_contain_text("等待网络连接")

    # The connection returns, but the first answer is lost on the way: filed, yet not known.
    lost = []

    def lose_the_answer(route):
        route.fetch()
        lost.append(True)
        route.abort("connectionreset")

    # The context routes the service worker's requests too: whichever sends first loses the answer.
    phone.route("**/report", lambda route: lose_the_answer(route) if route.request.method == "POST" and not lost else route.continue_())
    phone.set_offline(False)
    for _ in range(100):
        if lost:
            break
        later.wait_for_timeout(100)
    assert lost and cases_and_photos() == (1, 1)

    # Sent again, by the service worker's background sync (the browser wakes it when the
    # connection returns) or else by the next page opened: the same case, not a second one.
    again = phone.new_page()
    again.goto(f"{live_server.url}/")
    sent = again.locator("#outbox a")
    expect(sent).to_contain_text("已发送")
    number = re.search(r"\d{4}-\d{6}", sent.inner_text()).group(0)
    assert cases_and_photos() == (1, 1)
    sent.click()
    again.wait_for_url("**/follow/**")
    expect(again.get_by_role("heading", name="地下室进水")).to_be_visible()
    expect(again.locator(".case-meta", has_text=number)).to_be_visible()
    expect(again.locator(".gallery img")).to_have_count(1)
    assert_no_csp_violations(again)


def test_big_photos_are_made_smaller_before_upload(live_server, browser, categories):
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    uploads = []
    page = context.new_page()
    page.on("request", lambda request: uploads.append(len(request.post_data_buffer or b"")) if request.url.endswith("/photos") else None)
    page.goto(f"{live_server.url}/report")
    big = jpeg(width=4000, height=3000, gps=(38.8739, 115.4646), quality=95)
    page.locator("#photo-input").set_input_files(files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big}])
    expect(page.locator(".photo-item img")).to_be_visible()
    # The map point was read before the photo lost its metadata to the resizing.
    expect(page.get_by_label("纬度")).to_have_value("38.8739")
    assert uploads and uploads[0] < len(big)
    assert_no_csp_violations(page)
    context.close()


def test_with_no_page_open_the_service_worker_sends_the_report(live_server, phone, categories):
    page = report_offline(phone, live_server.url, title="没有页面开着也要送出")
    devtools = phone.new_cdp_session(page)
    registrations = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")

    # No Minsheng page is open any more (about:blank keeps DevTools attached) when the
    # connection returns and the browser wakes the worker for its background sync.
    page.goto("about:blank")
    phone.set_offline(False)
    for _ in range(50):  # DevTools reports the registrations as events
        if registrations:
            break
        page.wait_for_timeout(100)
    registration = next(r["registrationId"] for r in registrations if r["scopeURL"] == live_server.url + "/")
    devtools.send(
        "ServiceWorker.dispatchSyncEvent",
        {"origin": live_server.url, "registrationId": registration, "tag": "minsheng-outbox", "lastChance": False},
    )
    for _ in range(100):
        if cases_and_photos() == (1, 1):
            break
        page.wait_for_timeout(100)
    assert cases_and_photos() == (1, 1)

    # The next page opened shows it sent, with its number.
    later = phone.new_page()
    later.goto(f"{live_server.url}/")
    expect(later.locator("#outbox a")).to_contain_text("已发送")
    assert_no_csp_violations(later)


def test_a_report_the_server_refuses_goes_back_into_the_form(live_server, phone, categories):
    page = report_offline(phone, live_server.url, title="分类停用之前写的", uploaded_first=True)

    # While it waits, the category it was written for stops being offered.
    water = categories["water"].id
    in_database(lambda: Category.update({Category.active: False}).where(Category.id == water))
    phone.set_offline(False)
    page.goto(f"{live_server.url}/")
    refused = page.locator("#outbox li")
    expect(refused).to_contain_text("未被受理")
    assert cases_and_photos() == (0, 0)

    refused.get_by_role("link", name="修改后重新提交").click()
    page.wait_for_url("**/report?restore=*")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("请选择问题分类。")
    expect(page.get_by_label("问题分类")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("标题")).to_have_value("分类停用之前写的")
    expect(page.get_by_label("问题描述")).to_have_value("昨夜暴雨后地下室全部进水，水深二十厘米，没有信号。")
    expect(page.get_by_label("同意：受理后任何人都可以查看")).to_be_checked()
    # The photo uploaded before the connection went, and the one kept on the device, uploaded now.
    expect(page.locator(".photo-item img")).to_have_count(2)
    # The device keeps it until it is filed: a tab closed now would lose nothing.
    expect(page.locator("#outbox li")).to_contain_text("分类停用之前写的")

    page.get_by_label("问题分类").select_option(index=1)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/follow/**")
    expect(page.get_by_role("heading", name="分类停用之前写的")).to_be_visible()
    assert cases_and_photos() == (1, 2)
    page.goto(f"{live_server.url}/")  # filed: the device's list has nothing left of it
    expect(page.get_by_role("heading", name="本设备上的诉求")).to_be_hidden()
    assert_no_csp_violations(page)
