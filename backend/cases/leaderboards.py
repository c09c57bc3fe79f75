"""The public record of the departments' work: the leaderboard (``/departments``), a page per
department with its weeks and months, the figures as CSV, and the hot topics (``/trends``).
Thin adapters over ``figures`` and ``trends``; the figures are materialised, so none of these
pages reads the cases themselves (a department's page only its few latest public ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Response, Template

from backend import clock
from backend.cases import browse, figures, trends
from backend.departments.tables import Department
from backend.settings import get_settings
from backend.web import i18n
from backend.web.charts import bar_chart
from backend.web.csv_export import csv_response
from backend.web.fragments import wants_fragment
from backend.web.templating import local_name
from backend.web.caching import public_record
from backend.web.params import RowId

HISTORY = 12  # weeks and months on a department's page
VARY = {"vary": "HX-Request"}  # one URL, two bodies: caches must keep them apart


def _period(value: str) -> str:
    return value if value in figures.PERIODS else "month"


def _moment(on: str) -> datetime:
    """Now, or noon on a day given as YYYY-MM-DD (for the period that contains it)."""
    try:
        day = clock.typed_day(date.fromisoformat(on)) if on else None
    except ValueError:
        day = None
    if day is None:
        return clock.now()
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(get_settings().time_zone))


def _name(row) -> str:
    return local_name(row.name, row.name_en)


@dataclass(frozen=True)
class SortButton:
    aria_sort: str  # ascending, descending or none: how the column is sorted now
    value: str  # the sort its button asks for


def _sorting(key: str, descending: bool) -> dict[str, SortButton]:
    """Each column's button: the sorted one turns the order round; another sorts by its
    column, names A to Z and figures from the highest."""
    buttons = {}
    for column in figures.SORTS:
        if column == key:
            buttons[column] = SortButton("descending" if descending else "ascending", column if descending else f"-{column}")
        else:
            buttons[column] = SortButton("none", column if column == "name" else f"-{column}")
    return buttons


async def _latest_public_cases(department_id: int) -> list:
    department = await Department.select(Department.slug).where(Department.id == department_id).first()
    return (await browse.browse(browse.CaseFilter(department=department["slug"]), limit=10)).cases


class FiguresController(Controller):
    @get("/departments", opt=public_record())
    async def leaderboard(self, request: Request, period: FromQuery[str] = "month", sort: FromQuery[str] = "name") -> Template:
        period = _period(period)
        key, descending = figures.parse_sort(sort)
        rows = figures.sorted_figures(await figures.department_figures(period, clock.now()), key, descending, _name)
        template = "partials/leaderboard.html" if wants_fragment(request) else "departments.html"
        return Template(
            template_name=template,
            context={
                "figures": rows,
                "contacts": await figures.contacts(period, clock.now()),
                "period": period,
                "sort": sort if key != "name" or descending else "",
                "sorting": _sorting(key, descending),
            },
            headers=VARY,
        )

    @get("/departments/figures.csv")
    async def figures_csv(self, period: FromQuery[str] = "month", on: FromQuery[str] = "") -> Response:
        """The leaderboard of a period as open data: departments and shares, nobody's personal data."""
        period, moment = _period(period), _moment(on)
        starts = figures.current_start(period, moment, get_settings().time_zone)
        rows = await figures.department_figures(period, moment)
        header = ["period", "starts", "department", "department_en", *figures.FIGURES]
        body = [
            [period, starts.isoformat(), row.name, row.name_en, *(getattr(row, figure) for figure in figures.FIGURES)]
            for row in rows
        ]
        return csv_response(f"department-figures-{period}-{starts.isoformat()}.csv", header, body)

    @get("/departments/{department_id:str}", opt=public_record())
    async def department(self, department_id: RowId) -> Template:
        now = clock.now()
        weeks = await figures.department_history(department_id, "week", HISTORY, now)
        if not weeks:
            raise NotFoundException()
        months = await figures.department_history(department_id, "month", HISTORY, now)
        current = {period: (await figures.department_history(department_id, period, 1, now))[0][1] for period in figures.PERIODS}
        gettext = i18n.gettext
        charts = [
            bar_chart("received-weeks", gettext("Cases received per week"), "count", [(f"{day:%m-%d}", row.received) for day, row in weeks]),
            bar_chart(
                "on-time-months", gettext("Answered on time per month"), "share", [(f"{day:%Y-%m}", row.answered_on_time) for day, row in months]
            ),
            bar_chart("satisfaction-months", gettext("Satisfaction per month"), "share", [(f"{day:%Y-%m}", row.satisfaction) for day, row in months]),
        ]
        return Template(
            template_name="department.html",
            context={
                "department": weeks[0][1],
                "current": current,
                # Newest first, in the tables under the charts.
                "week_rows": [(day.isoformat(), row) for day, row in reversed(weeks)],
                "month_rows": [(f"{day:%Y-%m}", row) for day, row in reversed(months)],
                "charts": charts,
                "recent": await _latest_public_cases(department_id),
            },
        )

    @get("/trends", opt=public_record())
    async def trends(self) -> Template:
        today = clock.now().astimezone(ZoneInfo(get_settings().time_zone)).date()
        windows = {days: {kind: await trends.rising(kind, days, today) for kind in trends.KINDS} for days in trends.WINDOWS}
        return Template(template_name="trends.html", context={"windows": windows, "today": today})
