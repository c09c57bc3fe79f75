"""The working calendar as the app uses it: the official days, the settings, and the admins'
overrides of single days. Knows nothing of HTTP.

``working_calendar()`` is called wherever a deadline is computed, so the calendar (and the year
tables it builds) is kept in the process. Several worker processes may run, and an admin's
change reaches only the one that made it, so every call first reads a stamp of the overrides —
their number and the latest change time, one aggregate over a table of a few dozen rows a year —
and rebuilds when it differs. That sees another worker's change on the very next call, where a
TTL would leave deadlines computed on the old calendar for its whole length. (The number and the
highest id would miss an edited override, and SQLite hands the highest id out again after a
delete.) A change made here also drops the cached calendar at once, even within one instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from piccolo.query.functions.aggregate import Count, Max

from backend import clock, events
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.db import write_transaction
from backend.deadlines.calendar import OFFICIAL_YEARS, WorkingCalendar, officially_working
from backend.deadlines.schedule import ScheduledDay, ScheduleError, check
from backend.deadlines.tables import CalendarDay, ScheduleYear
from backend.events import WorkingCalendarChanged
from backend.errors import FieldErrors, Malformed, NotFound
from backend.i18n_markers import N_
from backend.settings import get_settings
from backend.text import clean_text

# Overrides a person might sensibly type; the official calendar starts in 2004.
FIRST_YEAR, LAST_YEAR = 2000, 2100
NOTE_MAX = 200
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, as a date field sends


class CalendarError(FieldErrors):
    """A change to the working calendar that can't be made."""

    default_kind = Malformed


@dataclass
class DayForm:
    """What an admin typed to change a day; text until valid, so it can be shown again."""

    day: str = ""  # 2025-10-01
    working: str = ""  # "yes" or "no"
    note: str = ""


@dataclass(frozen=True)
class Override:
    day: date
    working: bool
    note: str
    changed_at: datetime
    changed_by_name: str

    @property
    def officially_working(self) -> bool:
        """What the day would be without the override."""
        return officially_working(self.day)


_cached: tuple[tuple, WorkingCalendar] | None = None


async def _stamp() -> tuple:
    row = await CalendarDay.select(Count(alias="count"), Max(CalendarDay.changed_at, alias="latest")).first()
    return row["count"], row["latest"]


async def working_calendar() -> WorkingCalendar:
    """The calendar of the settings and the current overrides (cached; see the module's note)."""
    global _cached
    stamp = await _stamp()  # before the rows: a change in between makes the next call reload
    if _cached is None or _cached[0] != stamp:
        rows = await CalendarDay.select(CalendarDay.day, CalendarDay.working)
        overrides = {row["day"]: row["working"] for row in rows}
        _cached = (stamp, WorkingCalendar.from_settings(get_settings(), overrides))
    return _cached[1]


def _forget() -> None:
    global _cached
    _cached = None


def parse_day(text: str) -> date | None:
    """A day as a date field sends it (2025-10-01), within the years overrides may touch."""
    text = text.strip()
    if not _DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2025-02-30
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


BAD_DAY = N_("Enter a date from 2000 to 2100, such as 2025-10-01.")


def parse_year(text: str) -> int | None:
    text = text.strip()
    return int(text) if len(text) == 4 and text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR else None


async def set_day(form: DayForm, *, actor: Who) -> date:
    """Make the day a working day or a rest day, whatever the official calendar says; a day
    changed before gets the new setting. Raises CalendarError."""
    errors: dict[str, str] = {}
    day = parse_day(form.day)
    if day is None:
        errors["day"] = BAD_DAY
    if form.working not in ("yes", "no"):
        errors["working"] = N_("Choose whether people work on that day.")
    note = clean_text(form.note)
    if not note:
        errors["note"] = N_("Say why, for example: typhoon, offices closed.")
    elif len(note) > NOTE_MAX:
        errors["note"] = N_("The note is too long.")
    if errors:
        raise CalendarError(errors)
    now = clock.now()
    row = CalendarDay(
        day=day,
        working=form.working == "yes",
        note=note,
        created_at=now,
        changed_at=now,
        changed_by=actor.id,
        changed_by_name=actor.name[:100],
    )
    await _keep_day(row)
    _forget()
    return day


