"""The notifications' pages over HTTP: the filer's subscriptions under the follow link (bad
input answered in the person's language, what was typed kept), the links in the messages
(confirm, one-click unsubscribe without a session), the staff's delivery log and the admins'
page, and what none of them reveals."""

from __future__ import annotations

import json
import re

import pytest

from backend.notifications import subscriptions
from backend.notifications.tables import Subscription
from backend.settings import get_settings
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.notifications.test_delivery import deliver, text_of
from tests.support import CROSS_SITE, OLD_BROWSER_CROSS_SITE

SAME_SITE = {"sec-fetch-site": "same-origin"}  # as a browser marks the page's own forms


@pytest.fixture
async def filer(channels, new_client, settings, categories):
    """A filed case and the filer's browser (English), with every channel on."""
    filed = await file(settings, form(categories["water"]))
    browser = await new_client()
    browser.headers["accept-language"] = "en"
    browser.page = f"/follow/{filed.follow_token}/notifications"
    browser.filed = filed
    return browser


async def post(browser, path: str, data: dict):
    return await browser.post(browser.page + path, data=data, headers=SAME_SITE)


async def test_the_filer_subscribes_by_email_and_confirms_by_the_link(filer, channels):
    smtp, _, _ = channels
    page = await filer.get(filer.page)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store" and "noindex" in page.headers["x-robots-tag"]
    refused = await post(filer, "/email", {"email": "not an address"})
    assert refused.status_code == 422
    assert "Enter an email address like name@example.com." in refused.text and 'value="not an address"' in refused.text
    added = await post(filer, "/email", {"email": "Wang.Li@example.com"})
    assert added.status_code == 303 and added.headers["location"] == filer.page + "?added=email"
    page = (await filer.get(added.headers["location"])).text
    assert "w***@example.com" in page and "wang.li@example.com" not in page.lower()
    assert "waiting for you to confirm the address" in page
    await deliver()
    [check] = smtp.messages
    link = re.search(r"http://localhost:8000(/notifications/verify/\S+)", text_of(check)).group(1)
    confirmed = await filer.get(link)
    assert confirmed.status_code == 200 and "your email address is confirmed" in confirmed.text
    assert (await Subscription.objects().first()).verified_at is not None
    assert (await filer.get(link[:-2] + "xx")).status_code == 404


async def test_refusals_are_in_the_persons_language(filer):
    filer.headers["accept-language"] = "zh-CN"
    refused = await post(filer, "/sms", {"phone": "12345", "consent": ""})
    assert refused.status_code == 422
    assert "请输入11位大陆手机号码" in refused.text and "请勾选同意接收关于此诉求的短信。" in refused.text
    assert 'value="12345"' in refused.text


async def test_another_sites_form_subscribes_nothing(filer):
    for headers in (CROSS_SITE, OLD_BROWSER_CROSS_SITE):
        refused = await filer.post(filer.page + "/email", data={"email": "wang@example.com"}, headers=headers)
        assert refused.status_code == 403 and "sent from another website" in refused.text
    assert await Subscription.count() == 0


async def test_sms_needs_a_mobile_number_and_consent(filer, channels):
    _, sms, _ = channels
    refused = await post(filer, "/sms", {"phone": "139 0013 9000"})
    assert refused.status_code == 422 and "Tick the box" in refused.text and 'value="139 0013 9000"' in refused.text
    assert (await post(filer, "/sms", {"phone": "+86 139 0013 9000", "consent": "yes"})).status_code == 303
    assert "139****9000" in (await filer.get(filer.page)).text
    await bring_to(filer.filed.number, Status.accepted, 0)
    await deliver()
    assert [m["PhoneNumbers"] for m in sms.messages] == ["13900139000"]


async def test_push_on_this_device(filer, channels):
    _, _, push = channels
    headers = {**SAME_SITE, "content-type": "application/json"}
    bad = await filer.post(filer.page + "/push", content=b'{"endpoint": 1}', headers=headers)
    assert bad.status_code == 422 and bad.json()["message"] == "This browser gave no push subscription that can be used."
    good = await filer.post(filer.page + "/push", content=json.dumps(push.subscribe()).encode(), headers=headers)
    assert good.status_code == 201
    another_site = {**CROSS_SITE, "content-type": "application/json"}
    assert (await filer.post(filer.page + "/push", content=json.dumps(push.subscribe()).encode(), headers=another_site)).status_code == 403
    await bring_to(filer.filed.number, Status.accepted, 0)
    await deliver()
    [news] = push.received
    assert news["title"] == f"Case {filer.filed.number}: Accepted" and news["url"].endswith(f"/follow/{filer.filed.follow_token}")


