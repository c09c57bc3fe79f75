"""Admins word the notices: per notice, channel and language, checked when saved (only the
known placeholders, the link kept where the person needs it, a text message kept short), used
for the messages written from then on, and back to the default when emptied."""

from __future__ import annotations

import pytest

from backend.notifications import subscriptions, wordings
from backend.notifications.channels import EMAIL, PUSH, SMS
from backend.notifications.notices import Notice
from backend.notifications.tables import NoticeWording
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.notifications.test_delivery import deliver


@pytest.mark.parametrize(
    ("notice", "channel", "text", "why"),
    [
        (Notice.accepted, SMS, "诉求{number}已受理。", None),
        (Notice.accepted, SMS, "诉求{numbr}已受理。", "Use only the placeholders"),
        (Notice.accepted, SMS, "诉求{number已受理。", "A brace is not closed"),
        (Notice.accepted, SMS, "诉求{number.__class__}已受理。", "Use only the placeholders"),
        (Notice.accepted, SMS, "{0}", "Use only the placeholders"),
        (Notice.answered, SMS, "诉求{number}已答复。", "must keep {link}"),
        (Notice.answered, SMS, "诉求{number}已答复，请评价：{link}", None),
        (Notice.progress, SMS, "诉求{number}进展：{text}" + "请" * 120, "Too long for a text message"),
        (Notice.progress, PUSH, "诉求{number}进展：{text}" + "请" * 120, None),  # a push is not counted in segments
    ],
)
def test_a_wording_is_checked_before_it_is_kept(notice, channel, text, why):
    found = wordings.check(notice, channel, text)
    assert (found is None) if why is None else (found is not None and why in found)


def test_each_notice_goes_out_only_on_its_channels():
    assert wordings.channels_of(Notice.new_work) == (EMAIL, SMS, PUSH)  # staff choose among the three
    assert wordings.channels_of(Notice.staff_verify) == (EMAIL,)
    assert wordings.channels_of(Notice.followed_closed) == (EMAIL, PUSH)
    assert wordings.channels_of(Notice.verify) == (EMAIL,)
    assert wordings.channels_of(Notice.answered) == (EMAIL, SMS, PUSH)
    assert wordings.default_wording(Notice.accepted, "en") == "Case {number} was accepted for handling."


async def test_the_admin_words_a_text_message_and_the_filer_receives_it(channels, person, settings, categories):
    _, sms, _ = channels
    admin = await person("admin")
    page = await admin.client.get("/admin/notifications/wordings/accepted", headers={"accept-language": "en"})
    assert page.status_code == 200 and "Case {number} was accepted for handling." in page.text
    wrong = await admin.post_form("/admin/notifications/wordings/accepted", {"sms:zh_CN": "诉求{编号}已受理", "sms:en": "Case {number} accepted."})
    assert wrong.status_code == 422 and "诉求{编号}已受理" in wrong.text and "Case {number} accepted." in wrong.text
    assert await NoticeWording.count() == 0  # nothing kept of a form with an error
    saved = await admin.post_form("/admin/notifications/wordings/accepted", {"sms:zh_CN": "【民生】诉求{number}已受理，请耐心等待。"})
    assert saved.status_code == 303
    assert [row["text"] for row in await NoticeWording.select(NoticeWording.text)] == ["【民生】诉求{number}已受理，请耐心等待。"]
    assert (await admin.client.get("/admin/notifications/wordings/no_such_notice")).status_code == 404
    moderator = await person("moderator")
    assert (await moderator.client.get("/admin/notifications/wordings")).status_code == 403

    filed = await file(settings, form(categories["water"]))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "zh_CN")
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    await deliver()
    assert sms.messages[-1]["TemplateParam"]["text"].startswith(f"【民生】诉求{filed.number}已受理，请耐心等待。")

    back = await admin.post_form("/admin/notifications/wordings/accepted", {"sms:zh_CN": ""})  # empty: the default again
    assert back.status_code == 303 and await NoticeWording.count() == 0


async def test_a_staff_notice_is_worded_for_text_messages_and_the_handler_receives_it(channels, person, settings, categories):
    _, sms, _ = channels
    admin = await person("admin")
    page = (await admin.client.get("/admin/notifications/wordings/new_work")).text
    assert 'name="sms:zh_CN"' in page and 'name="email:en"' in page and 'name="push:en"' in page
    long = await admin.post_form("/admin/notifications/wordings/new_work", {"sms:zh_CN": "新工作{number}" + "请尽快签收" * 30})
    assert long.status_code == 422 and "Too long for a text message" in long.text
    assert (await admin.post_form("/admin/notifications/wordings/new_work", {"sms:en": "New case {number}: sign for it."})).status_code == 303
    water = categories["water"].department
    handler = await person("handler", department_id=water)
    assert (await handler.post_form("/account/notifications/sms", {"phone": "13900139004", "consent": "yes"})).status_code == 303
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, water)
    await deliver()
    assert [m["TemplateParam"]["text"] for m in sms.messages] == [f"New case {filed.number}: sign for it."]
