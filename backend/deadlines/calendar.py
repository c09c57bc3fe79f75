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

All arithmetic is on whole microseconds of working time counted from 1 January of the year 1.
Years with neither official days nor overrides follow the weekly pattern, so the working time
before a day is a formula over the count of weekdays before it; only the other years (the
package's, and those the admins changed: a bounded few) get a table of the working time done by
the start of each day, built once per calendar and kept, and a running sum of how far each one
departs from the pattern. An operation costs the same however far apart its dates are: a few
look-ups and one bisection over the days, never a walk over minutes, days or years; and
``add_working_time`` and ``working_time_between`` are exact inverses.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
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


# The days the package sets apart, by year: the only ones of its years off the weekly pattern.
_SET_APART: dict[int, set[date]] = {}
for _day in (*chinese_calendar.holidays, *chinese_calendar.workdays):
    _SET_APART.setdefault(_day.year, set()).add(_day)


def _weekdays_before(ordinal: int) -> int:
    """How many Mondays to Fridays come before the day ``ordinal`` (day 1, 1 January 1, a Monday)."""
    weeks, days = divmod(ordinal - 1, 7)
    return 5 * weeks + min(days, 5)


_LAST_DAY = date.max.toordinal()


class _Year:
    """One irregular year's table: ``done[k]`` is the working time (µs) from 1 January to the start
    of day ``k`` (0-based), so ``done[k + 1] - done[k]`` is day ``k``'s and ``done[-1]`` the year's;
    ``start``: the calendar's working time before the year."""

    __slots__ = ("first", "done", "start")

    def __init__(self, year: int, calendar: WorkingCalendar, start: int):
        first = date(year, 1, 1)
        self.first, self.start = first.toordinal(), start
        day_length = calendar.day_length // _MICROSECOND
        done = [0]
        for k in range(date(year, 12, 31).toordinal() - self.first + 1):
            done.append(done[-1] + (day_length if calendar.is_working_day(first + timedelta(days=k)) else 0))
        self.done = done


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
        set_(self, "_day_us", self._day_length // _MICROSECOND)
        set_(self, "_tables", {})  # irregular year's index → _Year, filled as years are asked for

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
        amount = duration // _MICROSECOND
        return self._moment(self._position(start) + amount, resume=amount == 0)

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
        return timedelta(microseconds=self._position(end) - self._position(start))

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself when it is working time, else the start of the next working period."""
        return self._moment(self._position(moment), resume=True)

    @cached_property
    def _irregular(self) -> tuple[list[int], list[int], list[int]]:
        """The years that may depart from the weekly pattern (the package's and the overrides'),
        the sum of the departures of the years before each (and of all), and the working time
        before each; from their set-apart days alone, once."""
        set_apart = {year: set(_SET_APART.get(year, ())) for year in OFFICIAL_YEARS}
        for day in self.overrides:
            set_apart.setdefault(day.year, set()).add(day)
        years = sorted(set_apart)
        before, starts = [0], []
        for year in years:
            starts.append(self._day_us * _weekdays_before(date(year, 1, 1).toordinal()) + before[-1])
            departure = sum(self.is_working_day(day) - (day.weekday() < 5) for day in set_apart[year])
            before.append(before[-1] + self._day_us * departure)
        return years, before, starts

    def _table(self, index: int) -> _Year:
        """The table of the ``index``th irregular year, built when first needed and kept."""
        table = self._tables.get(index)
        if table is None:
            years, _, starts = self._irregular
            table = self._tables[index] = _Year(years[index], self, starts[index])
        return table

    def _position(self, moment: datetime) -> int:
        """The working time (µs) from 1 January of the year 1 to ``moment``, on the local clock."""
        if moment.tzinfo is None:
            raise ValueError("working time needs timezone-aware datetimes")
        local = moment.astimezone(self._zone)
        years, departures_before, _ = self._irregular
        index = bisect_left(years, local.year)
        if index == len(years) or years[index] != local.year:  # the weekly pattern, shifted by the departures before
            done = self._day_us * _weekdays_before(local.toordinal()) + departures_before[index]
            working = local.weekday() < 5
        else:
            table = self._table(index)
            k = local.toordinal() - table.first
            done, working = table.start + table.done[k], table.done[k + 1] > table.done[k]
        if working:  # add what is done of its periods
            of_day = _of_day(local)
            for start, end in self._periods:
                if of_day <= start:
                    break
                done += min(of_day, end) - start
        return done

    def _moment(self, target: int, *, resume: bool) -> datetime:
        """The moment ``target`` µs of working time after 1 January of the year 1. Where that moment
        is a boundary, the first one (the end of a period: a deadline), or with ``resume`` the one
        work goes on from (the start of the next period)."""
        _, departures_before, starts = self._irregular
        total = self._day_us * _weekdays_before(_LAST_DAY + 1) + departures_before[-1]
        if target > total or (resume and target == total):
            raise OverflowError("the working time runs past the year 9999")
        # The day it falls in: the last whose start has reached the target (resume), or the last
        # whose start is before it (a deadline ends on the day whose end reaches it). In the last
        # irregular year that starts before it, if it is within that year ...
        i = (bisect_right if resume else bisect_left)(starts, target) - 1
        table = self._table(i) if i >= 0 else None
        if table is not None and (target - table.start < table.done[-1] or (target - table.start == table.done[-1] and not resume)):
            k = (bisect_right if resume else bisect_left)(table.done, target - table.start, 1) - 1
            day, into = table.first + k, target - table.start - table.done[k]
        else:  # ... else the weekly pattern: the (n + 1)th weekday, with n weekdays' working time before it
            pattern = target - departures_before[i + 1]
            n = pattern // self._day_us if resume else -(-pattern // self._day_us) - 1
            weeks, extra = divmod(n, 5)
            day, into = 7 * weeks + extra + 1, pattern - self._day_us * n
        for start, end in self._periods:
            if into < end - start or (into == end - start and not resume):
                break
            into -= end - start
        local = datetime.fromordinal(day) + timedelta(microseconds=start + into)
        return local.replace(tzinfo=self._zone)
