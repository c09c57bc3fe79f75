"""The escalation ladder (三色督办): its steps as a pure function, the leaders' step as an
idempotent clock job that never moves the answer clock, whom each step tells, and the admins'
ladder."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from backend import clock
from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.cases import actions, escalation, figures, supervision, workflow
from backend.cases.escalation import Level, level
from backend.cases.tables import Case, TimelineEntry
from backend.notifications.notices import STAFF_NOTICES, Audience, Notice
from backend.vocabulary import CaseType
from tests.cases.test_clocks import MODERATOR, assigned_case, at
from tests.cases.test_supervision import done, entries, tick

TUESDAY = at(2026, 11, 17, 10, 0)
ANSWER_DUE = at(2026, 11, 20, 10, 0)  # a complaint: three working days
ADMIN = Who(None, "管理员")


def test_the_ladders_steps_by_the_share_of_time_used():
    warning, due = at(2026, 11, 19, 14, 18), ANSWER_DUE  # 80 % of a complaint's 21 working hours; all of them
    assert level(TUESDAY, warning, due, 0, 8) == Level.none
    assert level(warning - timedelta(minutes=1), warning, due, 0, 8) == Level.none
    assert level(warning, warning, due, 0, 8) == Level.yellow  # at the warning
    assert level(due, warning, due, 0, 8) == Level.yellow  # due, not yet past
    assert level(due + timedelta(minutes=1), warning, due, 0.02, 8) == Level.red  # overdue
    assert level(due + timedelta(days=3), warning, due, 7.99, 8) == Level.red
    assert level(due + timedelta(days=3), warning, due, 8, 8) == Level.leaders  # N working hours past the deadline


def test_each_step_writes_its_entry_and_tells_its_audience():
    assert escalation.LEVEL_ENTRIES == {Level.yellow: "answer_warning", Level.red: "overdue_answer", Level.leaders: "leader_attention"}
    assert STAFF_NOTICES["answer_warning"] == (Notice.due_soon, frozenset({Audience.department, Audience.case_leader}))
    assert STAFF_NOTICES["overdue_answer"][1] == frozenset({Audience.department, Audience.case_leader})
    assert STAFF_NOTICES["auto_supervise"] == (Notice.red_flag, frozenset({Audience.department, Audience.leaders}))
    assert STAFF_NOTICES["leader_attention"] == (Notice.leader_attention, frozenset({Audience.leaders}))


async def test_the_leaders_hear_once_after_the_ladders_working_hours_and_the_clock_runs_on(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    late = ANSWER_DUE + timedelta(minutes=1)
    await tick(late)
    clocks = await Case.select(Case.answer_due_at, Case.answer_warning_at).where(Case.number == number).first()
    # Friday 10:00 to 17:30 is 6 working hours; Monday from 09:00, two more make the complaint's 8.
    assert (await tick(at(2026, 11, 23, 10, 59)))["alert_leaders"] == 0
    assert await tick(at(2026, 11, 23, 11, 0)) == done(alert_leaders=1)
    with clock.travel_to(at(2026, 11, 23, 11, 1)):
        assert await asyncio.gather(supervision.alert_leaders(clock.now()), supervision.alert_leaders(clock.now())) == [0, 0]
    assert (await entries(number))[-1] == ("leader_attention", "internal")
    assert await Case.select(Case.answer_due_at, Case.answer_warning_at).where(Case.number == number).first() == clocks
    # An extension gives a new deadline; missed again, the ladder climbs again.
    with clock.travel_to(at(2026, 11, 23, 14, 0)):
        await workflow.perform(number, "sign", handler)
        await workflow.perform(number, actions.RequestExtension(text="需要更换管道", due_date=date(2026, 11, 24)), handler)
        await workflow.perform(number, "grant_extension", MODERATOR, body="同意")
    assert (await Case.select(Case.answer_escalated_at).where(Case.number == number).first())["answer_escalated_at"] is None
    await tick(at(2026, 11, 25, 9, 0))  # overdue again
    # Due at 23:59 on Tuesday: Wednesday's 7 working hours, and Thursday's first hour.
    assert (await tick(at(2026, 11, 26, 9, 59)))["alert_leaders"] == 0
    assert (await tick(at(2026, 11, 26, 10, 0)))["alert_leaders"] == 1
    assert [action for action, _ in await entries(number)].count("leader_attention") == 2


async def test_an_admin_changes_a_types_ladder(settings, categories):
    await escalation.set_step("consultation", "2", actor=ADMIN)
    steps = await escalation.ladder()
    assert steps[CaseType.consultation].leader_after_hours == 2 and steps[CaseType.consultation].changed_by_name == "管理员"
    assert steps[CaseType.complaint].leader_after_hours == 8 and steps[CaseType.complaint].changed_at is None
    await escalation.set_step("consultation", "3", actor=ADMIN)  # the same row, changed
    assert (await escalation.ladder())[CaseType.consultation].leader_after_hours == 3
    for case_type, hours, wrong in (("consultation", "0", "leader_after_hours"), ("consultation", "２", "leader_after_hours"),
                                    ("consultation", "2001", "leader_after_hours"), ("nonsense", "3", "case_type")):
        with pytest.raises(escalation.LadderError) as refused:
            await escalation.set_step(case_type, hours, actor=ADMIN)
        assert wrong in refused.value.errors
    assert await AuditEvent.count().where(AuditEvent.action == "escalation_ladder_changed") == 2


async def test_cards_count_for_the_department(settings, categories):
    number, _ = await assigned_case(settings, categories, TUESDAY)
    await tick(at(2026, 11, 19, 15, 0))  # the yellow card
    await tick(ANSWER_DUE + timedelta(minutes=1))  # the red card
    week = {row.department_id: row for row in await figures.department_figures("week", TUESDAY)}[categories["water"].department]
    assert (week.yellow_cards, week.red_cards) == (1, 1)
    assert await TimelineEntry.count().where(TimelineEntry.action.is_in(["answer_warning", "overdue_answer"])) == 2
