"""The per-department figures: what counts as on time, overdue, returned, reopened, satisfied."""

from __future__ import annotations

from datetime import timedelta, timezone

from backend import clock
from backend.cases import figures, ratings, workflow
from backend.cases.ratings import RatingForm
from backend.cases.workflow import Details
from tests.cases.test_clocks import MODERATOR, assigned_case, at
from tests.cases.test_filing import file, form
from tests.cases.test_supervision import tick

TUESDAY = at(2026, 11, 17, 10, 0)


async def test_a_departments_figures_count_what_happened(person, settings, categories):
    water, roads = categories["water"].department, categories["roads"].department
    on_time, handler = await assigned_case(settings, categories, TUESDAY)
    late, _ = await assigned_case(settings, categories, TUESDAY)
    bounced, _ = await assigned_case(settings, categories, TUESDAY)
    with clock.travel_to(TUESDAY + timedelta(minutes=10)):
        await workflow.perform(on_time, "sign", handler)
        await workflow.perform(bounced, "return", handler, body="不属于我单位")
        await workflow.perform(bounced, "assign", MODERATOR, details=Details(department_id=roads))
    with clock.travel_to(TUESDAY + timedelta(minutes=40)):
        await workflow.perform(late, "sign", handler)  # after its 15 minutes
    with clock.travel_to(at(2026, 11, 18, 10, 0)):
        entry = await workflow.perform(on_time, "draft_reply", handler, body="已修复。")
        await workflow.review(entry, "approve", MODERATOR)
    await file(settings, form(categories["water"]))  # never assigned: it counts nowhere
    now = at(2026, 11, 24, 10, 0)  # the late case's answer (due Friday) has passed
    await tick(now)
    with clock.travel_to(at(2026, 11, 19, 9, 0)):
        await ratings.rate(await _token_of(on_time, settings), RatingForm(satisfaction="satisfied", solved="yes", comment=""))

    rows = {row.department_id: row for row in await figures.department_figures("month", now)}
    mine = rows[water]
    assert mine.received == 2  # the returned case went to roads
    assert (mine.signed_on_time, mine.answered_on_time, mine.overdue) == (0.5, 0.5, 0.5)
    assert mine.returned == 1 / 3 and mine.reopened == 0 and mine.satisfaction == 1
    assert mine.median_hours_to_answer == 7.0  # one working day, Tuesday 10:00 to Wednesday 10:00
    assert rows[roads].received == 1 and rows[roads].returned == 0 and rows[roads].satisfaction is None

    leader = await person("leader")
    page = await leader.client.get("/leader?period=nonsense")
    assert page.status_code == 200 and 'id="figures-heading"' in page.text


async def _token_of(number: str, settings) -> str:
    """The follow token of a case filed in these tests: derived from its submission key."""
    from backend.cases import services
    from backend.cases.tables import Case

    row = await Case.select(Case.submission_key).where(Case.number == number).first()
    return services.follow_token_for(row["submission_key"], settings.secret_key)


def test_periods_start_in_the_configured_time_zone():
    assert figures.period_start("week", at(2026, 11, 22, 23, 30), "Asia/Shanghai") == at(2026, 11, 16)
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: the month is December's.
    first_of_december = at(2026, 12, 1, 0, 30).astimezone(timezone.utc)
    assert figures.period_start("month", first_of_december, "Asia/Shanghai") == at(2026, 12, 1)
    assert figures.period_start("year", at(2026, 1, 1, 0, 5), "Asia/Shanghai") == at(2026, 1, 1)
