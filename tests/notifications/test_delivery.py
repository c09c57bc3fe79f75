"""The outbox and its delivery, through the services, against the real servers of
``servers``: what the filer hears of on each channel, in their language; retries, dead
letters, expired subscriptions; two workers at once; a claim whose worker died."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest

from backend import clock
from backend.cases import actions, ratings, workflow
from backend.cases.ratings import RatingForm
from backend.db import write_transaction
from backend.notifications import delivery, subscriptions
from backend.notifications.channels import vapid_public_key
from backend.notifications.notices import sms_segments
from backend.notifications.tables import Message, Subscription
from backend.settings import get_settings
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of
from tests.notifications.servers import unb64url


async def deliver(now=None, **changes) -> int:
    return await delivery.deliver_due(now or clock.now(), dataclasses.replace(get_settings(), **changes))


async def filed_with_every_channel(settings, categories, push, language="en"):
    """A filed case whose filer confirmed an email address, gave a phone number and a device."""
    filed = await file(settings, form(categories["water"]))
    email_id = await subscriptions.subscribe_email(filed.follow_token, "Filer@Example.com", language)
    await subscriptions.subscribe_sms(filed.follow_token, "+86 139-0013-9000", True, language)
    await subscriptions.subscribe_push(filed.follow_token, json.dumps(push.subscribe()), language)
    return filed, email_id


async def accepted_with_an_sms_subscriber(settings, categories) -> None:
    """A case whose filer gave a phone number, then accepted: one message waits."""
    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "en")
    await workflow.perform(filed.number, actions.Accept(), MODERATOR)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_the_filer_hears_of_each_step_on_every_channel(settings, categories, channels):
    smtp, sms, push = channels
    filed, email_id = await filed_with_every_channel(settings, categories, push)
    assert await deliver() == 1  # the address's check alone: nothing else is due yet
    [check] = smtp.messages
    link = text_of(check).split("confirm that you want news of case")[1].split(": ", 1)[1].split()[0]
    assert await subscriptions.verify_email(link.rsplit("/", 1)[1])
    smtp.raw.clear()

    await bring_to(filed.number, Status.replied, categories["water"].department)
    await deliver()
    # accepted, assigned, answered: each on the three channels; signing and drafting are no news.
    assert [m["Subject"] for m in smtp.messages] == [
        f"Case {filed.number}: Accepted", f"Case {filed.number}: Assigned", f"Case {filed.number}: Answer published"
    ]
    answer = smtp.messages[-1]
    assert answer["To"] == "filer@example.com" and answer["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = answer["List-Unsubscribe"].strip(" <>")
    assert unsubscribe.startswith("http://localhost:8000/notifications/unsubscribe/")
    assert f"/follow/{filed.follow_token}#rating" in text_of(answer)
    assert answer.get_body(("html",)) is not None, "a plain-text part and an HTML one"
    assert "Municipal" not in text_of(smtp.messages[1]) and "City Water Supply Company" in text_of(smtp.messages[1])

    assert [m["PhoneNumbers"] for m in sms.messages] == ["13900139000"] * 3
    assert {(m["SignName"], m["TemplateCode"]) for m in sms.messages} == {("民生", "SMS_0001")}
    assert sms.messages[-1]["TemplateParam"]["text"].startswith(f"Case {filed.number} has been answered.")

    assert [p["title"] for p in push.received] == [m["Subject"] for m in smtp.messages]
    assert push.received[-1]["url"].endswith(f"/follow/{filed.follow_token}#rating") and not push.refused
    assert set(await Message.select(Message.status).output(as_list=True)) == {"sent"}


async def test_every_notice_of_the_filers_from_progress_to_closing(settings, categories, channels):
    _, sms, _ = channels
    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "en")
    department = categories["water"].department
    handler = handler_of(department)
    await bring_to(filed.number, Status.signed, department)
    draft = await workflow.perform(filed.number, actions.PostProgress(text="管道已挖开，正在焊接。"), handler)
    await deliver()
    assert [m["TemplateParam"]["text"] for m in sms.messages][-1].endswith("was assigned to City Water Supply Company.")
    sms.messages.clear()
    await workflow.review(draft, "edit", MODERATOR, body="管道已挖开，今晚焊接完成。")  # the public reads the edit
    asked = actions.RequestExtension(text="需要更换整段管道", due_date=(clock.now() + timedelta(days=10)).date())
    await workflow.perform(filed.number, asked, handler)  # staff only: no news
    await workflow.perform(filed.number, actions.GrantExtension(), MODERATOR)
    reply = await workflow.perform(filed.number, actions.DraftReply(text="已修复，恢复供水。"), handler)
    await workflow.review(reply, "approve", MODERATOR)
    await ratings.rate(filed.follow_token, RatingForm(satisfaction="unsatisfied", solved="no"))  # the filer's own act: no news
    await workflow.perform(filed.number, actions.Reopen(), MODERATOR)
    await workflow.perform(filed.number, actions.Sign(), handler)
    reply = await workflow.perform(filed.number, actions.DraftReply(text="已彻底修复。"), handler)
    await workflow.review(reply, "approve", MODERATOR)
    await ratings.rate(filed.follow_token, RatingForm(satisfaction="unsatisfied", solved="partly"))
    await workflow.perform(filed.number, actions.Close(text="已按规定办理完毕。"), MODERATOR)
    await deliver()
    number, link = filed.number, f"http://localhost:8000/follow/{filed.follow_token}#rating"
    assert [m["TemplateParam"]["text"] for m in sms.messages] == [
        f"Progress on case {number}: 管道已挖开，今晚焊接完成。",
        f"The deadline of case {number} was extended.",
        f"Case {number} has been answered. Read the answer and rate it: {link}",
        f"Case {number} was reopened: the department handles it again.",
        f"Case {number} has been answered. Read the answer and rate it: {link}",
        f"Case {number} was closed.",
    ]


async def test_messages_are_in_the_language_of_the_page_they_subscribed_on(settings, categories, channels):
    smtp, sms, push = channels
    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "zh_CN")
    await workflow.perform(filed.number, actions.Reject(text="重复反映，已在2026-000001中处理"), MODERATOR)
    await deliver()
    [message] = sms.messages
    text = message["TemplateParam"]["text"]
    assert text == f"您的诉求{filed.number}不予受理，原因：重复反映，已在2026-000001中处理", text
    assert sms_segments(text) == 1, "a Chinese notice fits one SMS of 70 characters"


async def test_nothing_but_the_check_goes_to_an_address_not_confirmed(settings, categories, channels):
    smtp, _, _ = channels
    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_email(filed.follow_token, "someone@example.com", "en")
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    await deliver()
    assert [m["Subject"] for m in smtp.messages] == [f"Case {filed.number}: Email address check"]


async def test_a_change_that_rolls_back_leaves_no_message(settings, categories, channels):
    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "en")
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await workflow.perform(filed.number, actions.Accept(), MODERATOR)
            raise RuntimeError("the request failed after the action")
    assert await Message.count() == 0


async def test_a_failed_send_waits_twice_as_long_each_time_then_is_dead(settings, categories, channels):
    _, sms, _ = channels
    await accepted_with_an_sms_subscriber(settings, categories)
    now = clock.now()
    sms.failures[:] = [503, 503, 503]
    await deliver(now, notify_attempts=3)
    message = await Message.objects().first()
    assert (message.status, message.attempts, message.error) == ("pending", 1, "SMS gateway HTTP 503")
    assert message.due_at - now == timedelta(seconds=60)
    assert await deliver(now + timedelta(seconds=59), notify_attempts=3) == 0, "not due yet"
    await deliver(now + timedelta(seconds=60), notify_attempts=3)
    message = await Message.objects().first()
    assert (message.status, message.attempts) == ("pending", 2) and message.due_at - (now + timedelta(seconds=60)) == timedelta(seconds=120)
    await deliver(now + timedelta(seconds=180), notify_attempts=3)
    message = await Message.objects().first()
    assert (message.status, message.attempts) == ("dead", 3) and not sms.messages
    assert await deliver(now + timedelta(days=1), notify_attempts=3) == 0, "a dead letter is not tried again"


async def test_an_expired_push_subscription_is_removed_and_the_log_says_why(settings, categories, channels):
    _, _, push = channels
    filed = await file(settings, form(categories["water"]))
    browser = push.subscribe()
    await subscriptions.subscribe_push(filed.follow_token, json.dumps(browser), "en")
    push.expired.add(browser["endpoint"])
    await workflow.perform(filed.number, actions.Accept(), MODERATOR)
    await deliver()
    assert await Subscription.count() == 0
    message = await Message.objects().first()
    assert (message.status, message.error, message.subscription) == ("dead", "push: expired subscription", None)


async def test_two_workers_at_once_send_each_message_once(settings, categories, channels):
    smtp, sms, push = channels
    for _ in range(3):
        filed, _ = await filed_with_every_channel(settings, categories, push)
        await Subscription.update({Subscription.verified_at: clock.now()}).where(Subscription.channel == "email")
        await bring_to(filed.number, Status.assigned, categories["water"].department)
    written = await Message.count()
    assert written == 3 * (1 + 3 * 2)  # per case: the address check, and accepted and assigned on 3 channels
    tried = await asyncio.gather(deliver(), deliver())
    assert sum(tried) == written
    assert len(smtp.messages) + len(sms.messages) + len(push.received) == written
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages)
    assert await Message.count().where(Message.status == "sent") == written


async def test_a_claim_whose_worker_died_is_taken_again_when_it_runs_out(settings, categories, channels):
    _, sms, _ = channels
    await accepted_with_an_sms_subscriber(settings, categories)
    now = clock.now()
    assert len(await delivery.claim(now)) == 1  # and then the worker died before sending
    assert await deliver(now + timedelta(minutes=delivery.CLAIM_MINUTES - 1)) == 0
    assert await deliver(now + timedelta(minutes=delivery.CLAIM_MINUTES, seconds=1)) == 1
    assert len(sms.messages) == 1


async def test_a_channel_without_settings_is_off_and_its_messages_wait(settings, categories, channels):
    await accepted_with_an_sms_subscriber(settings, categories)
    await deliver(sms_url="")
    message = await Message.objects().first()
    assert (message.status, message.error) == ("pending", "sms is off")


def test_sms_segments_count_chinese_at_70_characters():
    assert sms_segments("中" * 70) == 1 and sms_segments("中" * 71) == 2 and sms_segments("中" * 134) == 2
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2


def test_the_push_key_is_generated_once_and_kept(settings):
    from backend.notifications.channels import vapid_public_key

    key = vapid_public_key(settings)
    assert key == vapid_public_key(settings) and len(unb64url(key)) == 65


async def test_the_delivery_log_keeps_done_deliveries_for_its_own_period_and_what_waits_for_ever(settings, categories, channels):
    from backend.notifications import log

    await accepted_with_an_sms_subscriber(settings, categories)
    await deliver()
    await accepted_with_an_sms_subscriber(settings, categories)  # not delivered: still to send
    assert sorted(await Message.select(Message.status).output(as_list=True)) == ["pending", "sent"]
    days = settings.delivery_log_days
    assert await log.forget_old_deliveries(clock.now() + timedelta(days=days - 1)) == 0
    assert await log.forget_old_deliveries(clock.now() + timedelta(days=days + 1)) == 1
    assert await Message.select(Message.status).output(as_list=True) == ["pending"]


def test_workers_starting_at_once_agree_on_one_vapid_key(tmp_path):
    """Each generates a key; one is linked into place and every one of them uses it (a worker
    reading a key another was still writing crashed the benchmark's delivery)."""
    from concurrent.futures import ProcessPoolExecutor

    settings = dataclasses.replace(get_settings(), data_dir=tmp_path, vapid_private_key="")
    with ProcessPoolExecutor(6) as workers:
        keys = list(workers.map(vapid_public_key, [settings] * 24))
    assert len(set(keys)) == 1 and [path.name for path in tmp_path.iterdir()] == ["vapid_private_key.pem"]
    assert vapid_public_key(settings) == keys[0]
