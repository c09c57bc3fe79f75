"""News on this device, in Chromium: the follow page offers push where the browser has it, and
the service worker shows a pushed notice (delivered through DevTools, as a push service would)
with the case's link. The server's side of push is tested in tests/notifications."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from backend.settings import get_settings
from tests.browser.test_app import controlled, in_database
from tests.cases.test_filing import file, form

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_service_worker_shows_pushed_news_of_the_case(live_server, browser, categories):
    filed = in_database(lambda: file(get_settings(), form(categories["water"])))
    context = browser.new_context(locale="en", viewport={"width": 390, "height": 844})
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/follow/{filed.follow_token}/notifications")
    controlled(page)
    expect(page.get_by_role("button", name="Show news of this case on this device")).to_be_visible()
    expect(page.locator("[data-push-unsupported]")).to_be_hidden()

    devtools = context.new_cdp_session(page)
    registrations = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    page.wait_for_function("true")  # lets the registrations' event arrive
    [registration] = [r for r in registrations if r["scopeURL"] == live_server.url + "/" and not r["isDeleted"]]
    news = {"title": f"Case {filed.number}: Answer published", "body": "Read the answer and rate it.", "url": f"/follow/{filed.follow_token}#rating"}
    devtools.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registration["registrationId"], "data": json.dumps(news)},
    )
    shown = "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => ({title: n.title, body: n.body, url: n.data.url})))"
    # The worker shows it in its own time: ask until it has (a promise is no answer to wait_for_function).
    for _ in range(100):
        if notices := page.evaluate(shown):
            break
        page.wait_for_timeout(100)
    assert notices == [news]
