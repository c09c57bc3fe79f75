"""Anyone's alerts of new public cases in an area or a category (``alerts``): the digest's
choice and cap as pure functions; the clock job that writes each day's digests once, even two
at once; the email over the local SMTP server (capped, linking to the full list, never a case
that is not public, one-click unsubscribe); the pages, with hostile input."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from backend import clock
from backend.cases import actions, workflow
from backend.cases.tables import Case
from backend.notifications import alerts, delivery, log
from backend.notifications.alerts import Topic
from backend.notifications.tables import AlertMessage, AlertSubscription
from backend.settings import get_settings
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR
from tests.notifications.test_delivery import text_of
from tests.notifications.test_pages import SAME_SITE

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 6)
NEXT_MORNING = datetime(2026, 12, 7, 0, 30, tzinfo=SHANGHAI)  # the job has yesterday's digests to write
SENDING_TIME = datetime(2026, 12, 7, alerts.DIGEST_HOUR, 0, 1, tzinfo=SHANGHAI)
EN = {"accept-language": "en", **SAME_SITE}


def test_a_digest_lists_the_newest_cases_up_to_its_cap_and_says_when_there_are_more():
    numbers = [f"2026-{n:06d}" for n in range(177, 0, -1)]
    digest = alerts.digest_of(numbers, 177)
    assert digest.numbers == tuple(numbers[:20]) and digest.total == 177 and digest.more
    few = alerts.digest_of(numbers[:3], 3)
    assert few.numbers == tuple(numbers[:3]) and not few.more
    assert alerts.digest_of(numbers[:5], 5, cap=5).more is False


def test_the_digest_of_a_day_is_written_after_its_midnight_in_the_platforms_time_zone():
    # 23:59 in Shanghai on the 6th is 15:59 UTC: the 5th's digest; a minute later, the 6th's.
    assert alerts.digest_day(datetime(2026, 12, 6, 15, 59, tzinfo=timezone.utc), SHANGHAI) == date(2026, 12, 5)
    assert alerts.digest_day(datetime(2026, 12, 6, 16, 0, tzinfo=timezone.utc), SHANGHAI) == DAY
    assert alerts.digest_due(DAY, SHANGHAI) == datetime(2026, 12, 7, alerts.DIGEST_HOUR, tzinfo=SHANGHAI)


def test_the_full_list_is_the_public_list_filtered_to_the_topic_and_day():
    assert Topic("lianchi", "water").list_path(DAY) == "/cases?category=water&area=lianchi&from=2026-12-06&to=2026-12-06"
    assert Topic(category="water").list_path() == "/cases?category=water"


def test_the_digests_words_list_what_it_shows_and_link_to_the_rest():
    listed = [(f"2026-{n:06d}", f"标题{n}") for n in range(20)]
    subject, line, body = alerts.digest_wording("Water supply in Lianchi District", DAY, listed, 177, "https://x/cases?a", "https://x/u", "en")
    assert subject == "New public cases: Water supply in Lianchi District, 2026-12-06"
    assert line == "177 new public cases on 2026-12-06: Water supply in Lianchi District"
    assert body.count("/cases/2026-") == 20 and "All 177 are in the public list: https://x/cases?a" in body
    assert body.rstrip().endswith("To stop these messages: https://x/u")
    _, _, few = alerts.digest_wording("供水", DAY, listed[:2], 2, "https://x/cases?a", "https://x/u", "zh_CN")
    assert "全部" not in few and "这些诉求的公开列表：https://x/cases?a" in few and few.startswith("2026-12-06 新公开诉求 2 件：供水")


async def public_cases(settings, category, how_many: int, area_id=None, day: date = DAY) -> list[str]:
    """Cases accepted (public) and made public on ``day``, a minute apart."""
    numbers = []
    for index in range(how_many):
        filed = await file(settings, form(category, title=f"水管漏水 {index}"))
        await workflow.perform(filed.number, actions.Accept(), MODERATOR)
        published = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=8, minutes=index)
        await Case.update({Case.published_at: published, Case.area: area_id}).where(Case.number == filed.number)
        numbers.append(filed.number)
    return numbers


async def confirmed_email_alert(topic: Topic, address: str, language: str = "en") -> int:
    alert_id = await alerts.subscribe_email(topic, address, language)
    await AlertSubscription.update({AlertSubscription.verified_at: datetime(2026, 12, 1, tzinfo=timezone.utc)}).where(
        AlertSubscription.id == alert_id
    )
    await AlertMessage.delete().where(AlertMessage.kind == alerts.VERIFY)
    return alert_id


async def test_each_subscriber_gets_the_days_digest_once_even_from_two_jobs_at_once(settings, categories, areas, channels):
    smtp, _, push = channels
    lianchi = areas["lianchi"]
    shown = await public_cases(settings, categories["water"], 23, lianchi)
    elsewhere = await public_cases(settings, categories["water"], 1, areas["jingxiu"])
    private = await file(settings, form(categories["water"], publication="private"))
    await workflow.perform(private.number, actions.Accept(), MODERATOR)
    await Case.update({Case.area: lianchi}).where(Case.number == private.number)
    await confirmed_email_alert(Topic("lianchi", "water"), "neighbour@example.com")
    with clock.travel_to(datetime(2026, 12, 1, tzinfo=timezone.utc)):
        await alerts.subscribe_push(Topic(category="roads"), json.dumps(push.subscribe()), "en")  # a quiet day for roads
        await alerts.subscribe_push(Topic(category="water"), json.dumps(push.subscribe()), "zh_CN")  # every area
    with clock.travel_to(NEXT_MORNING):
        await alerts.subscribe_push(Topic(category="water"), json.dumps(push.subscribe()), "en")  # too late for the 6th

    await asyncio.gather(alerts.assemble_digests(NEXT_MORNING), alerts.assemble_digests(NEXT_MORNING))
    rows = await AlertMessage.select(AlertMessage.subscription, AlertMessage.status, AlertMessage.total).order_by(AlertMessage.id)
    assert [(row["status"], row["total"]) for row in rows] == [("pending", 23), ("empty", 0), ("pending", 24)]
    assert await alerts.assemble_digests(NEXT_MORNING + timedelta(hours=3)) == 0

    assert await alerts.deliver_alerts(SENDING_TIME - timedelta(minutes=1)) == 0  # due in the morning, not at midnight
    tried = await asyncio.gather(alerts.deliver_alerts(SENDING_TIME), alerts.deliver_alerts(SENDING_TIME))
    assert sum(tried) == 2 and [p["title"] for p in push.received] == ["新公开诉求：供水，2026-12-06"]
    [mail] = smtp.messages
    text = text_of(mail)
    assert mail["Subject"] == "New public cases: Water supply in Lianchi District, 2026-12-06"
    newest = list(reversed(shown))
    assert all(number in text for number in newest[:20]) and not any(number in text for number in newest[20:])
    assert elsewhere[0] not in text and private.number not in text and "王先生" not in text and "13800138000" not in text
    assert "All 23 are in the public list: http://localhost:8000/cases?category=water&area=lianchi&from=2026-12-06&to=2026-12-06" in text
    assert mail["List-Unsubscribe"].strip().startswith("<http://localhost:8000/alerts/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert await AlertMessage.count().where(AlertMessage.status == "sent") == 2
    health = {channel.channel: channel for channel in await log.health(get_settings(), SENDING_TIME + timedelta(minutes=1))}
    assert (health["email"].sent, health["push"].sent) == (1, 1)


async def test_a_district_includes_its_streets_and_a_case_no_longer_public_is_left_out(settings, categories, areas, channels):
    smtp, _, _ = channels
    in_street = await public_cases(settings, categories["roads"], 2, areas["dongfeng"])
    await confirmed_email_alert(Topic(area="jingxiu"), "street@example.com", "zh_CN")
    await alerts.assemble_digests(NEXT_MORNING)
    await Case.update({Case.published_at: None}).where(Case.number == in_street[0])  # withdrawn before the morning
    await alerts.deliver_alerts(SENDING_TIME)
    [mail] = smtp.messages
    assert in_street[1] in text_of(mail) and in_street[0] not in text_of(mail) and "竞秀区" in text_of(mail)


async def test_a_failed_digest_is_retried_and_a_dead_process_loses_nothing(settings, categories, areas, channels):
    smtp, _, _ = channels
    await public_cases(settings, categories["water"], 1, areas["lianchi"])
    await confirmed_email_alert(Topic("lianchi"), "retry@example.com")
    await alerts.assemble_digests(NEXT_MORNING)
    assert len(await delivery.claim(SENDING_TIME, table=AlertMessage)) == 1  # and the worker died
    later = SENDING_TIME + timedelta(minutes=delivery.CLAIM_MINUTES, seconds=1)
    off = dataclasses.replace(get_settings(), smtp_host="")
    assert await alerts.deliver_alerts(later, off) == 1  # taken again; email off now: it waits
    [row] = await AlertMessage.select(AlertMessage.status, AlertMessage.attempts, AlertMessage.error)
    assert row == {"status": "pending", "attempts": 2, "error": "email is off"}
    assert await alerts.deliver_alerts(later + timedelta(hours=7)) == 1
    assert len(smtp.messages) == 1


async def test_anyone_subscribes_from_the_cases_filters_confirms_and_unsubscribes_in_one_click(
    client, new_client, categories, areas, channels
):
    smtp, _, _ = channels
    cases_page = (await client.get("/cases?area=lianchi&category=water", headers=EN)).text
    assert 'href="/alerts?area=lianchi&amp;category=water"' in cases_page
    page = await client.get("/alerts?area=lianchi&category=water", headers=EN)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store" and 'value="lianchi" selected' in page.text
    assert 'value="dongfeng"' in page.text and 'value="dajidian"' not in page.text  # an inactive town is not offered
    inactive = await client.post("/alerts/email", data={"area": "dajidian", "email": "a@example.com"}, headers=EN)
    assert inactive.status_code == 422 and "Choose an area from the list." in inactive.text
    bad_topic = await client.get("/alerts?area=<script>&category=x" + "y" * 500, headers=EN)
    assert bad_topic.status_code == 422 and "Choose an area from the list." in bad_topic.text and "<script>" not in bad_topic.text
    unknown = await client.post("/alerts/email", data={"area": "nowhere", "email": "a@example.com"}, headers=EN)
    assert unknown.status_code == 422 and "Choose an area from the list." in unknown.text and 'value="a@example.com"' in unknown.text
    nothing = await client.post("/alerts/email", data={"email": "a@example.com"}, headers=EN)
    assert nothing.status_code == 422 and "Choose an area, a category, or both." in nothing.text
    refused = await client.post("/alerts/email", data={"area": "lianchi", "category": "water", "email": "邻居"}, headers=EN)
    assert refused.status_code == 422 and "name@example.com" in refused.text and 'value="邻居"' in refused.text
    huge = await client.post("/alerts/email", data={"area": "lianchi", "email": "x" * 100_000}, headers=EN)
    assert huge.status_code in (413, 422)
    added = await client.post("/alerts/email", data={"area": "lianchi", "category": "water", "email": "Neighbour@Example.com"}, headers=EN)
    assert added.status_code == 303 and added.headers["location"] == "/alerts?area=lianchi&category=water&added=email"
    again = await client.post("/alerts/email", data={"area": "lianchi", "category": "water", "email": "neighbour@example.com"}, headers=EN)
    assert again.status_code == 303 and await AlertSubscription.count() == 1

    await alerts.deliver_alerts(clock.now())
    [check] = smtp.messages
    assert check["Subject"] == "Confirm your alert: Water supply in Lianchi District"
    verify = re.search(r"http://localhost:8000(/alerts/verify/\S+)", text_of(check)).group(1)
    assert (await client.get(verify.rstrip("."), headers=EN)).status_code == 200
    assert (await AlertSubscription.select(AlertSubscription.verified_at).first())["verified_at"] is not None
    assert (await client.get("/alerts/verify/1.forged", headers=EN)).status_code == 404

    unsubscribe = check["List-Unsubscribe"].strip().strip("<>").removeprefix("http://localhost:8000")
    shown = await client.get(unsubscribe, headers=EN)
    assert shown.status_code == 200 and "n***@example.com" in shown.text and "Lianchi District" in shown.text
    assert await AlertSubscription.count() == 1  # a GET never unsubscribes
    mail_client = await new_client()  # no cookie, from anywhere (RFC 8058)
    done = await mail_client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, headers={"sec-fetch-site": "cross-site"})
    assert done.status_code == 200 and await AlertSubscription.count() == 0
    assert (await client.get(unsubscribe, headers=EN)).status_code == 200  # ended: it says so
    assert (await client.post("/alerts/unsubscribe/9.forged", headers=EN)).status_code == 404


async def test_subscribing_is_limited_per_address(categories, areas, channels, monkeypatch):
    monkeypatch.setattr(alerts, "ALERTS_PER_ADDRESS", 3)
    for category in ("water", "roads", "advice"):
        await alerts.subscribe_email(Topic("lianchi", category), "many@example.com", "en")
    await alerts.subscribe_email(Topic("lianchi", "water"), "many@example.com", "en")  # again: changes nothing
    try:
        await alerts.subscribe_email(Topic("jingxiu"), "Many@example.com", "en")
    except alerts.SubscriptionError as error:
        assert error.errors == {"email": "This address has as many alerts as it may have. Stop one first."}
    else:
        raise AssertionError("a fourth alert was kept")
    await alerts.subscribe_email(Topic("jingxiu"), "other@example.com", "en")
    assert await AlertSubscription.count() == 4 and await AlertMessage.count() == 4  # an address check each


async def test_an_address_nobody_confirmed_is_forgotten_after_a_week_and_done_digests_after_the_logs_period(
    settings, categories, areas
):
    with clock.travel_to(datetime(2026, 12, 1, tzinfo=timezone.utc)):
        await alerts.subscribe_email(Topic("lianchi"), "typo@example.com", "en")
        await confirmed_email_alert(Topic("jingxiu"), "kept@example.com")
    assert await alerts.forget_old(datetime(2026, 12, 7, 23, tzinfo=timezone.utc)) == 0
    assert await alerts.forget_old(datetime(2026, 12, 8, 1, tzinfo=timezone.utc)) == 1  # the address (its check goes with it)
    assert [row["address"] for row in await AlertSubscription.select(AlertSubscription.address)] == ["kept@example.com"]
    await alerts.assemble_digests(NEXT_MORNING)  # an empty day
    assert await AlertMessage.count() == 1
    later = NEXT_MORNING + timedelta(days=settings.delivery_log_days)
    assert await alerts.forget_old(later - timedelta(hours=1)) == 0
    assert await alerts.forget_old(later + timedelta(hours=1)) == 1 and await AlertMessage.count() == 0


async def test_the_admin_words_the_digest_and_sees_its_failures_beside_the_cases(person, settings, categories, areas, channels):
    smtp, _, push = channels
    admin = await person("admin")
    listed = (await admin.client.get("/admin/notifications/wordings")).text
    assert 'href="/admin/notifications/wordings/digest"' in listed and "Daily list of new public cases" in listed
    page = await admin.client.get("/admin/notifications/wordings/digest")
    assert page.status_code == 200 and "{count} new public cases on {day}: {topic}" in page.text and "{topic} the area or category" in page.text
    assert 'name="sms:en"' not in page.text  # a digest is an email or a push
    wrong = await admin.post_form("/admin/notifications/wordings/digest", {"push:zh_CN": "诉求{number}"})
    assert wrong.status_code == 422 and "Use only the placeholders {count}, {day}, {topic} and {link}." in wrong.text
    saved = await admin.post_form("/admin/notifications/wordings/digest", {"push:zh_CN": "{topic}：{day}新增{count}件，详见{link}"})
    assert saved.status_code == 303

    await public_cases(settings, categories["water"], 2, areas["lianchi"])
    await confirmed_email_alert(Topic("lianchi"), "gone@example.com")
    smtp.refuse.add("gone@example.com")
    with clock.travel_to(datetime(2026, 12, 1, tzinfo=timezone.utc)):
        await alerts.subscribe_push(Topic("lianchi"), json.dumps(push.subscribe()), "zh_CN")
    await alerts.assemble_digests(NEXT_MORNING)
    await alerts.deliver_alerts(SENDING_TIME)
    [news] = push.received
    assert news["body"] == "莲池区：2026-12-06新增2件，详见http://localhost:8000/cases?area=lianchi&from=2026-12-06&to=2026-12-06"
    failures = (await admin.client.get("/admin/notifications")).text
    assert "Daily list of new public cases" in failures and "SMTP: recipient refused" in failures