async def _keep_day(row: CalendarDay) -> None:
    """The day's override, new or replacing the one it had: one statement, so two admins
    changing the same day at once can't collide on the unique day."""
    await CalendarDay.insert(row).on_conflict(
        target=CalendarDay.day,
        action="DO UPDATE",
        values=[CalendarDay.working, CalendarDay.note, CalendarDay.changed_at, CalendarDay.changed_by, CalendarDay.changed_by_name],
    )


async def clear_day(day_text: str) -> date:
    """Give the day back to the official calendar. Raises CalendarError."""
    day = parse_day(day_text)
    if day is None:
        raise CalendarError({"day": BAD_DAY})
    removed = await CalendarDay.delete().where(CalendarDay.day == day).returning(CalendarDay.id)
    if not removed:
        raise CalendarError({"": N_("That day has no change to remove.")}, NotFound)
    _forget()
    return day


async def overrides(year: int) -> list[Override]:
    """The year's overrides, by day."""
    rows = (
        await CalendarDay.select(
            CalendarDay.day, CalendarDay.working, CalendarDay.note, CalendarDay.changed_at, CalendarDay.changed_by_name
        )
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return [Override(**row) for row in rows]


# --- a year's official schedule ----------------------------------------------------------------

# From this day of the year on, next year's schedule should be known (the State Council
# publishes it in the autumn): before it, nothing is missing yet.
WARN_FROM = (11, 1)


async def known_years() -> set[int]:
    """The years whose official days are known: the package's, and those an admin brought in."""
    return set(OFFICIAL_YEARS) | set(await ScheduleYear.select(ScheduleYear.year).output(as_list=True))


async def unknown_schedule_year(today: date) -> int | None:
    """A year whose official holidays and make-up days deadlines will need and nobody knows:
    this year, or from November next year. None when all is known."""
    known = await known_years()
    if today.year not in known:
        return today.year
    if (today.month, today.day) >= WARN_FROM and today.year + 1 not in known:
        return today.year + 1
    return None


async def import_schedule(year: int, days: list[ScheduledDay], *, actor: Who) -> int:
    """Keep a year's official schedule, checked (``schedule.check``): each day an override of the
    calendar, named after its holiday, and the year known from now on; audit-logged. Deadlines
    already computed into the year are recomputed by the listeners of ``WorkingCalendarChanged``,
    in the same transaction. Returns how many days were kept. Raises ScheduleError."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ScheduleError({"year": BAD_YEAR})
    days = check(days, year)
    before = await working_calendar()
    now = clock.now()
    async with write_transaction():
        for entry in days:
            await _keep_day(
                CalendarDay(
                    day=entry.day, working=entry.working, note=(entry.name or SCHEDULE_NOTE)[:NOTE_MAX], created_at=now,
                    changed_at=now, changed_by=actor.id, changed_by_name=actor.name[:100],
                )
            )
        await ScheduleYear.insert(
            ScheduleYear(year=year, days=len(days), imported_at=now, imported_by_name=actor.name[:100])
        ).on_conflict(target=ScheduleYear.year, action="DO UPDATE", values=[ScheduleYear.days, ScheduleYear.imported_at, ScheduleYear.imported_by_name])
        await audit.record(AuditAction.schedule_imported, actor=actor, detail=f"{year} · {len(days)}")
        _forget()
        after = await working_calendar()
        await events.emit(WorkingCalendarChanged(year, before, after))
    return len(days)


BAD_YEAR = N_("Enter a year from 2000 to 2100.")
SCHEDULE_NOTE = N_("Official schedule")
