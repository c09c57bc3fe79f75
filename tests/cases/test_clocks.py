"""The clocks of a case, set by the workflow: they start at assignment, not at signing; signing,
contact, the first public word and the answer stop them; an extension moves the answer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.cases import actions, services, workflow
from backend.cases.clock_columns import CLOCK_COLUMNS
from backend.deadlines.clocks import Clock
from backend.vocabulary import Role
from backend.cases.services import Actor
from backend.cases.tables import Case
from backend.deadlines.services import working_calendar
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_filing import file, form

SHANGHAI = ZoneInfo("Asia/Shanghai")
MODERATOR = Actor(Role.moderator)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def assigned_case(settings, categories, moment: datetime, case_type: str = "complaint") -> tuple[str, Actor]:
    water = categories["water"].department
    with clock.travel_to(moment):
        filed = await file(settings, form(categories["water"], case_type=case_type))
        await workflow.perform(filed.number, "accept", MODERATOR)
        await workflow.perform(filed.number, actions.Assign(department_id=water), MODERATOR)
    return filed.number, Actor(Role.handler, "市自来水公司", water)


async def clocks_of(number: str) -> dict:
    return await Case.select(*CLOCK_COLUMNS, Case.first_assigned_at, Case.assigned_at).where(Case.number == number).first()


async def test_clocks_start_at_assignment_on_a_working_morning(settings, categories):
    assigned = at(2026, 11, 17, 10, 0)  # a Tuesday
    number, _ = await assigned_case(settings, categories, assigned)
    row = await clocks_of(number)
    assert row["sign_due_at"] == assigned + timedelta(minutes=15)
    assert row["contact_due_at"] == assigned + timedelta(minutes=30)
    assert row["response_due_at"] == assigned + timedelta(hours=1)
    assert row["answer_due_at"] == at(2026, 11, 20, 10, 0)  # three working days: Friday, same time
    calendar = await working_calendar()
    assert row["answer_warning_at"] == calendar.add_working_time(assigned, calendar.day_length * 3 * 0.8)
    assert row["signed_at"] is None and row["answered_at"] is None


async def test_answer_clocks_follow_the_type_of_case(settings, categories):
    consultation, _ = await assigned_case(settings, categories, at(2026, 11, 17, 10, 0), "consultation")
    suggestion, _ = await assigned_case(settings, categories, at(2026, 11, 17, 10, 0), "suggestion")
    assert (await clocks_of(consultation))["answer_due_at"] == at(2026, 11, 18, 10, 0)
    assert (await clocks_of(suggestion))["answer_due_at"] == at(2026, 11, 24, 10, 0)  # over the weekend


async def test_on_a_rest_day_the_first_response_is_due_within_eight_hours(settings, categories):
    saturday = at(2026, 11, 21, 9, 30)
    number, _ = await assigned_case(settings, categories, saturday)
    row = await clocks_of(number)
    assert row["response_due_at"] == saturday + timedelta(hours=8)
    calendar = await working_calendar()
    assert row["sign_due_at"] == calendar.add_working_time(saturday, timedelta(minutes=15))  # Monday morning
    assert row["sign_due_at"].astimezone(SHANGHAI).date().isoformat() == "2026-11-23"


async def test_the_rest_day_rule_applies_to_every_wait_over_a_rest_day(settings, categories):
    friday_night = at(2026, 11, 20, 23, 59)
    tuesday_evening = at(2026, 11, 17, 20, 0)
    sunday_night = at(2026, 11, 22, 23, 0)
    first, _ = await assigned_case(settings, categories, friday_night)
    second, _ = await assigned_case(settings, categories, tuesday_evening)
    third, _ = await assigned_case(settings, categories, sunday_night)
    assert (await clocks_of(first))["response_due_at"] == friday_night + timedelta(hours=8)  # not Monday 10:00
    assert (await clocks_of(second))["response_due_at"] == at(2026, 11, 18, 10, 0)  # a weeknight: next morning
    assert (await clocks_of(third))["response_due_at"] == sunday_night + timedelta(hours=8)  # before Monday 10:00


async def test_each_step_stops_its_clock_and_the_reply_stops_the_answer(settings, categories):
    assigned = at(2026, 11, 17, 10, 0)
    number, handler = await assigned_case(settings, categories, assigned)
    with clock.travel_to(assigned + timedelta(minutes=10)):
        await workflow.perform(number, "sign", handler)
    with clock.travel_to(assigned + timedelta(minutes=40)):
        await workflow.perform(number, "record_contact", handler, body="电话联系了王先生")
    with clock.travel_to(assigned + timedelta(minutes=50)):
        await workflow.perform(number, "post_progress", handler, body="抢修队已出发")
    with clock.travel_to(assigned + timedelta(hours=2)):
        pending = (await workflow.pending_reviews())[0]
        await workflow.review(pending.entry_id, "approve", MODERATOR)  # published: the first response
    with clock.travel_to(at(2026, 11, 21, 10, 0)):
        await workflow.perform(number, "draft_reply", handler, body="已修复。")
        pending = (await workflow.pending_reviews())[0]
        await workflow.review(pending.entry_id, "approve", MODERATOR)
    view = (await services.staff_case(number)).case
    states = {deadline.clock: deadline.state(clock.now()) for deadline in view.deadlines}
    # The clocks stop when the department wrote the text, not when the centre published it.
    assert states == {Clock.sign: "met", Clock.contact: "late", Clock.response: "met", Clock.answer: "late"}
    assert view.due_next is None  # answered: nothing is due
    public = await services.public_case(number)
    assert public.answer_deadline.late() and public.answer_deadline.met_at == at(2026, 11, 21, 10, 0)
    assert [deadline.clock for deadline in public.deadlines] == [Clock.answer]  # the inner clocks are for staff


async def test_a_return_does_not_stop_the_answer_clock(settings, categories):
    assigned = at(2026, 11, 17, 10, 0)
    number, handler = await assigned_case(settings, categories, assigned)
    with clock.travel_to(assigned + timedelta(minutes=5)):
        await workflow.perform(number, "sign", handler)
        await workflow.perform(number, "return", handler, body="不属于我单位")
    again = assigned + timedelta(hours=4)  # 14:00, after the lunch break
    with clock.travel_to(again):
        await workflow.perform(number, actions.Assign(department_id=categories["roads"].department), MODERATOR)
    row = await clocks_of(number)
    assert row["first_assigned_at"] == assigned and row["assigned_at"] == again
    assert row["answer_due_at"] == at(2026, 11, 20, 10, 0)  # still from the first assignment
    assert row["sign_due_at"] == again + timedelta(minutes=15) and row["signed_at"] is None  # the new department signs


async def test_a_granted_extension_moves_the_answer_deadline(settings, categories):
    assigned = at(2026, 11, 17, 10, 0)
    number, handler = await assigned_case(settings, categories, assigned)
    new_date = at(2026, 11, 30, 23, 59)
    with clock.travel_to(assigned + timedelta(hours=1)):
        await workflow.perform(number, "sign", handler)
        await workflow.perform(number, actions.RequestExtension(text="需要更换主管道", due_date=new_date.date()), handler)
        assert (await clocks_of(number))["answer_due_at"] == at(2026, 11, 20, 10, 0)  # only asked for
        await workflow.perform(number, "grant_extension", MODERATOR, body="同意")
    row = await clocks_of(number)
    assert row["answer_due_at"] == new_date and assigned < row["answer_warning_at"] < new_date
    calendar = await working_calendar()
    share = calendar.working_time_between(assigned, row["answer_warning_at"]) / calendar.working_time_between(assigned, new_date)
    assert abs(share - 0.8) < 0.001  # in working time, like the first deadline


async def test_an_extension_must_lengthen_the_time_and_be_granted_before_it_ends(settings, categories):
    assigned = at(2026, 11, 17, 10, 0)
    number, handler = await assigned_case(settings, categories, assigned)
    with clock.travel_to(assigned + timedelta(hours=1)):
        await workflow.perform(number, "sign", handler)
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, actions.RequestExtension(text="x", due_date=date(2026, 11, 19)), handler)
        assert status_of(refused.value) == 422  # before the current deadline: no extension at all
        await workflow.perform(number, actions.RequestExtension(text="需要更换主管道", due_date=date(2026, 11, 24)), handler)
    with clock.travel_to(at(2026, 11, 25, 9, 0)):
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, "grant_extension", MODERATOR)
        assert status_of(refused.value) == 409
        await workflow.perform(number, "refuse_extension", MODERATOR, body="请按期办结")
    assert (await clocks_of(number))["answer_due_at"] == at(2026, 11, 20, 10, 0)


async def test_the_department_sees_what_is_due_next_first(person, settings, categories):
    later, _ = await assigned_case(settings, categories, clock.now() - timedelta(minutes=1))
    sooner, handler = await assigned_case(settings, categories, clock.now() - timedelta(days=20))
    page = await (await person("handler", department_id=categories["water"].department)).client.get("/department")
    to_do = page.text.split('id="to-do-heading"')[1].split('id="done-heading"')[0]
    assert to_do.index(sooner) < to_do.index(later)
    assert "overdue" in to_do[to_do.index(sooner) : to_do.index(later)]
    assert to_do.count("Next:") == 2
