"""Text staff mark as personal (and what a moderator redacted out of a case) goes with the
filer's contact details; public text never does, and every mark is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from backend import clock
from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.cases import actions, personal_text, retention, workflow
from backend.cases.services import Actor
from backend.cases.tables import Case, CoHandler, TimelineEntry
from backend.errors import Forbidden, NotFound, WrongState
from backend.vocabulary import Role, Status
from tests.cases.test_filer_export import MODERATOR, a_handled_case
from tests.cases.test_lifecycle import bring_to, filed_case
from tests.keys import api_key, bearer  # noqa: F401  (a fixture)

WHO = Who(None, "Moderator Wu")


async def entry_of(number: str, action: str) -> dict:
    case = await Case.select(Case.id).where(Case.number == number).first()
    return await TimelineEntry.select(TimelineEntry.id, TimelineEntry.body, TimelineEntry.personal).where(
        TimelineEntry.case == case["id"], TimelineEntry.action == action
    ).order_by(TimelineEntry.id, ascending=False).first()


async def test_marked_and_redacted_text_goes_with_the_contact_details_and_nothing_else(settings, categories):
    filed, _ = await a_handled_case(settings, categories)
    note = await entry_of(filed.number, "post_internal_note")  # the centre's: 已电话沟通
    assert await personal_text.mark(filed.number, note["id"], True, MODERATOR, WHO)
    assert not await personal_text.mark(filed.number, note["id"], True, MODERATOR, WHO)  # once
    redacted = await filed_case(settings, categories, title="张三家门口的水管漏水", filer_phone="13700137000")
    await workflow.perform(redacted, actions.Redact(title="某小区门口的水管漏水"), MODERATOR)
    assert (await entry_of(redacted, "redact"))["personal"]  # what was taken out of the public text
    await bring_to(redacted, Status.rejected, categories["water"].department)
    reply_before = await entry_of(filed.number, "draft_reply")
    assert await retention.anonymise_finished(clock.now() + timedelta(days=settings.personal_data_days + 1)) == 2
    assert (await entry_of(filed.number, "post_internal_note"))["body"] == ""
    assert (await entry_of(redacted, "redact"))["body"] == ""
    assert await entry_of(filed.number, "draft_reply") == reply_before  # the public answer stays
    others = await TimelineEntry.select(TimelineEntry.body).where(TimelineEntry.body.like("%刘工%"))
    assert others  # the co-handler's note was not marked: it stays


async def test_who_may_mark_what(settings, categories):
    filed, _ = await a_handled_case(settings, categories)  # water leads, roads co-handles
    water = Actor(Role.handler, "市自来水公司", categories["water"].department)
    roads = Actor(Role.handler, "市政设施管理处", categories["roads"].department)
    note = await entry_of(filed.number, "post_internal_note")
    assert await personal_text.mark(filed.number, note["id"], True, roads, Who(None, "co-handler"))
    assert await personal_text.mark(filed.number, note["id"], False, water, Who(None, "lead"))
    with pytest.raises(Forbidden):
        await personal_text.mark(filed.number, note["id"], True, Actor(Role.leader, "", account_id=1), Who(None, "leader"))
    elsewhere = await filed_case(settings, categories, title="别处的案件")
    await bring_to(elsewhere, Status.assigned, categories["water"].department)
    with pytest.raises(NotFound):  # another department's case looks like none
        await personal_text.mark(elsewhere, (await entry_of(elsewhere, "assign"))["id"], True, roads, Who(None, "roads"))
    with pytest.raises(NotFound):  # an entry of another case
        await personal_text.mark(filed.number, (await entry_of(elsewhere, "assign"))["id"], True, MODERATOR, WHO)
    with pytest.raises(WrongState):  # public text stays as published
        await personal_text.mark(filed.number, (await entry_of(filed.number, "draft_reply"))["id"], True, MODERATOR, WHO)
    audit = await AuditEvent.select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.detail).order_by(AuditEvent.id)
    marks = [row for row in audit if "personal" in row["action"]]
    assert marks == [
        {"action": "text_marked_personal", "actor_name": "co-handler", "detail": f"{filed.number} · {note['id']}"},
        {"action": "text_unmarked_personal", "actor_name": "lead", "detail": f"{filed.number} · {note['id']}"},
    ]
    await retention.anonymise_finished(clock.now() + timedelta(days=settings.personal_data_days + 1))
    with pytest.raises(WrongState):  # nothing left to mark
        await personal_text.mark(filed.number, note["id"], True, MODERATOR, WHO)


async def test_staff_mark_from_the_case_page_and_the_api(settings, categories, person, client, api_key):
    filed, _ = await a_handled_case(settings, categories)
    note = await entry_of(filed.number, "post_internal_note")
    moderator = await person("moderator")
    page = await moderator.client.get(f"/staff/cases/{filed.number}", headers={"accept-language": "en"})
    action = f"/staff/cases/{filed.number}/entries/{note['id']}/personal"
    assert f'action="{action}"' in page.text and "Mark as personal" in page.text
    reply = await entry_of(filed.number, "draft_reply")
    assert f"/entries/{reply['id']}/personal" not in page.text  # public text: not offered
    done = await moderator.post_form(action, {"personal": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/staff/cases/{filed.number}#entry-{note['id']}"
    page = await moderator.client.get(f"/staff/cases/{filed.number}", headers={"accept-language": "en"})
    assert "personal: erased with the filer" in page.text and "Not personal after all" in page.text
    leader = await person("leader")
    assert (await leader.post_form(action, {"personal": "0"})).status_code == 403
    public = await moderator.post_form(f"/staff/cases/{filed.number}/entries/{reply['id']}/personal", {"personal": "1"})
    assert public.status_code == 409
    headers = bearer(await api_key(f"staff:{categories['water'].department}"))
    url = f"/api/v1/staff/cases/{filed.number}/entries/{note['id']}/personal"
    undone = await client.post(url, json={"personal": False}, headers=headers)
    assert undone.status_code == 200 and undone.json() == {"entry_id": note["id"], "personal": False, "changed": True}
    assert (await client.post(url, json={"personal": "yes"}, headers=headers)).status_code == 400
    assert not (await entry_of(filed.number, "post_internal_note"))["personal"]
    follow = await client.get(f"/follow/{filed.follow_token}")
    assert not re.search(r"/entries/\d+/personal", follow.text)  # nothing of it on the filer's page
