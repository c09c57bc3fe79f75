"""The clocks of a case: its deadlines, kept in working time.

Four clocks run on a case once it is assigned: signing for it (签收), the first contact with the
citizen, the first public response, and the official answer. They start at assignment, not at
signing, so a department that bounces a case gains no time: the response and answer clocks run
from the first assignment; the signing and contact clocks restart for each department that gets
the case. A granted extension moves the answer deadline. Every deadline is stored on the case, so
queues, warnings and figures are plain indexed queries.

The time allowed comes from a ``Policy``: the admins' limits per type of case and the share of
the time after which to warn (``deadlines.services.clock_policy``), the defaults until they change
anything. It is passed in, so this module does no I/O. A changed limit applies to clocks started
after the change; deadlines already set stay as they were promised.

This module knows nothing of cases' tables: which column of a case holds which deadline, and what
each action's clock effect sets, is ``backend.cases.clock_columns``.
"""

from __future__ import annotations

import calendar as calendar_module
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.deadlines.calendar import WorkingCalendar
from backend.i18n_markers import N_
from backend.vocabulary import CaseType

WARNING_SHARE = 0.8  # by default, warn once this share of the time allowed has gone


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
    months = "months"  # calendar months, as the law sets for representatives' suggestions


@dataclass(frozen=True)
class Limit:
    """The time allowed for one clock, and a different allowance when it starts on a rest day
    (a first response within 1 working hour, but within 8 hours at the weekend). ``warning_days``:
    warn this many calendar days before the deadline instead of after a share of the time (a
    representative's suggestion: 15 days before its 3 months are up)."""

    amount: int
    unit: Unit
    on_rest_days: Limit | None = None
    warning_days: int | None = None

    def due(self, start: datetime, calendar: WorkingCalendar, share: float = 1.0) -> datetime:
        due = self._due(start, calendar, share)
        if self.on_rest_days and _waits_over_a_rest_day(start, calendar):
            # Whichever comes first: a case filed late on Friday night is not left until Monday,
            # and one on Sunday night not held to 8 hours when Monday morning comes sooner.
            return min(due, self.on_rest_days.due(start, calendar, share))
        return due

    def warning(self, start: datetime, due: datetime, calendar: WorkingCalendar, share: float) -> datetime:
        """When to warn that the answer falls due at ``due`` (for a clock started at ``start``)."""
        if self.warning_days is not None:
            return max(start, due - timedelta(days=self.warning_days))
        if self.unit == Unit.months:
            return start + (due - start) * share
        return calendar.add_working_time(start, calendar.working_time_between(start, due) * share)

    def _due(self, start: datetime, calendar: WorkingCalendar, share: float) -> datetime:
        if self.unit == Unit.hours:
            return start + timedelta(hours=self.amount) * share
        if self.unit == Unit.months:
            return start + (add_months(start.astimezone(ZoneInfo(calendar.time_zone)), self.amount) - start) * share
        working = timedelta(minutes=self.amount) if self.unit == Unit.working_minutes else calendar.day_length * self.amount
        return calendar.add_working_time(start, working * share)


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time ``months`` calendar months later; the 31st of a shorter month becomes its last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar_module.monthrange(year, month)[1]))


def _waits_over_a_rest_day(start: datetime, calendar: WorkingCalendar) -> bool:
    """Whether a rest day lies between ``start`` and the next working time (or ``start`` is on one)."""
    zone = ZoneInfo(calendar.time_zone)
    day = start.astimezone(zone).date()
    resume = calendar.next_working_moment(start).astimezone(zone).date()
    return any(not calendar.is_working_day(day + timedelta(days=n)) for n in range((resume - day).days + 1))


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
    CaseType.representative: {**_COMMON, Clock.answer: Limit(3, Unit.months, warning_days=15)},
}


@dataclass(frozen=True)
class Policy:
    """The time allowed per type of case and clock, and when to warn before the answer is due."""

    limits: Mapping[CaseType, Mapping[Clock, Limit]]
    warning_share: float = WARNING_SHARE

    def limit(self, case_type: str, clock: Clock) -> Limit:
        return self.limits[CaseType(case_type)][clock]


DEFAULT_POLICY = Policy(DEFAULT_LIMITS)

@dataclass(frozen=True)
class Deadline:
    clock: Clock
    due_at: datetime
    met_at: datetime | None
    warning_at: datetime | None = None
    overdue_at: datetime | None = None  # when the clock jobs flagged it overdue

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


def next_due(deadlines: list[Deadline]) -> Deadline | None:
    """What is due next: the earliest deadline not yet met."""
    return next((deadline for deadline in deadlines if deadline.met_at is None), None)
