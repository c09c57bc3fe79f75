"""The working calendar: which days are working days, and arithmetic in working time.

Plain Python: no database, no HTTP. ``services.working_calendar()`` builds one from the settings
and the admins' overrides.

Working days are China's: the ``chinese-calendar`` package carries the official public holidays
and make-up working days (调休) that the State Council publishes each year, and admins override
single days (another region's holiday, a typhoon closure, a Saturday made working). For a year
the package does not know yet (or any more), only Saturdays and Sundays are rest days, so
nothing fails; the admins add that year's holidays as overrides until the package is updated.

Working time runs only inside the working periods of a working day (``settings.working_hours``,
e.g. 09:00–12:00 and 13:30–17:30) on the local clock of ``settings.time_zone``. Periods are
half-open: 17:30 itself is no longer working time. A period is measured on the wall clock, so in a
zone with summer time a period spanning the change would count its wall-clock length.

All arithmetic is on whole microseconds of working time counted from the start of a year, read
from one table per year (the working time done by the start of each day), built once per calendar
and kept. Each operation is a few look-ups and one bisection, never a walk over minutes or days,
and ``add_working_time`` and ``working_time_between`` are exact inverses.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from backend.settings import Settings

_MICROSECOND = timedelta(microseconds=1)
# The years whose official days the installed package carries (2004–2026 in chinesecalendar 1.11).
OFFICIAL_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
_CHINESE_NAMES = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}


@dataclass(frozen=True)
class OfficialDay:
    """A day the official calendar sets apart: a public holiday, or a make-up working day."""

    day: date
    working: bool  # True: a make-up working day (调休上班), usually a Saturday or Sunday
    name: str  # the holiday it belongs to, in English as the package gives it: "National Day"
    name_zh: str  # and in Chinese: 国庆节


def official_days(year: int) -> list[OfficialDay]:
    """The year's published holidays and make-up working days, by date; none outside OFFICIAL_YEARS."""
    days = [(day, False, name) for day, name in chinese_calendar.holidays.items() if day.year == year]
    days += [(day, True, name) for day, name in chinese_calendar.workdays.items() if day.year == year]
    return [OfficialDay(day, working, name, _CHINESE_NAMES.get(name, name)) for day, working, name in sorted(days)]


def officially_working(day: date) -> bool:
    """Monday to Friday unless a public holiday, and the make-up days; weekdays beyond OFFICIAL_YEARS."""
    if day.year in OFFICIAL_YEARS:
        return day in chinese_calendar.workdays or (day.weekday() < 5 and day not in chinese_calendar.holidays)
    return day.weekday() < 5


