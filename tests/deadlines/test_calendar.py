"""The working calendar on the dates that go wrong in real systems: golden weeks, make-up
Saturdays, the eve of a holiday, lunch, nights, overrides, and years the package doesn't know."""

from __future__ import annotations

import random
import tracemalloc
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from backend.deadlines.calendar import OFFICIAL_YEARS, WorkingCalendar, official_days
from backend.settings import WORKING_HOURS, parse_working_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = parse_working_hours(WORKING_HOURS)
CALENDAR = WorkingCalendar(HOURS)


def at(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_the_package_knows_2025s_golden_week():
    official = {o.day: o for o in official_days(2025)}
    assert all(not official[date(2025, 10, d)].working for d in range(1, 9))  # Oct 1–8 off
    assert official[date(2025, 9, 28)].working and official[date(2025, 10, 11)].working  # Sunday, Saturday
    assert official[date(2025, 10, 1)].name_zh == "国庆节" and official[date(2025, 10, 1)].name == "National Day"
    assert date(2025, 9, 28).weekday() == 6 and date(2025, 10, 11).weekday() == 5


def test_three_working_days_across_national_day_golden_week():
    # Sep 30 16:00–17:30 (1.5 h), Oct 9 and 10 (14 h), the make-up Saturday Oct 11 until 16:00 (5.5 h).
    assert CALENDAR.add_working_days(at(2025, 9, 30, 16), 3) == at(2025, 10, 11, 16)
    assert CALENDAR.working_time_between(at(2025, 9, 30, 16), at(2025, 10, 11, 16)) == timedelta(hours=21)


def test_a_make_up_saturday_is_a_working_day():
    assert CALENDAR.is_working_day(date(2025, 10, 11)) and CALENDAR.is_working_day(date(2025, 9, 28))
    assert not CALENDAR.is_working_day(date(2025, 10, 4))  # a Saturday in the holiday
    assert not CALENDAR.is_working_day(date(2025, 10, 18))  # an ordinary Saturday
    # Friday 17:00 + 1 working hour: 30 minutes on Friday, 30 on the make-up Saturday morning.
    assert CALENDAR.add_working_time(at(2025, 10, 10, 17), timedelta(hours=1)) == at(2025, 10, 11, 9, 30)
    # A week later the Saturday is a rest day again.
    assert CALENDAR.add_working_time(at(2025, 10, 17, 17), timedelta(hours=1)) == at(2025, 10, 20, 9, 30)


def test_a_case_assigned_at_1755_on_the_eve_of_a_holiday():
    eve = at(2025, 9, 30, 17, 55)
    assert CALENDAR.add_working_time(eve, timedelta(hours=1)) == at(2025, 10, 9, 10)
    assert CALENDAR.add_working_time(eve, timedelta(minutes=15)) == at(2025, 10, 9, 9, 15)
    assert CALENDAR.next_working_moment(eve) == at(2025, 10, 9, 9)
    assert CALENDAR.add_working_days(eve, 1) == at(2025, 10, 9, 17, 30)
    assert CALENDAR.working_time_between(eve, at(2025, 10, 9, 9)) == timedelta(0)


def test_spring_festival_2026():
    # Feb 15–23 off; Saturday Feb 14 and Saturday Feb 28 are make-up working days.
    assert CALENDAR.is_working_day(date(2026, 2, 14)) and CALENDAR.is_working_day(date(2026, 2, 28))
    assert not any(CALENDAR.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    # A complaint assigned on Friday Feb 13 at 15:00: 2.5 h that day, 7 h on the make-up
    # Saturday, nothing until Tuesday Feb 24 (7 h), then 4.5 h on Wednesday: 15:00.
    assert CALENDAR.add_working_days(at(2026, 2, 13, 15), 3) == at(2026, 2, 25, 15)
    assert CALENDAR.next_working_moment(at(2026, 2, 15, 10)) == at(2026, 2, 24, 9)


def test_lunch_break():
    assert CALENDAR.add_working_time(at(2025, 10, 14, 11), timedelta(hours=1)) == at(2025, 10, 14, 12)  # a deadline at noon
    assert CALENDAR.add_working_time(at(2025, 10, 14, 11), timedelta(minutes=61)) == at(2025, 10, 14, 13, 31)
    assert CALENDAR.add_working_time(at(2025, 10, 14, 12, 30), timedelta(minutes=30)) == at(2025, 10, 14, 14)
    assert CALENDAR.next_working_moment(at(2025, 10, 14, 12)) == at(2025, 10, 14, 13, 30)
    assert CALENDAR.next_working_moment(at(2025, 10, 14, 10, 7)) == at(2025, 10, 14, 10, 7)
    assert CALENDAR.working_time_between(at(2025, 10, 14, 11), at(2025, 10, 14, 14)) == timedelta(hours=1, minutes=30)


def test_three_working_days_from_tuesday_morning_is_friday_morning():
    assert CALENDAR.day_length == timedelta(hours=7)
    assert CALENDAR.add_working_days(at(2025, 10, 14, 10), 3) == at(2025, 10, 17, 10)
    assert CALENDAR.add_working_days(at(2025, 10, 14, 10), 0) == at(2025, 10, 14, 10)


def test_a_start_at_night_or_at_the_weekend_counts_from_the_next_working_period():
    assert CALENDAR.add_working_time(at(2025, 10, 14, 2), timedelta(minutes=30)) == at(2025, 10, 14, 9, 30)
    assert CALENDAR.add_working_time(at(2025, 10, 14, 22), timedelta(minutes=30)) == at(2025, 10, 15, 9, 30)
    assert CALENDAR.add_working_time(at(2025, 10, 18, 11), timedelta(hours=1)) == at(2025, 10, 20, 10)
    assert CALENDAR.add_working_time(at(2025, 10, 18, 11), timedelta(0)) == at(2025, 10, 20, 9)
    # Any zone in, the configured zone out: 01:00 UTC is 09:00 in Shanghai.
    result = CALENDAR.add_working_time(datetime(2025, 10, 14, 1, tzinfo=timezone.utc), timedelta(hours=1))
    assert result == at(2025, 10, 14, 10) and result.tzinfo == SHANGHAI


def test_the_end_of_the_working_day_and_of_the_year():
    assert CALENDAR.add_working_time(at(2025, 10, 14, 17), timedelta(minutes=30)) == at(2025, 10, 14, 17, 30)
    assert CALENDAR.next_working_moment(at(2025, 10, 14, 17, 30)) == at(2025, 10, 15, 9)
    # New Year 2026: Jan 1–3 off, Sunday Jan 4 a make-up working day.
    assert CALENDAR.add_working_time(at(2025, 12, 31, 17), timedelta(hours=1)) == at(2026, 1, 4, 9, 30)
    assert CALENDAR.working_time_between(at(2025, 12, 31, 17), at(2026, 1, 4, 9, 30)) == timedelta(hours=1)
    assert CALENDAR.working_time_between(at(2026, 1, 4, 9, 30), at(2025, 12, 31, 17)) == -timedelta(hours=1)


def test_admin_overrides_a_typhoon_closure_and_a_saturday_made_working():
    typhoon, saturday = date(2025, 9, 5), date(2025, 9, 13)  # a Friday; an ordinary Saturday
    calendar = WorkingCalendar(HOURS, "Asia/Shanghai", {typhoon: False, saturday: True})
    assert not calendar.is_working_day(typhoon) and calendar.is_working_day(saturday)
    assert calendar.add_working_time(at(2025, 9, 4, 17), timedelta(hours=1)) == at(2025, 9, 8, 9, 30)
    assert CALENDAR.add_working_time(at(2025, 9, 4, 17), timedelta(hours=1)) == at(2025, 9, 5, 9, 30)
    assert calendar.add_working_time(at(2025, 9, 12, 17), timedelta(hours=1)) == at(2025, 9, 13, 9, 30)
    # An override beats the official calendar both ways.
    holiday = WorkingCalendar(HOURS, "Asia/Shanghai", {date(2025, 10, 8): True, date(2025, 10, 11): False})
    assert holiday.is_working_day(date(2025, 10, 8)) and not holiday.is_working_day(date(2025, 10, 11))


def test_working_hours_and_time_zone_come_from_the_settings():
    early = WorkingCalendar(parse_working_hours("08:00-12:00,14:00-18:00"), "Asia/Urumqi")
    assert early.day_length == timedelta(hours=8)
    start = datetime(2025, 10, 14, 11, 30, tzinfo=ZoneInfo("Asia/Urumqi"))
    assert early.add_working_time(start, timedelta(hours=1)) == datetime(2025, 10, 14, 14, 30, tzinfo=ZoneInfo("Asia/Urumqi"))
    with pytest.raises(ValueError, match="MINSHENG_WORKING_HOURS"):
        parse_working_hours("13:30-17:30,09:00-12:00")
    with pytest.raises(ValueError, match="MINSHENG_WORKING_HOURS"):
        parse_working_hours("9点-12点")


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError):
        CALENDAR.add_working_time(datetime(2025, 10, 14, 10), timedelta(hours=1))
    with pytest.raises(ValueError):
        CALENDAR.add_working_time(at(2025, 10, 14, 10), timedelta(hours=-1))
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(at(2025, 10, 14, 10), -1)


def test_outside_the_packages_years_only_weekends_are_rest_days():
    before, after = OFFICIAL_YEARS.start - 1, OFFICIAL_YEARS.stop  # 2003, 2027 with chinesecalendar 1.11
    assert official_days(after) == []
    for year in (before, after, 2100):
        days = [date(year, 10, 1) + timedelta(days=k) for k in range(14)]
        assert [CALENDAR.is_working_day(day) for day in days] == [day.weekday() < 5 for day in days]
    # Deadlines run on through the last known year into the next.
    last_day = date(OFFICIAL_YEARS.stop - 1, 12, 31)
    start = datetime.combine(last_day, time(17), SHANGHAI)
    end = CALENDAR.add_working_days(start, 10)
    assert end.year == OFFICIAL_YEARS.stop and CALENDAR.working_time_between(start, end) == timedelta(hours=70)
    # Overrides still apply there: the admins add what the package doesn't know yet.
    new_year = date(after, 1, 1)
    assert not WorkingCalendar(HOURS, "Asia/Shanghai", {new_year: False}).is_working_day(new_year)


def test_working_time_between_is_the_inverse_of_add_working_time():
    rng = random.Random(20251001)
    overridden = WorkingCalendar(HOURS, "Asia/Shanghai", {date(2025, 9, 5): False, date(2025, 9, 13): True})
    for _ in range(3000):
        start = at(2025, 1, 1) + timedelta(seconds=rng.randrange(2 * 366 * 86400), microseconds=rng.randrange(10**6))
        duration = timedelta(seconds=rng.randrange(1, 30 * 7 * 3600), microseconds=rng.randrange(10**6))
        for calendar in (CALENDAR, overridden):
            end = calendar.add_working_time(start, duration)
            assert end > start
            assert calendar.working_time_between(start, end) == duration
            assert calendar.working_time_between(end, start) == -duration
            # The deadline is the first moment the duration is reached: a moment earlier, it is not.
            assert calendar.working_time_between(start, end - timedelta(microseconds=1)) < duration
            moment = calendar.next_working_moment(start)
            assert moment >= start and calendar.working_time_between(start, moment) == timedelta(0)
            assert calendar.is_working_day(moment.date())


def test_agrees_with_a_minute_by_minute_count():
    rng = random.Random(7)
    for _ in range(40):
        start = at(2025, 9, 20) + timedelta(minutes=rng.randrange(40 * 24 * 60))
        end = start + timedelta(minutes=rng.randrange(6 * 24 * 60))
        assert CALENDAR.working_time_between(start, end) == timedelta(minutes=_minutes_worked(start, end))


def _minutes_worked(start: datetime, end: datetime) -> int:
    worked, moment = 0, start
    while moment < end:
        clock_time = moment.timetz().replace(tzinfo=None)
        if CALENDAR.is_working_day(moment.date()) and any(s <= clock_time < e for s, e in HOURS):
            worked += 1
        moment += timedelta(minutes=1)
    return worked


@pytest.mark.parametrize(
    "name, value, complaint",
    [("MINSHENG_WORKING_HOURS", "09:00-12:00;13:30-17:30", "MINSHENG_WORKING_HOURS"), ("MINSHENG_TIME_ZONE", "China/Beijing", "MINSHENG_TIME_ZONE")],
)
def test_bad_settings_stop_the_start_with_a_clear_error(monkeypatch, name, value, complaint):
    from backend.settings import get_settings

    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match=complaint):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_cost_of_a_date_does_not_grow_with_its_distance():
    """Years without official days or overrides follow the weekly pattern, computed, not tabled:
    a deadline in the year 9999 takes as little memory (and time) as one next week."""
    calendar = WorkingCalendar(HOURS, "Asia/Shanghai", {date(2090, 5, 7): True})  # a Sunday made working, far out
    tracemalloc.start()
    try:
        now = at(2026, 12, 7, 10)
        span = calendar.working_time_between(now, at(9999, 12, 31, 23, 59))
        assert calendar.add_working_time(now, span) == at(9999, 12, 31, 17, 30)
        assert tracemalloc.get_traced_memory()[1] < 5_000_000
    finally:
        tracemalloc.stop()
    # Far away, the weekly pattern: Friday 2100-01-01 16:00 plus 2 working hours is Monday 9:30.
    assert calendar.add_working_time(at(2100, 1, 1, 16), timedelta(hours=2)) == at(2100, 1, 4, 9, 30)
    assert calendar.working_time_between(at(9000, 1, 1, 9), at(9000, 1, 8, 9)) == 5 * calendar.day_length
    # The override's Sunday is a working day; the weeks around it are as usual.
    assert calendar.working_time_between(at(2090, 5, 1, 9), at(2090, 5, 8, 9)) == 6 * calendar.day_length
