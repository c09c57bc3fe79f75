"""Deadlines computed into a year whose official schedule was not known, recomputed when it
arrives (a listener of ``WorkingCalendarChanged``, in the import's transaction).

Until a year's holidays are known, the calendar counts its Spring Festival as working days, so
a deadline computed into it falls too early. Each running deadline in the year keeps the working
time it was given: the working time from the clock's start to the old deadline on the calendar
before is laid out again from the same start on the calendar after. A deadline an extension set
is a date someone chose, and stays. A clock flagged overdue whose new deadline is still ahead
loses its flag. Each case whose deadlines moved gets an entry for staff saying what moved.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from backend import clock
from backend.cases.clock_columns import DUE, MET, OVERDUE
from backend.cases.lifecycle import TRANSITIONS, ClockEffect
from backend.cases.services import Actor, append_entry
from backend.cases.tables import Case, TimelineEntry
from backend.deadlines.calendar import WorkingCalendar
from backend.deadlines.clocks import Clock
from backend.events import WorkingCalendarChanged
from backend.settings import get_settings
from backend.vocabulary import CLOCKS_RUNNING, Role, Visibility

RECOMPUTED = "deadlines_recomputed"
# Where each clock starts: signing and contact at the latest assignment, the first response at
# the first; the answer at the first assignment, or the latest restart (a reopen).
_STARTS = {Clock.sign: Case.assigned_at, Clock.contact: Case.assigned_at, Clock.response: Case.first_assigned_at}
_RESTARTS = [action for action, row in TRANSITIONS.items() if row.clock == ClockEffect.reopen]
_EXTENDS = [action for action, row in TRANSITIONS.items() if row.clock == ClockEffect.extend]


def moved(start: datetime, due: datetime, before: WorkingCalendar, after: WorkingCalendar) -> datetime:
    """The deadline ``due`` of a clock started at ``start``, laid out again on ``after``."""
    return after.add_working_time(start, before.working_time_between(start, due))


async def on_working_calendar_changed(changes: set[WorkingCalendarChanged]) -> None:
    for change in sorted(changes, key=lambda change: change.year):
        await recompute(change.year, change.before, change.after)


async def recompute(year: int, before: WorkingCalendar, after: WorkingCalendar) -> int:
    """Move the running deadlines that fall in ``year``; returns how many cases changed."""
    zone = ZoneInfo(get_settings().time_zone)
    first, last = (datetime.combine(date(y, 1, 1), time(), zone) for y in (year, year + 1))
    in_year = [DUE[each].is_not_null() & MET[each].is_null() & (DUE[each] >= first) & (DUE[each] < last) for each in Clock]
    where = in_year[0]
    for condition in in_year[1:]:
        where = where | condition
    cases = await Case.select(
        Case.id, Case.assigned_at, Case.first_assigned_at, Case.answer_warning_at, Case.answer_warned_at,
        *DUE.values(), *MET.values(), *OVERDUE.values(),
    ).where(where, Case.status.is_in([status.value for status in CLOCKS_RUNNING]))
    now, changed = clock.now(), 0
    for case in cases:
        values, lines = {}, []
        answer_start, extended = await _answer_start(case)
        for each in Clock:
            due, start = case[DUE[each]._meta.name], case[_STARTS[each]._meta.name] if each in _STARTS else answer_start
            if due is None or case[MET[each]._meta.name] is not None or not first <= due < last or start is None:
                continue
            if each == Clock.answer and extended:
                continue
            new = moved(start, due, before, after)
            if new == due:
                continue
            values[DUE[each]] = new
            if case[OVERDUE[each]._meta.name] is not None and new > now:
                values[OVERDUE[each]] = None
            lines.append(f"{each.value}: {_local(due, zone)} → {_local(new, zone)}")
            if each == Clock.answer and case["answer_warning_at"] and case["answer_warned_at"] is None:
                values[Case.answer_warning_at] = min(moved(start, case["answer_warning_at"], before, after), new)
        if values:
            await Case.update(values).where(Case.id == case["id"])
            await append_entry(case["id"], RECOMPUTED, None, Actor(Role.system), Visibility.internal, "\n".join(lines), now)
            changed += 1
    return changed


async def _answer_start(case: dict) -> tuple[datetime | None, bool]:
    """When the answer clock last started, and whether an extension moved its deadline since."""
    restart = await TimelineEntry.select(TimelineEntry.created_at).where(
        TimelineEntry.case == case["id"], TimelineEntry.action.is_in(_RESTARTS)
    ).order_by(TimelineEntry.id, ascending=False).first()
    start = restart["created_at"] if restart else case["first_assigned_at"]
    extension = TimelineEntry.exists().where(TimelineEntry.case == case["id"], TimelineEntry.action.is_in(_EXTENDS))
    return start, bool(start) and await extension.where(TimelineEntry.created_at >= start)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
