"""News on this device, in Chromium: the follow page offers push where the browser has it, and
the service worker shows a pushed notice (delivered through DevTools, as a push service would)
with the case's link. The server's side of push is tested in tests/notifications."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from backend import clock
from backend.cases import actions, workflow
from backend.notifications import alerts
from backend.settings import get_settings
from tests.browser.test_app import controlled, in_database
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR
from tests.notifications.servers import PushService

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def shown_after_push(context, page, origin: str, news: dict) -> list[dict]:
    """Delivers ``news`` to the page's service worker as a push service would (CDP), and returns
    the notifications it then shows (title, body, link)."""
    devtools = context.new_cdp_session(page)
    registrations = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    page.wait_for_function("true")  # lets the registrations' event arrive
    [registration] = [r for r in registrations if r["scopeURL"] == origin + "/" and not r["isDeleted"]]
    devtools.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": registration["registrationId"], "data": json.dumps(news, ensure_ascii=False)},
    )
    shown = "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => ({title: n.title, body: n.body, url: n.data.url})))"
    # The worker shows it in its own time: ask until it has (a promise is no answer to wait_for_function).
    for _ in range(100):
        if notices := page.evaluate(shown):
            return notices
        page.wait_for_timeout(100)
    return []


def test_the_service_worker_shows_pushed_news_of_the_case(live_server, browser, categories):
    filed = in_database(lambda: file(get_settings(), form(categories["water"])))
    context = browser.new_context(locale="en", viewport={"width": 390, "height": 844})
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/follow/{filed.follow_token}/notifications")
    controlled(page)
    expect(page.get_by_role("button", name="Show news of this case on this device")).to_be_visible()
    expect(page.locator("[data-push-unsupported]")).to_be_hidden()

    news = {"title": f"Case {filed.number}: Answer published", "body": "Read the answer and rate it.", "url": f"/follow/{filed.follow_token}#rating"}
    assert shown_after_push(context, page, live_server.url, news) == [news]


# Chromium subscribes through its vendor's push service, which this machine cannot reach: the
# browser's subscribe() gives the local push service's subscription instead (once the page
# hands it the platform's key), and the rest is real: the page posts it, the server encrypts the
# digest for it with VAPID, the local push service decrypts it, and Chromium's service worker
# shows what it received.
LOCAL_PUSH_SUBSCRIPTION = """(subscription) => {
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    if (!options.userVisibleOnly || key.length !== 65 || key[0] !== 4) return Promise.reject(new Error("no VAPID key"));
    return Promise.resolve({ toJSON: () => subscription });
  };
}"""


def test_anyone_subscribes_to_an_areas_alerts_on_a_phone_and_the_news_of_a_new_case_arrives(live_server, browser, categories, areas):
    push = PushService().start()
    try:
        subscription = push.subscribe()
        context = browser.new_context(locale="en", viewport={"width": 390, "height": 844})
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(f"({LOCAL_PUSH_SUBSCRIPTION})({json.dumps(subscription)})")
        page = context.new_page()
        page.goto(f"{live_server.url}/alerts?area=lianchi")
        controlled(page)
        expect(page.get_by_label("Area")).to_have_value("lianchi")
        page.get_by_role("button", name="Show the daily list on this device").click()
        expect(page.locator("[data-push-status]")).to_have_text("This device will show the daily list of new cases.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

        async def a_new_public_case_in_lianchi_and_the_next_mornings_digest() -> str:
            settings = get_settings()
            filed = await file(settings, form(categories["water"], area_id=str(areas["lianchi"]), title="莲池区供水管道漏水"))
            await workflow.perform(filed.number, actions.Accept(), MODERATOR)  # public from now
            zone = ZoneInfo(settings.time_zone)
            tomorrow = clock.now() + timedelta(days=1)
            await alerts.assemble_digests(tomorrow)
            await alerts.deliver_alerts(alerts.digest_due(alerts.digest_day(tomorrow, zone), zone))
            return filed.number

        number = in_database(a_new_public_case_in_lianchi_and_the_next_mornings_digest)
        [received] = push.received
        assert received["endpoint"] == subscription["endpoint"] and not push.refused
        assert received["title"].startswith("New public cases: Lianchi District, ")
        assert received["body"].startswith("1 new public cases on ") and "area=lianchi" in received["url"]
    finally:
        push.stop()

    news = {key: received[key] for key in ("title", "body", "url")}
    assert shown_after_push(context, page, live_server.url, news) == [news]
    link = urlsplit(news["url"])
    page.goto(f"{live_server.url}{link.path}?{link.query}")  # where a tap opens: the area's public list of that day
    expect(page.locator(f'a[href="/cases/{number}"]')).to_be_visible()
