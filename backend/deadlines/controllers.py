"""The admins' pages of the clocks: the working calendar (a year's official days and
overrides, and the changes) and the deadline limits.

Thin: the rules live in ``services``, ``limits`` and ``calendar``.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Redirect, Response, Template

from backend import clock
from backend.accounts.guards import admits, current, role_guard
from backend.vocabulary import StaffRole
from backend.deadlines import limits, schedule, services
from backend.deadlines.calendar import OFFICIAL_YEARS, official_days
from backend.deadlines.services import CalendarError, DayForm
from backend.settings import get_settings
from backend.web import i18n
from backend.web.errors import field_errors_response, status_of
from backend.web.forms import form_text, typed_form

NO_STORE = {"cache-control": "no-store"}
# Outside these years there is nothing to show or change: a client error, not a crash.
YearQuery = Annotated[int | None, QueryParameter(ge=services.FIRST_YEAR, le=services.LAST_YEAR)]
ImportedQuery = Annotated[int | None, QueryParameter(ge=1, le=schedule.MOST_DAYS)]


def _this_year() -> int:
    return clock.now().astimezone(ZoneInfo(get_settings().time_zone)).year


class CalendarController(Controller):
    path = "/admin/calendar"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    async def _page(
        self, year: int, form: DayForm, errors: dict[str, str], status_code: int = 200, *, schedule: dict | None = None,
        imported: int | None = None,
    ) -> Template:
        settings = get_settings()
        known = await services.known_years()
        return Template(
            template_name="admin/calendar.html",
            context={
                "year": year,
                "first_year": services.FIRST_YEAR,
                "last_year": services.LAST_YEAR,
                "official_days": official_days(year),
                "published": year in OFFICIAL_YEARS,
                "brought_in": year in known and year not in OFFICIAL_YEARS,
                "unknown_year": await services.unknown_schedule_year(clock.now().astimezone(ZoneInfo(settings.time_zone)).date()),
                # The schedule form: what was typed, its errors, and the days to confirm once read.
                "schedule": schedule or {"text": "", "errors": {}, "preview": None},
                "imported": imported,
                "overrides": await services.overrides(year),
                "working_hours": settings.working_hours,
                "time_zone": settings.time_zone,
                "form": form,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/")
    async def calendar_page(self, year: YearQuery = None, imported: ImportedQuery = None) -> Template:
        return await self._page(year or _this_year(), DayForm(), {}, imported=imported)

    @post("/", status_code=303)
    async def change_day(self, request: Request) -> Response:
        data = await request.form()
        form = DayForm(**{name: form_text(data, name) for name in DayForm.__dataclass_fields__})
        try:
            day = await services.set_day(form, actor=current(request).account.who)
        except CalendarError as error:
            typed = services.parse_day(form.day)
            return await self._page(typed.year if typed else _this_year(), form, error.errors, 422)
        return Redirect(f"/admin/calendar?year={day.year}#day-{day.isoformat()}", status_code=303)

    @post("/schedule", status_code=200, request_max_body_size=schedule.FILE_MAX + schedule.TEXT_MAX + 10_000)
    async def bring_in_schedule(self, request: Request) -> Response:
        """A year's official schedule, pasted or uploaded: first a preview of the days read, then
        (``step=save``, with the days as a list) kept, and deadlines in the year recomputed."""
        data = await request.form()
        text, upload = form_text(data, "schedule"), data.get("file")
        year = services.parse_year(form_text(data, "year"))
        try:
            if year is None:
                raise schedule.ScheduleError({"year": services.BAD_YEAR})
            if isinstance(upload, UploadFile) and upload.filename:
                days = schedule.parse_ical(await upload.read(schedule.FILE_MAX + 1))
            else:
                days = schedule.parse_list(text)
            days = schedule.check(days, year)
        except schedule.ScheduleError as error:
            errors = {field: i18n.gettext(message) % error.params for field, message in error.errors.items()}
            typed = {"text": text, "errors": errors, "preview": None}
            return await self._page(year or _this_year(), DayForm(), {}, status_of(error), schedule=typed)
        if form_text(data, "step") == "save":
            kept = await services.import_schedule(year, days, actor=current(request).account.who)
            return Redirect(f"/admin/calendar?year={year}&imported={kept}", status_code=303)
        preview = {"text": schedule.as_list(days), "errors": {}, "preview": days}
        return await self._page(year, DayForm(), {}, schedule=preview)

    @post("/remove", status_code=303)
    async def remove_day(self, request: Request) -> Response:
        try:
            day = await services.clear_day(form_text(await request.form(), "day"))
        except CalendarError as error:
            return field_errors_response(request, error)
        return Redirect(f"/admin/calendar?year={day.year}", status_code=303)


class DeadlineLimitController(Controller):
    path = "/admin/deadlines"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    async def _page(
        self, errors: dict[str, str], *, typed: limits.LimitForm | None = None, percent: str | None = None, status_code: int = 200
    ) -> Template:
        warning = await limits.warning_setting()
        return Template(
            template_name="admin/deadlines.html",
            context={
                "settings": await limits.limit_settings(),
                "warning": warning,
                "percent": percent if percent is not None else str(warning.percent),
                "typed": typed,  # the form that was refused, shown again as typed
                "units": limits.UNIT_LABELS,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/")
    async def limits_page(self) -> Template:
        return await self._page({})

    @post("/", status_code=303)
    async def change_limit(self, request: Request) -> Response:
        form = typed_form(limits.LimitForm, await request.form())
        try:
            case_type, which = await limits.set_limit(form, actor=current(request).account.who)
        except limits.LimitError as error:
            return await self._page(error.errors, typed=form, status_code=status_of(error))
        return Redirect(f"/admin/deadlines#limit-{case_type.value}-{which.value}", status_code=303)

    @post("/warning", status_code=303)
    async def change_warning(self, request: Request) -> Response:
        percent = form_text(await request.form(), "percent")
        try:
            await limits.set_warning(percent, actor=current(request).account.who)
        except limits.LimitError as error:
            return await self._page(error.errors, percent=percent, status_code=status_of(error))
        return Redirect("/admin/deadlines#warning", status_code=303)