async def test_unsubscribing_by_the_signed_link_works_without_a_session(filer, new_client):
    subscription_id = await subscriptions.subscribe_sms(filer.filed.follow_token, "13900139000", True, "en")
    link = subscriptions.unsubscribe_link(subscription_id).removeprefix(get_settings().origin)
    stranger = await new_client()  # a mail client: no cookie
    page = await stranger.get(link)
    assert page.status_code == 200 and "停止接收这些消息" in page.text and await Subscription.count() == 1
    assert (await stranger.post(link[:-1] + ("A" if link[-1] != "A" else "B"))).status_code == 404
    one_click = await stranger.post(link, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and await Subscription.count() == 0
    assert (await stranger.post(link)).status_code == 200, "again: still fine"
    # A webmail's page may post it from its own site: the signed link alone authorises it.
    assert (await stranger.post(link, data={"List-Unsubscribe": "One-Click"}, headers=CROSS_SITE)).status_code == 200


async def test_the_follow_page_removes_only_its_own_subscriptions(filer, settings, categories):
    other = await file(settings, form(categories["water"]))
    theirs = await subscriptions.subscribe_sms(other.follow_token, "13900139001", True, "en")
    assert (await post(filer, f"/{theirs}/remove", {})).status_code == 303
    assert await Subscription.count() == 1, "another case's subscription stays"
    mine = await subscriptions.subscribe_sms(filer.filed.follow_token, "13900139000", True, "en")
    assert "139****9001" not in (await filer.get(filer.page)).text
    assert (await post(filer, f"/{mine}/remove", {})).status_code == 303
    assert await Subscription.count() == 1


async def test_an_unknown_follow_link_subscribes_nothing(filer):
    assert (await filer.get("/follow/nonexistent/notifications")).status_code == 404
    refused = await filer.post("/follow/nonexistent/notifications/sms", data={"phone": "13900139000", "consent": "yes"}, headers=SAME_SITE)
    assert refused.status_code == 404 and await Subscription.count() == 0


async def test_subscribing_is_limited_per_address(channels, monkeypatch, new_client, settings, categories):
    monkeypatch.setenv("MINSHENG_ADDRESS_WRITES_PER_MINUTE", "2")
    get_settings.cache_clear()
    filed = await file(settings, form(categories["water"]))
    browser = await new_client()
    await browser.app.stores.get("rate_limit").delete("RateLimitMiddleware::subscribe:address:testclient")
    browser.page = f"/follow/{filed.follow_token}/notifications"
    answers = [(await post(browser, "/email", {"email": f"a{n}@example.com"})).status_code for n in range(3)]
    assert answers == [303, 303, 429]


async def test_staff_see_the_delivery_log_with_the_address_masked(filer, person, channels):
    _, _, push = channels
    await subscriptions.subscribe_sms(filer.filed.follow_token, "13900139000", True, "en")
    expired = push.subscribe()
    await subscriptions.subscribe_push(filer.filed.follow_token, json.dumps(expired), "en")
    push.expired.add(expired["endpoint"])
    await bring_to(filer.filed.number, Status.accepted, 0)
    await deliver()
    moderator = await person("moderator")
    page = (await moderator.client.get(f"/staff/cases/{filer.filed.number}")).text
    log = page.split('id="deliveries"')[1].split("</section>")[0]
    assert "SMS (139****9000)" in log and "Sent" in log and "13900139000" not in log
    assert "Failed: push: expired subscription" in log

    admin = await person("admin")
    page = (await admin.client.get("/admin/notifications")).text
    assert "push: expired subscription" in page and "139****9000" not in page
    assert page.count(">On<") == 3
    assert (await moderator.client.get("/admin/notifications")).status_code == 403


async def test_a_channel_without_settings_says_so(person, new_client, settings, categories):
    filed = await file(settings, form(categories["water"]))
    browser = await new_client()
    browser.headers["accept-language"] = "en"
    page = (await browser.get(f"/follow/{filed.follow_token}/notifications")).text
    assert "Email is not available on this platform." in page and "Text messages are not available" in page
    admin = await person("admin")
    page = (await admin.client.get("/admin/notifications")).text
    assert "Off: set MINSHENG_SMTP_HOST and MINSHENG_MAIL_FROM." in page and page.count(">On<") == 1
