"""Admins' overrides of the working calendar: the service, its cache, and the admin page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.accounts.audit import Who
from backend.deadlines import services
from backend.deadlines.services import CalendarError, DayForm
from backend.deadlines.tables import CalendarDay
from backend.web.errors import status_of
from tests.support import CROSS_SITE

TYPHOON = DayForm(day="2025-09-05", working="no", note="台风“塔巴”过境，全市停工")
ADMIN = Who(None, "test admin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_an_override_changes_the_calendar_and_removing_it_restores_it():
    before = await services.working_calendar()
    assert before.is_working_day(date(2025, 9, 5))
    assert await services.set_day(TYPHOON, actor=ADMIN) == date(2025, 9, 5)
    calendar = await services.working_calendar()
    assert not calendar.is_working_day(date(2025, 9, 5))
    assert calendar.add_working_time(datetime(2025, 9, 4, 17, tzinfo=SHANGHAI), timedelta(hours=1)) == datetime(2025, 9, 8, 9, 30, tzinfo=SHANGHAI)
    assert await services.working_calendar() is calendar  # nothing changed: the same one, tables and all
    [override] = await services.overrides(2025)
    assert (override.day, override.working, override.note, override.changed_by_name) == (date(2025, 9, 5), False, TYPHOON.note, "test admin")
    assert override.officially_working
    assert await services.overrides(2024) == []
    await services.clear_day("2025-09-05")
    assert (await services.working_calendar()).is_working_day(date(2025, 9, 5))


async def test_setting_a_day_again_replaces_its_override():
    with clock.travel_to(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI)):  # one instant: only the in-process drop can tell
        await services.set_day(TYPHOON, actor=ADMIN)
        assert not (await services.working_calendar()).is_working_day(date(2025, 9, 5))
        await services.set_day(DayForm(day="2025-09-05", working="yes", note="台风改道，照常上班"), actor=ADMIN)
        assert (await services.working_calendar()).is_working_day(date(2025, 9, 5))
    [override] = await services.overrides(2025)
    assert override.note == "台风改道，照常上班"
    assert await CalendarDay.count() == 1


async def test_another_workers_change_is_seen_on_the_next_call():
    """Another process writes the table directly; this one's cache must notice."""
    calendar = await services.working_calendar()
    now = clock.now()
    await CalendarDay.insert(CalendarDay(day=date(2025, 9, 13), working=True, note="补班", created_at=now, changed_at=now))
    assert (await services.working_calendar()).is_working_day(date(2025, 9, 13))
    await CalendarDay.update({CalendarDay.working: False, CalendarDay.changed_at: now + timedelta(seconds=1)}).where(CalendarDay.day == date(2025, 9, 13))
    assert not (await services.working_calendar()).is_working_day(date(2025, 9, 13))
    await CalendarDay.delete(force=True)
    assert not (await services.working_calendar()).is_working_day(date(2025, 9, 13))  # a Saturday again
    assert calendar.is_working_day(date(2025, 9, 12))


@pytest.mark.parametrize(
    "form, fields",
    [
        (DayForm(day="", working="no", note="x"), {"day"}),
        (DayForm(day="2025-02-30", working="no", note="x"), {"day"}),
        (DayForm(day="1999-12-31", working="no", note="x"), {"day"}),
        (DayForm(day="２０２５-０９-０５", working="no", note="x"), {"day"}),  # full-width digits
        (DayForm(day="2025-09-05", working="maybe", note="x"), {"working"}),
        (DayForm(day="2025-09-05", working="no", note="   \x00 "), {"note"}),
        (DayForm(day="2025-09-05", working="no", note="台" * 201), {"note"}),
        (DayForm(), {"day", "working", "note"}),
    ],
)
async def test_bad_changes_are_refused_field_by_field(form, fields):
    with pytest.raises(CalendarError) as refused:
        await services.set_day(form, actor=ADMIN)
    assert set(refused.value.errors) == fields
    assert await CalendarDay.count() == 0


