"""The suggestion channel through its services: drafts, co-signing, submission, handling,
the two-scale rating and the new answer it can ask for, the 3-month clock, and PDFs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.cases import actions, services, workflow
from backend.vocabulary import CASE_NUMBER, MODERATION_QUEUE, Status
from backend.cases.tables import Case, Rating, TimelineEntry
from backend.representatives import services as suggestions
from backend.representatives.services import AttachmentRejected, RatingForm, SuggestionError
from backend.representatives.tables import CoSigner
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.people import invite
from tests.representatives.helpers import (
    MODERATOR,
    answer,
    answered,
    handler_of,
    pdf,
    representative,
    signed,
    submitted,
    suggestion_form,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_draft_is_its_representatives_alone_until_submitted(settings, categories):
    lead = await representative("王代表")
    other = await representative("李委员", body="cppcc")
    case_id = await suggestions.create_draft(suggestion_form(categories["water"]), lead)
    case = await Case.objects().where(Case.id == case_id).first()
    assert case.status == Status.draft.value and not CASE_NUMBER.match(case.number)
    assert case.case_type == "representative" and case.published_at is None
    # In no queue, and nothing public resolves it.
    assert await services.count_cases(set(MODERATION_QUEUE)) == 0
    assert await services.public_case(case.number) is None
    assert await services.staff_case(case.number) is None
    assert await suggestions.draft_for(case_id, lead) is not None
    assert await suggestions.draft_for(case_id, other) is None  # not invited: no draft at all
    with pytest.raises(Refusal) as refused:
        await workflow.perform(case.number, "accept", MODERATOR)
    assert status_of(refused.value) == 404  # as for a number that does not exist

    await suggestions.invite_co_signer(case_id, lead, other.id)
    assert (await suggestions.draft_for(case_id, other)).facts.invited(other.id).signed_at is None
    number = await suggestions.submit(case_id, lead, settings.time_zone)
    assert CASE_NUMBER.match(number)
    assert await services.count_cases(set(MODERATION_QUEUE)) == 1
    entry = await TimelineEntry.objects().where(TimelineEntry.case == case_id).first()
    assert (entry.action, entry.actor_role, entry.actor_name) == ("submit", "representative", "王代表")


async def test_the_form_is_checked(categories):
    lead = await representative("王代表")
    with pytest.raises(SuggestionError) as error:
        await suggestions.create_draft(suggestion_form(categories["water"], title="", text="太短", publication=""), lead)
    assert set(error.value.errors) == {"title", "text", "publication"}


async def test_co_signing_only_by_invited_representatives_once_and_before_submission(settings, categories):
    lead = await representative("王代表")
    co = await representative("李委员", body="cppcc")
    late = await representative("赵代表")
    case_id = await suggestions.create_draft(suggestion_form(categories["water"]), lead)

    # Only representatives can be invited (a moderator's account is not one).
    moderator = (await invite("moderator", "审核员")).account_id
    with pytest.raises(Refusal) as refused:
        await suggestions.invite_co_signer(case_id, lead, moderator)
    assert status_of(refused.value) == 422
    with pytest.raises(Refusal):
        await suggestions.invite_co_signer(case_id, lead, lead.id)  # not oneself
    # Only the lead invites.
    await suggestions.invite_co_signer(case_id, lead, co.id)
    with pytest.raises(Refusal) as refused:
        await suggestions.invite_co_signer(case_id, co, late.id)
    assert status_of(refused.value) == 403
    with pytest.raises(Refusal) as refused:
        await suggestions.invite_co_signer(case_id, lead, co.id)
    assert status_of(refused.value) == 409

    # Someone not invited does not even see it.
    with pytest.raises(Refusal) as refused:
        await suggestions.co_sign(case_id, late)
    assert status_of(refused.value) == 404
    await suggestions.co_sign(case_id, co)
    with pytest.raises(Refusal) as refused:
        await suggestions.co_sign(case_id, co)
    assert status_of(refused.value) == 409
    assert await CoSigner.count().where(CoSigner.signed_at.is_not_null()) == 1

    await suggestions.invite_co_signer(case_id, lead, late.id)
    await suggestions.submit(case_id, lead, settings.time_zone)
    with pytest.raises(Refusal) as refused:
        await suggestions.co_sign(case_id, late)
    assert status_of(refused.value) == 409
    with pytest.raises(Refusal) as refused:
        await suggestions.submit(case_id, lead, settings.time_zone)
    assert status_of(refused.value) == 409


async def test_only_representatives_file_and_co_sign(categories):
    lead = await representative("王代表")
    case_id = await suggestions.create_draft(suggestion_form(categories["water"]), lead)
    from dataclasses import replace

    as_handler = replace(lead, role="handler")
    with pytest.raises(Refusal) as refused:
        await suggestions.create_draft(suggestion_form(categories["water"]), as_handler)
    assert status_of(refused.value) == 403
    with pytest.raises(Refusal):
        await suggestions.co_sign(case_id, as_handler)


async def test_a_citizen_cannot_file_a_representatives_suggestion(settings, categories):
    from backend.cases.filing import FilingError
    from tests.cases.test_filing import file, form

    with pytest.raises(FilingError) as error:
        await file(settings, form(categories["water"], case_type="representative"))
    assert "case_type" in error.value.errors


async def test_the_answer_is_due_three_calendar_months_after_assignment_warned_15_days_before(settings, categories):
    lead = await representative("王代表")
    number = await submitted(settings, categories, lead)
    assigned_at = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    with clock.travel_to(assigned_at):
        await workflow.perform(number, "accept", MODERATOR)
        await workflow.perform(number, actions.Assign(department_id=categories["water"].department), MODERATOR)
    case = await Case.objects().where(Case.number == number).first()
    due = datetime(2027, 2, 28, 10, 0, tzinfo=SHANGHAI)  # the 30th of a February is its last day
    assert case.answer_due_at == due
    assert case.answer_warning_at == due - timedelta(days=15)


async def test_extensions_need_a_reason_and_the_centres_approval(settings, categories):
    lead = await representative("王代表")
    number = await signed(settings, categories, lead)
    department = categories["water"].department
    case = await Case.objects().where(Case.number == number).first()
    # A date is asked for: the extension ends with its day, in the platform's time zone.
    later = actions.end_of_day((case.answer_due_at + timedelta(days=30)).astimezone(ZoneInfo(settings.time_zone)).date())
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, actions.RequestExtension(due_date=later.date()), handler_of(department))
    assert status_of(refused.value) == 422
    await workflow.perform(number, actions.RequestExtension(text="需要跨部门会商", due_date=later.date()), handler_of(department))
    with pytest.raises(Refusal):
        await workflow.perform(number, "grant_extension", handler_of(department))
    await workflow.perform(number, "grant_extension", MODERATOR)
    case = await Case.objects().where(Case.number == number).first()
    assert case.answer_due_at == later and case.answer_warning_at == later - timedelta(days=15)


async def test_the_department_records_a_meeting_with_the_representative(settings, categories):
    lead = await representative("王代表")
    number = await signed(settings, categories, lead)
    department = categories["water"].department
    await workflow.perform(number, "record_meeting", handler_of(department), body="11月3日上门当面沟通，代表同意分期实施。")
    case = await Case.objects().where(Case.number == number).first()
    assert case.contacted_at is not None  # the first contact
    # Not for citizens' cases; and a suggestion's representative is not "the filer" on a phone.
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "record_contact", handler_of(department), body="电话联系")
    assert status_of(refused.value) == 409
    page = await suggestions.own_suggestion(number, lead)
    assert any(entry.action == "record_meeting" for entry in page.view.timeline)  # the representative sees it
    public = await services.public_case(number)
    assert not any(entry.action == "record_meeting" for entry in public.timeline)


async def test_a_satisfied_two_scale_rating_closes_the_loop(settings, categories):
    lead = await representative("王代表")
    number = await answered(settings, categories, lead)
    await suggestions.rate(number, lead, RatingForm("satisfied", "basically_satisfied", "答复认真。"))
    case = await Case.objects().where(Case.number == number).first()
    assert case.status == Status.rated.value
    rating = await Rating.objects().first()
    assert (rating.outcome, rating.attitude, rating.satisfaction, rating.publication) == (
        "satisfied", "basically_satisfied", "basically_satisfied", "pending"
    )
    with pytest.raises(Refusal) as refused:  # once
        await suggestions.rate(number, lead, RatingForm("satisfied", "satisfied"))
    assert status_of(refused.value) == 409
    figures = (await suggestions.channel(lead)).figures
    assert (figures.filed, figures.answered, figures.answered_on_time, figures.rated, figures.satisfied) == (1, 1, 1, 1, 1)


async def test_unsatisfied_on_either_scale_the_department_answers_again(settings, categories):
    lead = await representative("王代表")
    number = await answered(settings, categories, lead)
    before = await Case.objects().where(Case.number == number).first()
    with clock.travel_to(clock.now() + timedelta(days=1)):
        await suggestions.rate(number, lead, RatingForm("satisfied", "unsatisfied", "态度敷衍。"))
    case = await Case.objects().where(Case.number == number).first()
    assert case.status == Status.assigned.value and case.reopened_count == 1
    assert case.answered_at is None and case.answer_due_at > before.answer_due_at  # a fresh answer clock
    rating = await Rating.objects().first()
    assert rating.satisfaction == "unsatisfied"  # the figures count it
    department = categories["water"].department
    await workflow.perform(number, "sign", handler_of(department))
    await answer(number, department)
    await suggestions.rate(number, lead, RatingForm("basically_satisfied", "satisfied"))
    assert (await Case.objects().where(Case.number == number).first()).status == Status.rated.value
    assert await Rating.count() == 2


async def test_only_the_lead_rates(settings, categories):
    lead = await representative("王代表")
    co = await representative("李委员", body="cppcc")
    number = await answered(settings, categories, lead)
    with pytest.raises(Refusal) as refused:
        await suggestions.rate(number, co, RatingForm("satisfied", "satisfied"))
    assert status_of(refused.value) == 403
    with pytest.raises(suggestions.RatingError) as error:
        await suggestions.rate(number, lead, RatingForm("satisfied", ""))
    assert set(error.value.errors) == {"attitude"}


async def test_a_pdf_is_checked_by_content(settings, categories):
    lead = await representative("王代表")
    case_id = await suggestions.create_draft(suggestion_form(categories["water"]), lead)
    view = await suggestions.add_attachment(case_id, lead, "方案.pdf", pdf())
    assert view.filename == "方案.pdf"
    for bad in (b"<html><script>alert(1)</script></html>", b"%PDF-1.7\n<html><script>alert(1)</script></html>"):
        with pytest.raises(AttachmentRejected):
            await suggestions.add_attachment(case_id, lead, "evil.pdf", bad)
    with pytest.raises(AttachmentRejected) as rejected:
        await suggestions.add_attachment(case_id, lead, "big.pdf", pdf() + b"%" * suggestions.MAX_PDF_BYTES)
    assert "10 MB" in rejected.value.message
    # A PDF with JavaScript is a PDF: it is taken, and served only as a sandboxed download.
    await suggestions.add_attachment(case_id, lead, "script", pdf(javascript=True))
    names = [a.filename for a in (await suggestions.draft_for(case_id, lead)).facts.attachments]
    assert names == ["方案.pdf", "script.pdf"]


async def test_the_public_list_filters(settings, categories, areas):
    npc = await representative("王代表")
    cppcc = await representative("李委员", body="cppcc")
    first = await submitted(settings, categories, npc, area_id=str(areas["dongfeng"]))
    second = await submitted(settings, categories, cppcc)
    hidden = await submitted(settings, categories, cppcc, publication="private")
    for number in (first, second, hidden):
        await workflow.perform(number, "accept", MODERATOR)
    listed = await suggestions.public_suggestions(suggestions.Filters())
    assert [case.number for case in listed.page.cases] == [second, first]
    by_body = await suggestions.public_suggestions(suggestions.Filters(body="npc"))
    assert [case.number for case in by_body.page.cases] == [first]
    by_district = await suggestions.public_suggestions(suggestions.Filters(area_id=areas["jingxiu"]))
    assert [case.number for case in by_district.page.cases] == [first]
    by_status = await suggestions.public_suggestions(suggestions.Filters(status="assigned"))
    assert by_status.page.cases == []
    paged = await suggestions.public_suggestions(suggestions.Filters(), page_size=1)
    rest = await suggestions.public_suggestions(suggestions.Filters(), paged.page.next_cursor, page_size=1)
    assert [case.number for case in rest.page.cases] == [first]


async def test_admins_set_the_months_and_the_days_of_warning(settings, categories):
    from backend.accounts.audit import Who
    from backend.deadlines.clocks import Clock, Limit, Unit
    from backend.deadlines import limits

    admin = Who(None, "test admin")
    form = limits.LimitForm(case_type="representative", clock="answer", amount="2", unit="months", warning_days="10")
    await limits.set_limit(form, actor=admin)
    assert (await limits.clock_policy()).limit("representative", Clock.answer) == Limit(2, Unit.months, warning_days=10)
    for bad in (
        limits.LimitForm(case_type="representative", clock="sign", amount="15", unit="working_minutes", warning_days="3"),
        limits.LimitForm(case_type="representative", clock="answer", amount="13", unit="months"),
        limits.LimitForm(case_type="representative", clock="answer", amount="3", unit="months", warning_days="99"),
    ):
        with pytest.raises(limits.LimitError):
            limits.validate_limit(bad)
    lead = await representative("王代表")
    number = await submitted(settings, categories, lead)
    await workflow.perform(number, "accept", MODERATOR)
    await workflow.perform(number, actions.Assign(department_id=categories["water"].department), MODERATOR)
    case = await Case.objects().where(Case.number == number).first()
    assert case.answer_due_at - case.answer_warning_at == timedelta(days=10)
