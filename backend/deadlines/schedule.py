"""A year's official schedule (放假调休安排) brought in by an admin: the public holidays and the
make-up working days the State Council publishes each autumn for the year ahead, for a year the
installed ``chinesecalendar`` does not know yet.

An admin pastes a simple list, one day or span a line::

    2027-01-01 休 元旦
    2027-02-06 至 2027-02-12 休 春节
    2027-02-14 班 春节

(``休``/``rest``/``holiday`` a rest day, ``班``/``work`` a make-up working day), or uploads the
iCalendar file a calendar publishes (one event a day or a span; a summary with 班 is a make-up
working day, any other a holiday). Both become the same list of days, which is checked before
anything is kept: every day in the year, no day both a holiday and a working day, at least one.
Plain Python; ``services.import_schedule`` keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import icalendar

from backend.errors import FieldErrors, Malformed
from backend.i18n_markers import N_

MOST_DAYS = 120  # a year's official days are some 30 holidays and a few make-up days
TEXT_MAX = 20_000
FILE_MAX = 500_000
_LINE = re.compile(
    r"^(?P<first>\d{4}-\d{2}-\d{2})(?:\s*(?:至|到|-|–|~|to)\s*(?P<last>\d{4}-\d{2}-\d{2}))?\s+(?P<kind>\S+)\s*(?P<name>.*)$"
)
_REST = {"休", "休息", "放假", "rest", "holiday", "off"}
_WORK = {"班", "上班", "补班", "work", "working"}


class ScheduleError(FieldErrors):
    """A schedule that cannot be used: field → message id, with the values its placeholders
    take (``params``: a line's number, a day)."""

    default_kind = Malformed

    def __init__(self, errors: dict[str, str], **params: object):
        super().__init__(errors)
        self.params = params


@dataclass(frozen=True)
class ScheduledDay:
    day: date
    working: bool  # a make-up working day; else a public holiday
    name: str  # the holiday it belongs to: 春节


def _days(first: date, last: date, working: bool, name: str) -> list[ScheduledDay]:
    if last < first or (last - first).days > 31:
        raise ValueError
    return [ScheduledDay(first + timedelta(days=n), working, name) for n in range((last - first).days + 1)]


def parse_list(text: str) -> list[ScheduledDay]:
    """The days of a pasted list. Raises ScheduleError naming the first line it cannot read."""
    if len(text) > TEXT_MAX:
        raise ScheduleError({"schedule": N_("The list is too long for a year's schedule.")})
    days: list[ScheduledDay] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.match(line)
        kind = found["kind"].lower() if found else ""
        try:
            if not found or kind not in _REST | _WORK:
                raise ValueError
            first = date.fromisoformat(found["first"])
            last = date.fromisoformat(found["last"]) if found["last"] else first
            days += _days(first, last, kind in _WORK, found["name"].strip()[:60])
        except ValueError:
            raise ScheduleError({"schedule": N_("Line %(number)s cannot be read: write a date (or two, with 至), then 休 or 班, then the holiday's name.")}, number=number) from None
    return days


def parse_ical(data: bytes) -> list[ScheduledDay]:
    """The days of an iCalendar file's all-day events. Raises ScheduleError."""
    unreadable = ScheduleError({"file": N_("The file is not an iCalendar file (.ics) of all-day events.")})
    if len(data) > FILE_MAX:
        raise unreadable
    try:
        calendar = icalendar.Calendar.from_ical(data)
        days: list[ScheduledDay] = []
        for event in calendar.walk("VEVENT"):
            first = event.decoded("DTSTART")
            if not isinstance(first, date) or hasattr(first, "hour"):  # a time of day: not a day off
                raise ValueError
            end = event.decoded("DTEND") if "DTEND" in event else first + timedelta(days=1)  # exclusive
            summary = str(event.get("SUMMARY", "")).strip()
            working = any(word in summary for word in ("班", "补班")) or "work" in summary.lower()
            days += _days(first, end - timedelta(days=1), working, summary[:60])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise unreadable from None
    return days


def check(days: list[ScheduledDay], year: int) -> list[ScheduledDay]:
    """The year's days, each once and in order. Raises ScheduleError if one lies outside the
    year, a day is both a holiday and a working day, or there is none (or far too many)."""
    if not days:
        raise ScheduleError({"schedule": N_("The schedule names no day.")})
    if len(days) > MOST_DAYS:
        raise ScheduleError({"schedule": N_("That is more days than a year's official schedule has.")})
    outside = sorted({entry.day for entry in days if entry.day.year != year})
    if outside:
        raise ScheduleError({"schedule": N_("%(day)s is not in %(year)s.")}, day=outside[0].isoformat(), year=year)
    by_day: dict[date, ScheduledDay] = {}
    for entry in days:
        if entry.day in by_day and by_day[entry.day].working != entry.working:
            raise ScheduleError({"schedule": N_("%(day)s is both a holiday and a working day.")}, day=entry.day.isoformat())
        by_day[entry.day] = entry
    return [by_day[day] for day in sorted(by_day)]


def as_list(days: list[ScheduledDay]) -> str:
    """The days as the list an admin would paste (what the preview's confirmation sends back)."""
    return "\n".join(f"{entry.day.isoformat()} {'班' if entry.working else '休'} {entry.name}".rstrip() for entry in days)
