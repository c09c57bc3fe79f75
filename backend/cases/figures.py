"""The per-department figures of ../shared/DOMAIN.md, over a period: cases received, signed on
time, answered on time, overdue, returned, reopened, satisfaction, and the median working time
to answer. Read from the clock columns of the cases and from the ratings, never from pages.

A case counts for the department that leads it now and in the period of its first assignment;
a return counts against the department that returned it, when it did.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.cases.lifecycle import Satisfaction
from backend.cases.tables import Case, Rating, TimelineEntry
from backend.deadlines.calendar import WorkingCalendar
from backend.departments.tables import Department

CONTENT = {Satisfaction.satisfied.value, Satisfaction.basically_satisfied.value}  # 满意 + 基本满意


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    name: str
    name_en: str
    received: int
    signed_on_time: float | None  # shares from 0 to 1; None: nothing to measure yet
    answered_on_time: float | None
    overdue: float | None
    returned: float | None
    reopened: float | None
    satisfaction: float | None
    median_hours_to_answer: float | None  # in working hours


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def department_figures(since: datetime, until: datetime, now: datetime, calendar: WorkingCalendar) -> list[DepartmentFigures]:
    """Every department's figures for cases first assigned in [since, until), as of ``now``."""
    cases = await Case.select(
        Case.department,
        Case.first_assigned_at,
        Case.sign_due_at,
        Case.signed_at,
        Case.answer_due_at,
        Case.answered_at,
        Case.overdue_at,
        Case.reopened_count,
    ).where(Case.first_assigned_at >= since, Case.first_assigned_at < until, Case.department.is_not_null())
    returns = await TimelineEntry.select(TimelineEntry.department).where(
        TimelineEntry.action == "return", TimelineEntry.created_at >= since, TimelineEntry.created_at < until
    )
    ratings = await Rating.select(Rating.case.department.as_alias("department"), Rating.satisfaction).where(
        Rating.created_at >= since, Rating.created_at < until
    )
    cases_of, returns_of, ratings_of = defaultdict(list), Counter(entry["department"] for entry in returns), defaultdict(list)
    for case in cases:
        cases_of[case["department"]].append(case)
    for rating in ratings:
        ratings_of[rating["department"]].append(rating["satisfaction"])
    departments = await Department.select(Department.id, Department.name, Department.name_en).order_by(Department.name)
    return [
        _figures_of(department, cases_of[department["id"]], returns_of[department["id"]], ratings_of[department["id"]], now, calendar)
        for department in departments
    ]


def _figures_of(department: dict, cases: list[dict], returned: int, rated: list[str], now: datetime, calendar: WorkingCalendar) -> DepartmentFigures:
    # A deadline counts once it has been met or has passed: a case still within its time is not late yet.
    sign_measured = [c for c in cases if c["sign_due_at"] and (c["signed_at"] or c["sign_due_at"] < now)]
    answer_measured = [c for c in cases if c["answer_due_at"] and (c["answered_at"] or c["answer_due_at"] < now)]
    answered = [c for c in cases if c["answered_at"]]
    hours = [calendar.working_time_between(c["first_assigned_at"], c["answered_at"]) / timedelta(hours=1) for c in answered]
    return DepartmentFigures(
        department_id=department["id"],
        name=department["name"],
        name_en=department["name_en"],
        received=len(cases),
        signed_on_time=_share(sum(1 for c in sign_measured if c["signed_at"] and c["signed_at"] <= c["sign_due_at"]), len(sign_measured)),
        answered_on_time=_share(
            sum(1 for c in answer_measured if c["answered_at"] and c["answered_at"] <= c["answer_due_at"]), len(answer_measured)
        ),
        overdue=_share(sum(1 for c in cases if c["overdue_at"]), len(cases)),
        returned=_share(returned, len(cases) + returned),
        reopened=_share(sum(1 for c in answered if c["reopened_count"]), len(answered)),
        satisfaction=_share(sum(1 for s in rated if s in CONTENT), len(rated)),
        median_hours_to_answer=round(statistics.median(hours), 1) if hours else None,
    )


PERIODS = ("week", "month", "year")


def period_start(period: str, now: datetime, time_zone: str) -> datetime:
    """The start of this week (Monday), month or year, in the configured time zone."""
    local = now.astimezone(ZoneInfo(time_zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return local - timedelta(days=local.weekday())
    if period == "month":
        return local.replace(day=1)
    return local.replace(month=1, day=1)
