"""Staff hear of their work: each adds this device on their account page, and each notice of
theirs (``notices.STAFF_NOTICES``) shows there, linking to the staff case page: a department's
handlers what comes to it and what its clocks say, the centre what waits for it, a leader the
cases in their charge and every red flag. Nobody hears of another department's cases; each
turns notices off and sets quiet hours; the filer's delivery log lists none of it."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.cases import actions, supervision, workflow
from backend.cases.services import Actor
from backend.cases.tables import TimelineEntry
from backend.accounts.services import get_account
from backend.notifications import preferences
from backend.representatives import services as suggestions
from backend.notifications.tables import Message, StaffSubscription
from backend.vocabulary import Role, Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of
from tests.notifications.test_delivery import deliver
from tests.representatives.helpers import answer, suggestion_form


async def add_this_device(handler, push) -> dict:
    browser = push.subscribe()
    added = await handler.client.post(
        "/account/notifications/push", content=json.dumps(browser).encode(), headers={"content-type": "application/json"}
    )
    assert added.status_code == 201 and added.json()["message"] == "This device will show the news of your work."
    return browser


async def test_handlers_hear_of_new_work_for_their_department_only(person, channels, settings, categories):
    _, _, push = channels
    water = await person("handler", department_id=categories["water"].department)
    roads = await person("handler", department_id=categories["roads"].department)
    mine, theirs = await add_this_device(water, push), await add_this_device(roads, push)
    page = (await water.client.get("/account/notifications")).text
    assert "Push on a device: 127.0.0.1" in page and mine["endpoint"] not in page  # the push service, never the endpoint

    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    await deliver()
    [news] = push.received
    assert news["endpoint"] == mine["endpoint"] and news["url"] == f"http://localhost:8000/staff/cases/{filed.number}"
    assert news["title"] == f"Case {filed.number}: New work" and news["body"] == f"Case {filed.number} is now your department's to handle."
    assert theirs["endpoint"] not in {p["endpoint"] for p in push.received}

    moderator = await person("moderator")
    log = (await moderator.client.get(f"/staff/cases/{filed.number}")).text
    assert 'id="deliveries"' not in log, "the filer's log lists no staff news"


async def test_a_handler_removes_only_their_own_devices(person, channels, settings, categories):
    _, _, push = channels
    water = await person("handler", department_id=categories["water"].department)
    roads = await person("handler", department_id=categories["roads"].department)
    await add_this_device(water, push), await add_this_device(roads, push)
    [mine, theirs] = await StaffSubscription.select(StaffSubscription.id).order_by(StaffSubscription.id).output(as_list=True)
    assert (await water.post_form(f"/account/notifications/{theirs}/remove")).status_code == 303
    assert await StaffSubscription.count() == 2
    assert (await water.post_form(f"/account/notifications/{mine}/remove")).status_code == 303
    assert await StaffSubscription.select(StaffSubscription.id).output(as_list=True) == [theirs]
    assert (await water.post_form("/account/notifications/nonsense/remove")).status_code == 400  # not an id (RowId)
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    assert await Message.count() == 0


async def test_only_people_with_notices_have_the_page(person):
    admin = await person("admin")
    assert (await admin.client.get("/account/notifications")).status_code == 403
    leader = await person("leader")
    page = (await leader.client.get("/account/notifications", headers={"accept-language": "en"})).text
    assert "Red flag: overdue and supervised" in page and "Text to review" not in page  # a leader's notices only


def titles(push, endpoint: str) -> list[str]:
    return [news["title"].split(": ", 1)[1] for news in push.received if news["endpoint"] == endpoint]


async def test_each_role_hears_of_its_own_work(person, channels, settings, categories):
    _, _, push = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    moderator, leader, other_leader = await person("moderator"), await person("leader"), await person("leader")
    devices = {name: (await add_this_device(who, push))["endpoint"] for name, who in
               (("handler", handler), ("moderator", moderator), ("leader", leader), ("other_leader", other_leader))}
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.signed, water_id)
    await workflow.perform(filed.number, actions.TakeCharge(text="我来督办"), Actor(Role.leader, "", account_id=leader.account_id))
    await workflow.perform(filed.number, "draft_reply", handler_of(water_id), body="已修复")
    pending = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()
    await workflow.review(pending["id"], "send_back", MODERATOR, body="请写明修复时间")
    await supervision.flag_overdue(clock.now() + timedelta(days=60))
    await supervision.supervise_overdue(clock.now() + timedelta(days=60))
    await deliver()
    # Each clock that ran out (contact, first response, answer), then the red flag.
    assert titles(push, devices["handler"]) == ["New work", "Text sent back", *["Overdue"] * 3, "Red flag: overdue and supervised"]
    assert titles(push, devices["moderator"]) == ["Text to review"]
    assert titles(push, devices["leader"]) == ["Overdue", "Red flag: overdue and supervised"]  # theirs, and every red flag
    assert titles(push, devices["other_leader"]) == ["Red flag: overdue and supervised"]


async def test_a_notice_turned_off_is_not_sent_and_quiet_hours_hold_the_rest_unless_the_case_is_due(person, channels, settings, categories):
    _, _, push = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    await add_this_device(handler, push)
    choices = {"heard": ["new_work", "overdue", "red_flag", "instructed"], "quiet_from": "09:00", "quiet_until": "12:00"}  # not "supervised"
    assert (await handler.post_form("/account/notifications/choices", choices)).status_code == 303
    morning = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(settings.time_zone))  # a Tuesday, a working day, in the quiet hours
    with clock.travel_to(morning):
        filed = await file(settings, form(categories["water"]))
        await bring_to(filed.number, Status.assigned, water_id)  # to sign for within 15 minutes: it goes at once
        await workflow.perform(filed.number, "supervise", MODERATOR, body="请加快")  # turned off
        await workflow.perform(filed.number, "sign", handler_of(water_id))
        leader = await person("leader")
        await workflow.perform(filed.number, "instruct", Actor(Role.leader, "", account_id=leader.account_id), body="尽快解决")
    rows = await Message.select(Message.event, Message.due_at).order_by(Message.id)
    assert [row["event"] for row in rows] == ["new_work", "instructed"]
    assert rows[0]["due_at"] == morning  # due within the hour: at once
    assert rows[1]["due_at"] == morning.replace(hour=12)  # nothing due soon: when the quiet hours end
    await deliver(morning + timedelta(minutes=1))
    assert [news["title"].split(": ")[1] for news in push.received] == ["New work"]
    await deliver(morning.replace(hour=12))
    assert [news["title"].split(": ")[1] for news in push.received] == ["New work", "Leader's instruction (批示)"]


async def test_choices_keep_what_was_typed_when_refused(person, categories):
    handler = await person("handler", department_id=categories["water"].department)
    refused = await handler.post_form("/account/notifications/choices", {"heard": ["new_work", "to_review"], "quiet_from": "22:00"})
    assert refused.status_code == 422
    assert "Choose only among the notices listed." in refused.text or "只能在列出的通知中选择" in refused.text
    assert 'value="22:00"' in refused.text
    half = await handler.post_form("/account/notifications/choices", {"heard": ["new_work"], "quiet_from": "22:00"}, )
    assert half.status_code == 422 and 'value="22:00"' in half.text
    wrong = await handler.post_form("/account/notifications/choices", {"quiet_from": "25:00", "quiet_until": "7"})
    assert wrong.status_code == 422
    assert (await handler.post_form("/account/notifications/choices", {"heard": ["new_work"], "quiet_from": "22:00", "quiet_until": "07:00"})).status_code == 303
    page = (await handler.client.get("/account/notifications")).text
    assert 'value="22:00"' in page and 'value="07:00"' in page and 'value="new_work" checked' in page and 'value="overdue" checked' not in page


QUIET_NIGHT = preferences.Choices(quiet_from=time(22, 0), quiet_until=time(7, 0))
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("local", "ends"),
    [
        (datetime(2026, 12, 8, 23, 30, tzinfo=ZONE), datetime(2026, 12, 9, 7, 0, tzinfo=ZONE)),
        (datetime(2026, 12, 9, 6, 59, tzinfo=ZONE), datetime(2026, 12, 9, 7, 0, tzinfo=ZONE)),
        (datetime(2026, 12, 9, 7, 0, tzinfo=ZONE), None),
        (datetime(2026, 12, 9, 21, 59, tzinfo=ZONE), None),
        (datetime(2026, 12, 9, 22, 0, tzinfo=ZONE), datetime(2026, 12, 10, 7, 0, tzinfo=ZONE)),
    ],
)
def test_quiet_hours_over_midnight(local, ends):
    assert QUIET_NIGHT.quiet_until_after(local) == ends


def test_a_case_due_within_the_hour_goes_out_at_once_even_in_quiet_hours():
    now = datetime(2026, 12, 8, 23, 30, tzinfo=ZONE)
    assert preferences.due_at(QUIET_NIGHT, now, ZONE, [now + timedelta(minutes=50)]) == now
    assert preferences.due_at(QUIET_NIGHT, now, ZONE, [now + timedelta(hours=2), None]) == datetime(2026, 12, 9, 7, 0, tzinfo=ZONE)
    assert preferences.due_at(QUIET_NIGHT, now, ZONE, [now - timedelta(minutes=5)]) == datetime(2026, 12, 9, 7, 0, tzinfo=ZONE)  # already overdue
    assert preferences.due_at(preferences.Choices(), now, ZONE, []) == now
    midday = preferences.Choices(quiet_from=time(12, 0), quiet_until=time(14, 0))
    assert preferences.due_at(midday, now, ZONE, []) == now


async def test_a_handler_is_reminded_to_sign_for_a_case_minutes_before_the_limit(person, channels, settings, categories):
    _, _, push = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    await add_this_device(handler, push)
    choices = {"heard": ["sign_soon"], "quiet_from": "09:00", "quiet_until": "12:00"}  # even in quiet hours
    assert (await handler.post_form("/account/notifications/choices", choices)).status_code == 303
    morning = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(settings.time_zone))
    with clock.travel_to(morning):
        filed = await file(settings, form(categories["water"]))
        await bring_to(filed.number, Status.assigned, water_id)
    # The notice's time (due within the hour: past the quiet hours) is the clock's, as the job's is.
    with clock.travel_to(morning + timedelta(minutes=11)):
        await supervision.flag_sign_reminders(clock.now())
        await deliver(clock.now())
    assert [news["title"] for news in push.received] == [f"Case {filed.number}: Sign for it now"]



async def test_representatives_hear_of_invitations_meetings_and_the_answer(person, channels, settings, categories):
    _, _, push = channels
    lead = await person("representative", name="王代表", body="npc", level="city", constituency="竞秀区")
    invited = await person("representative", name="李委员", body="cppcc", level="county", constituency="经济界")
    leads, inviteds = (await add_this_device(lead, push))["endpoint"], (await add_this_device(invited, push))["endpoint"]
    lead_account = await get_account(lead.account_id)
    case_id = await suggestions.create_draft(suggestion_form(categories["water"]), lead_account)
    await suggestions.invite_co_signer(case_id, lead_account, invited.account_id)
    await deliver()
    [invitation] = push.received
    assert invitation["endpoint"] == inviteds and invitation["title"] == "Invitation to co-sign"
    assert invitation["url"] == f"http://localhost:8000/representatives/drafts/{case_id}"
    assert "DRAFT" not in invitation["title"] + invitation["body"]  # a draft's is not a number yet
    number = await suggestions.submit(case_id, lead_account, settings.time_zone)
    water = categories["water"].department
    await workflow.perform(number, "accept", MODERATOR)
    await workflow.perform(number, actions.Assign(department_id=water), MODERATOR)
    await workflow.perform(number, "sign", handler_of(water))
    await workflow.perform(number, "record_meeting", handler_of(water), body="已于周三上午与王代表座谈")
    await answer(number, water)
    await deliver()
    assert [news["endpoint"] for news in push.received].count(inviteds) == 1
    to_lead = [news for news in push.received if news["endpoint"] == leads]
    assert [news["title"] for news in to_lead] == [f"Case {number}: Meeting recorded", f"Case {number}: Answer published"]
    assert all(news["url"] == f"http://localhost:8000/representatives/suggestions/{number}" for news in to_lead)
    assert "已于周三上午与王代表座谈" in to_lead[0]["body"]

def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_staff_choose_email_and_sms_and_the_address_is_confirmed_before_anything_else(person, channels, settings, categories, new_client):
    smtp, sms, push = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    device = (await add_this_device(handler, push))["endpoint"]
    added = await handler.post_form("/account/notifications/email", {"email": " Chen.Handler@Water.example.cn "})
    assert added.status_code == 303 and added.headers["location"] == "/account/notifications?added=email"
    page = (await handler.client.get("/account/notifications?added=email")).text
    assert "Follow the link in it to start receiving the news of your work there." in page
    assert "Email: c***@water.example.cn" in page and "waiting for you to confirm the address" in page
    texted = await handler.post_form("/account/notifications/sms", {"phone": "+86 139-0013-9001", "consent": "yes"})
    assert texted.status_code == 303
    assert "SMS: 139****9001" in (await handler.client.get("/account/notifications")).text

    first = await file(settings, form(categories["water"]))
    await bring_to(first.number, Status.assigned, water_id)
    await deliver()
    # The address has only its check; the phone and the device the news.
    [check] = smtp.messages
    assert check["To"] == "chen.handler@water.example.cn" and check["Subject"] == "Email address check"
    assert check["List-Unsubscribe"].strip().startswith("<http://localhost:8000/notifications/staff-unsubscribe/")
    link = next(word for word in plain_text(check).split() if "/notifications/staff-verify/" in word)
    assert [m["TemplateParam"]["text"] for m in sms.messages] == [f"Case {first.number} is now your department's to handle."]
    assert sms.messages[0]["PhoneNumbers"] == "13900139001"
    assert [news["endpoint"] for news in push.received] == [device]

    anyone = await new_client()  # the link works without a session
    assert (await anyone.get(link.removeprefix("http://localhost:8000") + "x")).status_code == 404
    confirmed = await anyone.get(link.removeprefix("http://localhost:8000"))
    assert confirmed.status_code == 200
    assert "waiting for you to confirm" not in (await handler.client.get("/account/notifications")).text

    second = await file(settings, form(categories["water"]))
    await bring_to(second.number, Status.assigned, water_id)
    await deliver()
    [_, news] = smtp.messages
    assert news["Subject"] == f"Case {second.number}: New work"
    assert f"http://localhost:8000/staff/cases/{second.number}" in plain_text(news)
    assert len(sms.messages) == 2 and len(push.received) == 2
    assert set(await Message.select(Message.status).output(as_list=True)) == {"sent"}


async def test_quiet_hours_hold_every_channel(person, channels, settings, categories):
    smtp, sms, _ = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    assert (await handler.post_form("/account/notifications/sms", {"phone": "13900139002", "consent": "yes"})).status_code == 303
    choices = {"heard": ["new_work", "instructed"], "quiet_from": "09:00", "quiet_until": "12:00"}
    assert (await handler.post_form("/account/notifications/choices", choices)).status_code == 303
    morning = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo(settings.time_zone))
    with clock.travel_to(morning):
        filed = await file(settings, form(categories["water"]))
        await bring_to(filed.number, Status.assigned, water_id)  # to sign for within 15 minutes: at once
        await workflow.perform(filed.number, "sign", handler_of(water_id))
        leader = await person("leader")
        await workflow.perform(filed.number, "instruct", Actor(Role.leader, "", account_id=leader.account_id), body="尽快解决")
    await deliver(morning + timedelta(minutes=1))
    assert [m["TemplateParam"]["text"] for m in sms.messages] == [f"Case {filed.number} is now your department's to handle."]
    await deliver(morning.replace(hour=12))
    assert sms.messages[-1]["TemplateParam"]["text"] == f"A leader's instruction (批示) on case {filed.number}: 尽快解决"


async def test_a_bad_address_or_number_is_refused_in_the_persons_language_and_kept(person, channels, categories):
    handler = await person("handler", department_id=categories["water"].department)
    bad = await handler.post_form("/account/notifications/email", {"email": "chen@water"})
    assert bad.status_code == 422 and "Enter an email address like name@example.com." in bad.text and 'value="chen@water"' in bad.text
    phone = await handler.post_form("/account/notifications/sms", {"phone": "12345", "consent": "yes"})
    assert phone.status_code == 422 and "Enter a mainland mobile number of 11 digits" in phone.text and 'value="12345"' in phone.text
    assert 'name="consent" type="checkbox" value="yes" checked' in phone.text
    unconsented = await handler.post_form("/account/notifications/sms", {"phone": "13900139003"})
    assert unconsented.status_code == 422 and "Tick the box to agree to receive text messages about your work." in unconsented.text
    handler.client.headers["accept-language"] = "zh-CN"
    chinese = await handler.post_form("/account/notifications/sms", {"phone": "1390013900"})
    assert chinese.status_code == 422 and 'value="1390013900"' in chinese.text
    assert "请输入11位" in chinese.text, chinese.text[-3000:]
    assert await StaffSubscription.count() == 0


async def test_a_channel_without_settings_is_shown_off_with_the_reason(person, categories):
    handler = await person("handler", department_id=categories["water"].department)
    page = (await handler.client.get("/account/notifications")).text
    assert "Off: set MINSHENG_SMTP_HOST and MINSHENG_MAIL_FROM." in page
    assert "Off: set MINSHENG_SMS_URL, MINSHENG_SMS_TEMPLATE and MINSHENG_SMS_SIGNATURE." in page
    refused = await handler.post_form("/account/notifications/email", {"email": "chen@water.example.cn"})
    assert refused.status_code == 409 and "This way of sending news is not available." in refused.text
    assert await StaffSubscription.count() == 0


async def test_a_staff_email_refused_for_good_is_a_dead_letter_on_the_admin_page(person, channels, settings, categories):
    smtp, _, _ = channels
    handler = await person("handler", department_id=categories["water"].department)
    smtp.refuse.add("gone@water.example.cn")
    assert (await handler.post_form("/account/notifications/email", {"email": "gone@water.example.cn"})).status_code == 303
    await deliver()
    [message] = await Message.select(Message.status, Message.error, Message.case, Message.event)
    assert message == {"status": "dead", "error": "SMTP: recipient refused", "case": None, "event": "staff_verify"}
    admin = await person("admin")
    page = (await admin.client.get("/admin/notifications")).text
    assert "Email address check" in page and "SMTP: recipient refused" in page


async def test_a_staff_member_stops_an_address_from_the_link_in_its_message_without_a_session(person, channels, settings, categories, new_client):
    smtp, sms, _ = channels
    water_id = categories["water"].department
    handler = await person("handler", department_id=water_id)
    assert (await handler.post_form("/account/notifications/email", {"email": "chen@water.example.cn"})).status_code == 303
    await deliver()
    [check] = smtp.messages
    stop = check["List-Unsubscribe"].strip().strip("<>").removeprefix("http://localhost:8000")
    assert f"http://localhost:8000{stop}" in plain_text(check)
    mail_client = await new_client()  # no cookie, from anywhere (RFC 8058)
    shown = await mail_client.get(stop)
    assert shown.status_code == 200 and f'action="{stop}"' in shown.text and await StaffSubscription.count() == 1  # a GET never stops it
    assert (await mail_client.post(stop + "x", headers={"sec-fetch-site": "cross-site"})).status_code == 404
    done = await mail_client.post(stop, data={"List-Unsubscribe": "One-Click"}, headers={"sec-fetch-site": "cross-site"})
    assert done.status_code == 200 and await StaffSubscription.count() == 0
    assert (await mail_client.post(stop, headers={"sec-fetch-site": "cross-site"})).status_code == 200  # again: still fine
    forged = stop.replace("staff-unsubscribe", "unsubscribe")  # a case subscription's link is another purpose
    assert (await mail_client.get(forged)).status_code == 404
