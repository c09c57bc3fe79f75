"""A year's official schedule, brought in by an admin for a year the package does not know:
read from a pasted list or an iCalendar file, checked, previewed, kept; the warning before it
is known; and the deadlines already computed into the year, recomputed and logged."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from backend import clock
from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.cases import actions, calendar_change, workflow
from backend.cases.tables import Case, TimelineEntry
from backend.deadlines import schedule, services
from backend.deadlines.calendar import OFFICIAL_YEARS, officially_working
from backend.deadlines.schedule import ScheduledDay, ScheduleError
from backend.deadlines.tables import CalendarDay, ScheduleYear
from tests.cases.test_clocks import MODERATOR, assigned_case

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = Who(None, "test admin")
YEAR = max(OFFICIAL_YEARS) + 1  # the first year the installed package does not know
EN = {"accept-language": "en"}


def first_weekdays(count: int) -> list[date]:
    days, day = [], date(YEAR, 1, 1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_a_pasted_list_reads_days_spans_and_make_up_days():
    days = schedule.parse_list(f"# {YEAR}\n{YEAR}-01-01 休 元旦\n\n{YEAR}-02-06 至 {YEAR}-02-08 休 春节\n{YEAR}-02-14 班 春节\n")
    assert [(entry.day.isoformat(), entry.working, entry.name) for entry in days] == [
        (f"{YEAR}-01-01", False, "元旦"),
        (f"{YEAR}-02-06", False, "春节"), (f"{YEAR}-02-07", False, "春节"), (f"{YEAR}-02-08", False, "春节"),
        (f"{YEAR}-02-14", True, "春节"),
    ]
    assert schedule.parse_list(schedule.as_list(days)) == days  # what the preview sends back reads the same


@pytest.mark.parametrize(
    ("text", "number"),
    [("2027-01-01 元旦", 1), ("2027-01-01 休 元旦\n2027-13-01 休 x", 2), ("2027-01-09 至 2027-01-02 休 x", 1), ("hello", 1)],
)
def test_a_line_that_cannot_be_read_is_named(text, number):
    with pytest.raises(ScheduleError) as refused:
        schedule.parse_list(text)
    assert refused.value.params == {"number": number} and "schedule" in refused.value.errors


def test_the_days_must_be_the_years_and_each_one_thing():
    holiday, working = ScheduledDay(date(YEAR, 1, 1), False, "元旦"), ScheduledDay(date(YEAR, 1, 1), True, "元旦")
    assert schedule.check([holiday, holiday], YEAR) == [holiday]
    for days, why in (([], "names no day"), ([holiday, working], "both a holiday"), ([ScheduledDay(date(YEAR + 1, 1, 1), False, "")], "is not in")):
        with pytest.raises(ScheduleError) as refused:
            schedule.check(days, YEAR)
        assert why in refused.value.errors["schedule"]


def ics(*events: tuple) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//")
    calendar.add("version", "2.0")
    for start, end, summary in events:
        event = icalendar.Event()
        event.add("dtstart", start)
        if end:
            event.add("dtend", end)
        event.add("summary", summary)
        event.add("uid", f"{start}-{summary}@test")
        calendar.add_component(event)
    return calendar.to_ical()


def test_an_icalendar_file_reads_all_day_events_and_make_up_days():
    data = ics((date(YEAR, 2, 6), date(YEAR, 2, 9), "春节 休"), (date(YEAR, 2, 14), None, "春节补班"))
    days = schedule.parse_ical(data)
    assert [(entry.day, entry.working) for entry in days] == [
        (date(YEAR, 2, 6), False), (date(YEAR, 2, 7), False), (date(YEAR, 2, 8), False), (date(YEAR, 2, 14), True)
    ]
    for bad in (b"not a calendar", ics((datetime(YEAR, 2, 6, 9, tzinfo=SHANGHAI), None, "会议")), b"x" * (schedule.FILE_MAX + 1)):
        with pytest.raises(ScheduleError) as refused:
            schedule.parse_ical(bad)
        assert "file" in refused.value.errors


async def test_the_year_ahead_is_warned_of_from_november_until_it_is_known():
    before = date(YEAR - 1, 10, 31)
    assert await services.unknown_schedule_year(before) is None
    assert await services.unknown_schedule_year(date(YEAR - 1, 11, 1)) == YEAR
    assert await services.unknown_schedule_year(date(YEAR, 1, 5)) == YEAR  # and after it began, still
    await services.import_schedule(YEAR, schedule.parse_list(f"{YEAR}-01-01 休 元旦"), actor=ADMIN)
    assert await services.unknown_schedule_year(date(YEAR - 1, 11, 1)) is None
    assert YEAR in await services.known_years()


async def test_deadlines_in_the_year_move_by_its_holidays_and_each_case_says_so(settings, categories):
    last_working = date(YEAR - 1, 12, 31)
    while not officially_working(last_working):
        last_working -= timedelta(days=1)
    assigned = datetime.combine(last_working, datetime.min.time(), SHANGHAI).replace(hour=10)
    moved, _ = await assigned_case(settings, categories, assigned)  # a complaint: 3 working days to answer
    extended, handler = await assigned_case(settings, categories, assigned)
    with clock.travel_to(assigned + timedelta(minutes=5)):  # its answer date becomes someone's choice
        await workflow.perform(extended, "sign", handler)
        asked = actions.RequestExtension(text="需要更换管道", due_date=date(YEAR, 1, 20))
        await workflow.perform(extended, asked, handler)
        await workflow.perform(extended, "grant_extension", MODERATOR)
    old = await Case.select(Case.answer_due_at, Case.sign_due_at).where(Case.number == moved).first()
    extended_due = (await Case.select(Case.answer_due_at).where(Case.number == extended).first())["answer_due_at"]
    assert old["answer_due_at"].year == YEAR
    before = await services.working_calendar()
    holidays = first_weekdays(3)
    text = "\n".join(f"{day.isoformat()} 休 元旦" for day in holidays)
    assert await services.import_schedule(YEAR, schedule.parse_list(text), actor=ADMIN) == 3
    after = await services.working_calendar()
    new = await Case.select(Case.answer_due_at, Case.sign_due_at).where(Case.number == moved).first()
    assert new["answer_due_at"] > old["answer_due_at"] + timedelta(days=2)
    # The time allowed is the same, counted on the calendar that knows the holidays.
    assert after.working_time_between(assigned, new["answer_due_at"]) == before.working_time_between(assigned, old["answer_due_at"])
    assert new["sign_due_at"] == old["sign_due_at"]  # in the year before: untouched
    assert (await Case.select(Case.answer_due_at).where(Case.number == extended).first())["answer_due_at"] == extended_due
    entries = await TimelineEntry.select(TimelineEntry.case.number.as_alias("number"), TimelineEntry.body).where(
        TimelineEntry.action == calendar_change.RECOMPUTED
    )
    assert [entry["number"] for entry in entries] == [moved]
    assert "answer: " in entries[0]["body"] and " → " in entries[0]["body"]
    assert await CalendarDay.count() == 3 and await ScheduleYear.count() == 1
    assert await AuditEvent.select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == "schedule_imported") == [
        {"action": "schedule_imported", "detail": f"{YEAR} · 3"}
    ]


def test_a_deadline_keeps_its_working_time_on_the_new_calendar():
    from backend.deadlines.calendar import WorkingCalendar
    from backend.settings import get_settings

    before = WorkingCalendar.from_settings(get_settings(), {})
    after = WorkingCalendar.from_settings(get_settings(), {day: False for day in first_weekdays(2)})
    start = datetime(YEAR - 1, 12, 30, 10, tzinfo=SHANGHAI)
    due = before.add_working_time(start, timedelta(hours=21))
    assert after.working_time_between(start, calendar_change.moved(start, due, before, after)) == timedelta(hours=21)
    soon = before.add_working_time(start, timedelta(minutes=5))  # before the holidays: where it was
    assert calendar_change.moved(start, soon, before, after) == soon


async def test_the_admin_previews_then_keeps_a_schedule_and_bad_input_is_kept(person):
    admin = await person("admin")
    page = await admin.client.get(f"/admin/calendar?year={YEAR}", headers=EN)
    assert page.status_code == 200 and f"Bring in the official schedule of {YEAR}" in page.text
    bad = f"{YEAR}-01-01 休 元旦\n{YEAR}-01-32 休 ?"
    refused = await admin.post_form("/admin/calendar/schedule", {"year": str(YEAR), "schedule": bad})
    assert refused.status_code == 400 and "Line 2 cannot be read" in refused.text and "-01-32 休 ?" in refused.text
    wrong_year = await admin.post_form("/admin/calendar/schedule", {"year": "99999", "schedule": f"{YEAR}-01-01 休 元旦"})
    assert wrong_year.status_code == 400 and "Enter a year from 2000 to 2100" in wrong_year.text
    preview = await admin.post_form("/admin/calendar/schedule", {"year": str(YEAR), "schedule": f"{YEAR}-01-01 休 元旦\n{YEAR}-02-14 班 春节"})
    assert preview.status_code == 200 and "Keep these 2 days" in preview.text and await CalendarDay.count() == 0
    kept = await admin.post_form("/admin/calendar/schedule", {"year": str(YEAR), "schedule": f"{YEAR}-01-01 休 元旦\n{YEAR}-02-14 班 春节", "step": "save"})
    assert kept.status_code == 303 and kept.headers["location"] == f"/admin/calendar?year={YEAR}&imported=2"
    page = await admin.client.get(kept.headers["location"], headers=EN)
    assert "2 days of the official schedule were brought in" in page.text and "brought in here" in page.text
    uploaded = await admin.client.post(
        "/admin/calendar/schedule", data={"year": str(YEAR)}, files={"file": ("holidays.ics", ics((date(YEAR, 5, 1), date(YEAR, 5, 4), "劳动节")), "text/calendar")},
        headers={"sec-fetch-site": "same-origin", **EN},
    )
    assert uploaded.status_code == 200 and "Keep these 3 days" in uploaded.text
    moderator = await person("moderator")
    assert (await moderator.post_form("/admin/calendar/schedule", {"year": str(YEAR), "schedule": "", "step": "save"})).status_code == 403