async def test_removing_a_day_without_a_change_is_refused():
    with pytest.raises(CalendarError) as refused:
        await services.clear_day("2025-09-05")
    assert status_of(refused.value) == 404
    with pytest.raises(CalendarError):
        await services.clear_day("yesterday")


# Over HTTP


async def test_the_admin_page_lists_the_golden_week_and_the_changes(person):
    admin = await person("admin")
    page = await admin.client.get("/admin/calendar?year=2025")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "National Day" in page.text and "Make-up working day" in page.text
    assert 'datetime="2025-09-28"' in page.text and 'datetime="2025-10-11"' in page.text
    assert 'href="/admin/calendar"' in page.text  # in the admin navigation
    chinese = await admin.client.get("/admin/calendar?year=2025", headers={"accept-language": "zh-CN"})
    assert "国庆节" in chinese.text and "调休" in chinese.text

    response = await admin.post_form("/admin/calendar", {"day": "2025-09-05", "working": "no", "note": "台风停工"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/calendar?year=2025#day-2025-09-05"
    page = await admin.client.get("/admin/calendar?year=2025")
    assert "台风停工" in page.text and "Officially a working day." in page.text and "Test admin" in page.text

    response = await admin.post_form("/admin/calendar/remove", {"day": "2025-09-05"})
    assert response.status_code == 303
    assert "台风停工" not in (await admin.client.get("/admin/calendar?year=2025")).text
    assert await CalendarDay.count() == 0


async def test_a_year_the_package_does_not_know_says_so(person):
    admin = await person("admin")
    page = await admin.client.get("/admin/calendar?year=2030")
    assert page.status_code == 200 and "are not known to this version" in page.text
    assert (await admin.client.get("/admin/calendar")).status_code == 200  # this year


async def test_a_refused_change_keeps_what_was_typed_and_says_why(person):
    admin = await person("admin")
    response = await admin.post_form("/admin/calendar", {"day": "2025-09-31", "working": "no", "note": "台风停工"})
    assert response.status_code == 422
    assert "Enter a date from 2000 to 2100" in response.text
    assert 'value="2025-09-31"' in response.text and "台风停工" in response.text and 'aria-invalid="true"' in response.text
    response = await admin.post_form("/admin/calendar", {"day": "2025-09-05", "working": "yes", "note": ""})
    assert response.status_code == 422 and "Say why" in response.text and 'value="2025-09-05"' in response.text
    assert await CalendarDay.count() == 0


async def test_bad_and_huge_input_is_a_client_error_never_a_server_error(person):
    admin = await person("admin")
    for year in ("1999", "2101", "-5", "abc", "9" * 400):
        response = await admin.client.get(f"/admin/calendar?year={year}")
        assert response.status_code == 400, year
    huge = {"day": "2" * 100_000, "working": "no" * 1000, "note": "台" * 100_000}
    response = await admin.post_form("/admin/calendar", huge)
    assert response.status_code == 422 and "The note is too long." in response.text
    response = await admin.post_form("/admin/calendar/remove", {"day": "2025-09-05"})
    assert response.status_code == 404 and "That day has no change to remove." in response.text
    response = await admin.post_form("/admin/calendar/remove", {"day": "\x00"})
    assert response.status_code == 400
    response = await admin.client.post("/admin/calendar", data={"day": "2025-09-05", "working": "no", "note": "x"}, headers=CROSS_SITE)
    assert response.status_code == 403
    assert await CalendarDay.count() == 0


async def test_only_admins_change_the_calendar(person):
    moderator = await person("moderator")
    assert (await moderator.client.get("/admin/calendar")).status_code == 403
    response = await moderator.post_form("/admin/calendar", {"day": "2025-09-05", "working": "no", "note": "台风"})
    assert response.status_code == 403
    assert await CalendarDay.count() == 0
