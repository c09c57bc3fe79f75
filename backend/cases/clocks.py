"""The clocks of a case: its deadlines, kept in working time.

Four clocks run on a case once it is assigned: signing for it (签收), the first contact with the
citizen, the first public response, and the official answer. They start at assignment, not at
signing, so a department that bounces a case gains no time: the response and answer clocks run
from the first assignment; the signing and contact clocks restart for each department that gets
the case. A granted extension moves the answer deadline. Every deadline is stored on the case, so
queues, warnings and figures are plain indexed queries.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.cases.lifecycle import CaseType, ClockEffect
from backend.cases.tables import Case
from backend.deadlines.calendar import WorkingCalendar
from backend.i18n_markers import N_

WARNING_SHARE = 0.8  # warn once this share of the time allowed has gone


class Clock(str, enum.Enum):
    sign = "sign"
    contact = "contact"
    response = "response"
    answer = "answer"


CLOCK_LABELS = {
    Clock.sign: N_("Sign for it"),
    Clock.contact: N_("Contact the citizen"),
    Clock.response: N_("First public response"),
    Clock.answer: N_("Official answer"),
}


class Unit(str, enum.Enum):
    working_minutes = "working_minutes"
    working_days = "working_days"  # each a working day's length of working time
    hours = "hours"  # around the clock


@dataclass(frozen=True)
class Limit:
    """The time allowed for one clock, and a different allowance when it starts on a rest day
    (a first response within 1 working hour, but within 8 hours at the weekend)."""

    amount: int
    unit: Unit
    on_rest_days: Limit | None = None

    def due(self, start: datetime, calendar: WorkingCalendar, share: float = 1.0) -> datetime:
        if self.on_rest_days and not calendar.is_working_day(start.astimezone(ZoneInfo(calendar.time_zone)).date()):
            return self.on_rest_days.due(start, calendar, share)
        if self.unit == Unit.hours:
            return start + timedelta(hours=self.amount) * share
        working = timedelta(minutes=self.amount) if self.unit == Unit.working_minutes else calendar.day_length * self.amount
        return calendar.add_working_time(start, working * share)


# The defaults of ../shared/DOMAIN.md: sign within 15 minutes, contact within 30, a first public
# response within 1 working hour (8 hours on rest days); answers by the type of case.
_COMMON = {
    Clock.sign: Limit(15, Unit.working_minutes),
    Clock.contact: Limit(30, Unit.working_minutes),
    Clock.response: Limit(60, Unit.working_minutes, on_rest_days=Limit(8, Unit.hours)),
}
DEFAULT_LIMITS: dict[CaseType, dict[Clock, Limit]] = {
    CaseType.consultation: {**_COMMON, Clock.answer: Limit(1, Unit.working_days)},
    CaseType.complaint: {**_COMMON, Clock.answer: Limit(3, Unit.working_days)},
    CaseType.suggestion: {**_COMMON, Clock.answer: Limit(5, Unit.working_days)},
}

# Per clock: the case's deadline column, and the column that stops it.
DUE = {Clock.sign: Case.sign_due_at, Clock.contact: Case.contact_due_at, Clock.response: Case.response_due_at, Clock.answer: Case.answer_due_at}
MET = {Clock.sign: Case.signed_at, Clock.contact: Case.contacted_at, Clock.response: Case.responded_at, Clock.answer: Case.answered_at}
CLOCK_COLUMNS = (*DUE.values(), *MET.values(), Case.answer_warning_at)


def effect(
    clock_effect: ClockEffect, case: Case, now: datetime, calendar: WorkingCalendar | None, due_at: datetime | None = None
) -> dict:
    """The case's columns that an action with this clock effect sets (``calendar``: to start them)."""
    limits = DEFAULT_LIMITS[CaseType(case.case_type)]
    if clock_effect == ClockEffect.start:
        values = _department_clocks(limits, now, calendar)
        if case.first_assigned_at is None:  # a reassignment does not restart these
            values |= {
                Case.first_assigned_at: now,
                Case.response_due_at: limits[Clock.response].due(now, calendar),
                **_answer_clock(limits, now, calendar),
            }
        return values
    if clock_effect == ClockEffect.reopen:
        # 重办: a fresh answer, so a fresh answer clock; the first public response stays met.
        return _department_clocks(limits, now, calendar) | _answer_clock(limits, now, calendar) | {Case.answered_at: None}
    if clock_effect == ClockEffect.sign:
        return {Case.signed_at: now}
    if clock_effect == ClockEffect.first_contact:
        return {} if case.contacted_at else {Case.contacted_at: now}
    if clock_effect == ClockEffect.first_response:
        return {} if case.responded_at else {Case.responded_at: now}
    if clock_effect == ClockEffect.answer:
        return {Case.answered_at: now} | ({} if case.responded_at else {Case.responded_at: now})
    if clock_effect == ClockEffect.extend and due_at is not None:
        start = case.first_assigned_at or now
        # The warning keeps the same share of the new, longer time.
        return {Case.answer_due_at: due_at, Case.answer_warning_at: start + (due_at - start) * WARNING_SHARE}
    return {}


def _department_clocks(limits: dict[Clock, Limit], now: datetime, calendar: WorkingCalendar) -> dict:
    """Signing for the case and contacting the citizen: they restart for each department that gets it."""
    return {
        Case.assigned_at: now,
        Case.sign_due_at: limits[Clock.sign].due(now, calendar),
        Case.contact_due_at: limits[Clock.contact].due(now, calendar),
        Case.signed_at: None,
        Case.contacted_at: None,
    }


def _answer_clock(limits: dict[Clock, Limit], now: datetime, calendar: WorkingCalendar) -> dict:
    return {
        Case.answer_due_at: limits[Clock.answer].due(now, calendar),
        Case.answer_warning_at: limits[Clock.answer].due(now, calendar, WARNING_SHARE),
    }


@dataclass(frozen=True)
class Deadline:
    clock: Clock
    due_at: datetime
    met_at: datetime | None
    warning_at: datetime | None = None

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.clock]

    def overdue(self, now: datetime) -> bool:
        return self.met_at is None and now > self.due_at

    def state(self, now: datetime) -> str:
        """For display: met, late (met after the deadline), overdue, due soon, or running."""
        if self.met_at is not None:
            return "late" if self.late() else "met"
        if now > self.due_at:
            return "overdue"
        return "due_soon" if self.warning_at and now >= self.warning_at else "running"

    def late(self) -> bool:
        """Met, but after the deadline."""
        return self.met_at is not None and self.met_at > self.due_at


def deadlines_of(row: dict) -> list[Deadline]:
    """The deadlines a case has (from a row with the clock columns), in the order they fall."""
    found = [
        Deadline(
            clock,
            row[DUE[clock]._meta.name],
            row[MET[clock]._meta.name],
            row.get(Case.answer_warning_at._meta.name) if clock == Clock.answer else None,
        )
        for clock in Clock
        if row.get(DUE[clock]._meta.name) is not None
    ]
    return sorted(found, key=lambda deadline: deadline.due_at)


def next_due(deadlines: list[Deadline]) -> Deadline | None:
    """What is due next: the earliest deadline not yet met."""
    return next((deadline for deadline in deadlines if deadline.met_at is None), None)
