"""The filer's contact details: masked for staff, revealed on purpose with a reason, every reveal
on the filer's follow page and in the audit log."""

from __future__ import annotations

import re

import pytest

from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.cases import reveals
from backend.cases.reveals import Contact, masked, masked_phone, shortened_name
from backend.cases.services import Actor
from backend.cases.tables import CoHandler, TimelineEntry
from backend.errors import Forbidden, NotFound
from backend.vocabulary import RevealReason, Role, Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to, filed_case

PHONE, NAME = "13800138000", "李明"


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "861******8000"),  # 13 digits: still the first three and the last four
        ("0571-8765432", "057****5432"),
        ("8765432", "*****32"),  # a landline without its area code
        ("", ""),
        ("no digits", ""),
    ],
)
def test_a_phone_keeps_only_a_few_digits(phone, shown):
    assert masked_phone(phone) == shown


@pytest.mark.parametrize(("name", "shown"), [("李明", "李*"), ("欧阳娜娜", "欧**"), (" Wei Li ", "W**"), ("", "")])
def test_a_name_keeps_its_first_character(name, shown):
    assert shortened_name(name) == shown


def test_nothing_of_the_masked_contact_is_the_whole():
    shown = masked(Contact(NAME, PHONE))
    assert PHONE not in shown.phone and shown.name != NAME


async def assigned_case(settings, categories, co_handler: str | None = None) -> str:
    number = await filed_case(settings, categories, filer_name=NAME, filer_phone=PHONE)
    await bring_to(number, Status.assigned, categories["water"].department)
    if co_handler:
        case_id = (await TimelineEntry.select(TimelineEntry.case).first())["case"]
        await CoHandler.insert(CoHandler(case=case_id, department=categories[co_handler].department))
    return number


def handler_of(categories, name: str) -> Actor:
    return Actor(Role.handler, name, categories[name].department)


async def test_the_centre_and_the_lead_department_reveal_and_each_reveal_is_recorded(settings, categories):
    number = await assigned_case(settings, categories)
    seen = await reveals.reveal(number, Actor(Role.moderator, ""), RevealReason.verify, Who(None, "Moderator Wu"))
    assert seen == Contact(NAME, PHONE)
    seen = await reveals.reveal(number, handler_of(categories, "water"), RevealReason.callback, Who(None, "Handler Zhao"))
    assert seen == Contact(NAME, PHONE)
    entries = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.visibility, TimelineEntry.actor_role).where(
        TimelineEntry.action.like("reveal_%")
    ).order_by(TimelineEntry.id)
    assert entries == [
        {"action": "reveal_verify", "visibility": "filer", "actor_role": "moderator"},
        {"action": "reveal_callback", "visibility": "filer", "actor_role": "handler"},
    ]
    audit = await AuditEvent.select(AuditEvent.actor_name, AuditEvent.detail).where(AuditEvent.action == "contact_revealed").order_by(AuditEvent.id)
    assert audit == [
        {"actor_name": "Moderator Wu", "detail": f"{number} · verify"},
        {"actor_name": "Handler Zhao", "detail": f"{number} · callback"},
    ]


async def test_co_handlers_leaders_and_other_departments_get_nothing_and_leave_no_record(settings, categories):
    number = await assigned_case(settings, categories, co_handler="roads")
    with pytest.raises(Forbidden):
        await reveals.reveal(number, handler_of(categories, "roads"), RevealReason.contact, Who(None, "co-handler"))
    with pytest.raises(Forbidden):
        await reveals.reveal(number, Actor(Role.leader, "", account_id=1), RevealReason.contact, Who(None, "leader"))
    not_theirs = await assigned_case(settings, categories)  # water's alone
    with pytest.raises(NotFound):  # another department's case looks like one that does not exist
        await reveals.reveal(not_theirs, handler_of(categories, "roads"), RevealReason.contact, Who(None, "another department"))
    with pytest.raises(NotFound):
        await reveals.reveal("2026-999999", Actor(Role.moderator, ""), RevealReason.contact, Who(None, "moderator"))
    assert not await TimelineEntry.exists().where(TimelineEntry.action.like("reveal_%"))
    assert not await AuditEvent.exists().where(AuditEvent.action == "contact_revealed")