def _of_day(moment: time | datetime) -> int:
    """Microseconds since midnight on the wall clock."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


class _Year:
    """One year's table: ``done[k]`` is the working time (µs) from 1 January to the start of day
    ``k`` (0-based), so ``done[k + 1] - done[k]`` is day ``k``'s and ``done[-1]`` the year's."""

    __slots__ = ("first", "done")

    def __init__(self, year: int, calendar: WorkingCalendar):
        first = date(year, 1, 1)
        self.first = first.toordinal()
        day_length = calendar.day_length // _MICROSECOND
        done = [0]
        for k in range(date(year, 12, 31).toordinal() - self.first + 1):
            done.append(done[-1] + (day_length if calendar.is_working_day(first + timedelta(days=k)) else 0))
        self.done = done

    @property
    def total(self) -> int:
        return self.done[-1]


@dataclass(frozen=True, eq=False)
class WorkingCalendar:
    """Working days and hours, and the arithmetic of deadlines. Immutable: build a new one when
    the settings or the overrides change. Every datetime in or out is timezone-aware; results
    are in ``time_zone``. Naive datetimes are refused (ValueError)."""

    working_hours: tuple[tuple[time, time], ...]
    time_zone: str = "Asia/Shanghai"
    overrides: Mapping[date, bool] = field(default_factory=dict)  # day → working, over the official calendar

    def __post_init__(self):
        if not self.working_hours:
            raise ValueError("a working day needs at least one working period")
        set_ = object.__setattr__  # frozen: these are derived once, here
        set_(self, "overrides", MappingProxyType(dict(self.overrides)))
        set_(self, "_zone", ZoneInfo(self.time_zone))
        set_(self, "_periods", tuple((_of_day(start), _of_day(end)) for start, end in self.working_hours))
        set_(self, "_day_length", timedelta(microseconds=sum(end - start for start, end in self._periods)))
        set_(self, "_years", {})  # year → _Year, filled as years are asked for

    @classmethod
    def from_settings(cls, settings: Settings, overrides: Mapping[date, bool]) -> WorkingCalendar:
        return cls(settings.working_hours, settings.time_zone, overrides)

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day (7 hours with the default working hours)."""
        return self._day_length

    def is_working_day(self, day: date) -> bool:
        working = self.overrides.get(day)
        return officially_working(day) if working is None else working

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``.

        A start outside working hours counts from the next working period. The result is the first
        moment that much has been worked: 1 hour from 11:00 is 12:00, not 13:30. A zero duration
        gives ``next_working_moment(start)``. Negative durations are refused (ValueError).
        """
        if duration < timedelta(0):
            raise ValueError("a duration of working time cannot be negative")
        year, done = self._position(start)
        amount = duration // _MICROSECOND
        return self._moment(year, done + amount, resume=amount == 0)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` × ``day_length`` of working time after ``start`` (see ``add_working_time``).

        So 3 working days from Tuesday 10:00 is Friday 10:00, and from 16:00 on the eve of a
        holiday week 16:00 on the third working day after it: the same time of day. From a start
        after hours the count starts at the next working period: 1 working day from Monday 17:55
        is Tuesday 17:30, the end of Tuesday's working time.
        """
        if days < 0:
            raise ValueError("a number of working days cannot be negative")
        return self.add_working_time(start, days * self.day_length)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from ``start`` to ``end``; negative when ``end`` comes first (time
        overdue, in a countdown). ``working_time_between(s, add_working_time(s, d)) == d``."""
        first_year, done_at_start = self._position(start)
        last_year, done_at_end = self._position(end)
        amount = done_at_end - done_at_start
        amount += sum(self._year(year).total for year in range(first_year, last_year))
        amount -= sum(self._year(year).total for year in range(last_year, first_year))
        return timedelta(microseconds=amount)

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself when it is working time, else the start of the next working period."""
        return self._moment(*self._position(moment), resume=True)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = _Year(year, self)
        return table

    def _position(self, moment: datetime) -> tuple[int, int]:
        """(year, working time in µs from the start of that year to ``moment``), on the local clock."""
        if moment.tzinfo is None:
            raise ValueError("working time needs timezone-aware datetimes")
        local = moment.astimezone(self._zone)
        table = self._year(local.year)
        k = local.toordinal() - table.first
        done = table.done[k]
        if table.done[k + 1] > done:  # a working day: add what is done of its periods
            of_day = _of_day(local)
            for start, end in self._periods:
                if of_day <= start:
                    break
                done += min(of_day, end) - start
        return local.year, done

    def _moment(self, year: int, target: int, *, resume: bool) -> datetime:
        """The moment ``target`` µs of working time after the start of ``year`` (may run into later
        years). Where that moment is a boundary, the first one (the end of a period: a deadline),
        or with ``resume`` the one work goes on from (the start of the next period)."""
        while True:
            table = self._year(year)
            if target < table.total or (target == table.total and not resume and target > 0):
                break
            target -= table.total
            year += 1
            if year > 9999:
                raise OverflowError("the working time runs past the year 9999")
        # The first day whose end is past the target (resume) or reaches it (a deadline).
        k = (bisect_right if resume else bisect_left)(table.done, target, 1) - 1
        into = target - table.done[k]
        for start, end in self._periods:
            if into < end - start or (into == end - start and not resume):
                break
            into -= end - start
        local = datetime.fromordinal(table.first + k) + timedelta(microseconds=start + into)
        return local.replace(tzinfo=self._zone)