async def test_the_staff_page_masks_until_a_reveal_and_the_filer_reads_who_looked_and_why(person, settings, categories, client):
    filed = await file(settings, form(categories["water"], filer_name=NAME, filer_phone=PHONE))
    number = filed.number
    await bring_to(number, Status.assigned, categories["water"].department)
    handler = await person("handler", department_id=categories["water"].department)
    page = await handler.client.get(f"/staff/cases/{number}")
    assert page.status_code == 200 and PHONE not in page.text and NAME not in page.text
    assert "138****8000" in page.text and "李*" in page.text and "tel:" not in page.text
    shown = await handler.post_form(f"/staff/cases/{number}/contact", {"reason": "contact"})
    assert shown.status_code == 200 and f'href="tel:{PHONE}"' in shown.text and NAME in shown.text
    assert shown.headers["cache-control"] == "private, no-store"
    # Reloading the page masks again: a reveal is for the moment it was asked for.
    assert PHONE not in (await handler.client.get(f"/staff/cases/{number}")).text
    # htmx swaps in the contact block alone.
    fragment = await handler.client.post(
        f"/staff/cases/{number}/contact", data={"reason": "callback"}, headers={"hx-request": "true"}
    )
    assert fragment.status_code == 200 and 'id="filer-contact"' in fragment.text
    assert "<html" not in fragment.text and f"tel:{PHONE}" in fragment.text
    follow = await client.get(f"/follow/{filed.follow_token}", headers={"accept-language": "en"})
    assert follow.text.count("Contact details shown to staff") == 2
    assert "to contact the filer about the case" in follow.text and "to call the filer back about the answer" in follow.text
    reveal_entries = re.findall(r"Contact details shown to staff[^<]*</strong>([^<]*)", follow.text)
    assert [department.strip(" —\n") for department in reveal_entries] == ["市自来水公司"] * 2  # which department looked
    assert "Test handler" not in follow.text  # the department is named, never the person
    public = await client.get(f"/cases/{number}", headers={"accept-language": "en"})
    assert "Contact details shown" not in public.text


async def test_a_reveal_without_a_reason_is_refused_and_records_nothing(person, settings, categories):
    number = await filed_case(settings, categories, filer_name=NAME, filer_phone=PHONE)
    moderator = await person("moderator")
    for reason in ("", "curiosity", "x" * 5000):
        refused = await moderator.post_form(f"/staff/cases/{number}/contact", {"reason": reason})
        assert refused.status_code == 422 and "Choose why you need the contact details." in refused.text
        assert PHONE not in refused.text
    fragment = await moderator.client.post(
        f"/staff/cases/{number}/contact", data={}, headers={"hx-request": "true"}
    )
    assert fragment.status_code == 422 and "Choose why you need the contact details." in fragment.text and "<html" not in fragment.text
    assert not await TimelineEntry.exists().where(TimelineEntry.action.like("reveal_%"))


async def test_co_handlers_and_leaders_see_no_contact_block_and_may_not_reveal(person, settings, categories):
    number = await filed_case(settings, categories, filer_name=NAME, filer_phone=PHONE)
    await bring_to(number, Status.assigned, categories["water"].department)
    case_id = (await TimelineEntry.select(TimelineEntry.case).first())["case"]
    await CoHandler.insert(CoHandler(case=case_id, department=categories["roads"].department))
    for someone in (await person("handler", department_id=categories["roads"].department), await person("leader")):
        page = await someone.client.get(f"/staff/cases/{number}")
        assert page.status_code == 200 and 'id="filer-contact"' not in page.text and "8000" not in page.text
        refused = await someone.post_form(f"/staff/cases/{number}/contact", {"reason": "contact"})
        assert refused.status_code == 403 and PHONE not in refused.text
    assert not await TimelineEntry.exists().where(TimelineEntry.action.like("reveal_%"))


async def test_an_admin_finds_who_revealed_whose_contact_details(person, settings, categories):
    number = await assigned_case(settings, categories)
    other = await assigned_case(settings, categories)
    handler = await person("handler", name="赵办理", department_id=categories["water"].department)
    await handler.post_form(f"/staff/cases/{number}/contact", {"reason": "callback"})
    await handler.post_form(f"/staff/cases/{other}/contact", {"reason": "verify"})
    admin = await person("admin")
    found = await admin.client.get("/admin/audit", params={"what": "contact_revealed", "q": number})
    assert found.status_code == 200 and f"{number} · callback" in found.text and other not in found.text
    assert "赵办理" in found.text  # admins see the person, the filer only the department
    everything = await admin.client.get("/admin/audit", params={"what": "contact_revealed"})
    assert f"{number} · callback" in everything.text and f"{other} · verify" in everything.text
    by_name = await admin.client.get("/admin/audit", params={"q": "赵办理", "what": "signed_in"})
    assert by_name.status_code == 200 and f"{number} · callback" not in by_name.text and "赵办理" in by_name.text
    for params in ({"what": "no_such_kind"}, {"q": "x" * 101}):
        refused = await admin.client.get("/admin/audit", params=params)
        assert refused.status_code == 400, params
    wildcards = await admin.client.get("/admin/audit", params={"what": "contact_revealed", "q": "%_%"})
    assert wildcards.status_code == 200 and number in wildcards.text  # wildcards are dropped, not obeyed
