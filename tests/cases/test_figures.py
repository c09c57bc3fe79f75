"""The per-department figures: what counts as on time, overdue, returned, reopened, satisfied."""

from __future__ import annotations

from datetime import date, timedelta, timezone

from backend import clock
from backend.cases import actions, figures, ratings, workflow
from backend.cases.ratings import RatingForm
from backend.cases.tables import Case, CaseContribution, DepartmentFigure, TopicCount
from tests.cases.test_clocks import MODERATOR, assigned_case, at
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import leader
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
        await workflow.perform(bounced, actions.Assign(department_id=roads), MODERATOR)
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


async def materialised() -> tuple[list, list, dict]:
    """The counters (without those back at zero) and what each case contributes."""
    counters = sorted(
        (row["department"], row["period"], row["starts"], row["counter"], row["value"])
        for row in await DepartmentFigure.select().where(DepartmentFigure.value != 0)
    )
    topics = sorted((row["day"], row["kind"], row["topic"], row["value"]) for row in await TopicCount.select().where(TopicCount.value != 0))
    contributions = {row["case"]: figures.Contribution.loads(row["counts"]) for row in await CaseContribution.select()}
    return counters, topics, {case: made for case, made in contributions.items() if made != figures.NOTHING}


async def assert_a_rebuild_agrees() -> None:
    kept = await materialised()
    assert kept[0], "something was counted"
    assert await figures.rebuild() == await Case.count()
    assert await materialised() == kept


async def reply(number: str, handler, body: str = "已修复。") -> None:
    entry = await workflow.perform(number, "draft_reply", handler, body=body)
    await workflow.review(entry, "approve", MODERATOR)


async def test_holidays_make_up_days_and_extensions_count_in_working_time(settings, categories):
    # The eve of the National Day holidays (1 to 7 October 2026); Saturday 10 October is a
    # make-up working day (调休). A working day is 7 hours (09:00-12:00, 13:30-17:30).
    eve = at(2026, 9, 30, 16, 30)
    quick, handler = await assigned_case(settings, categories, eve)
    extended, _ = await assigned_case(settings, categories, eve)
    with clock.travel_to(eve + timedelta(minutes=10)):
        await workflow.perform(quick, "sign", handler)  # within its 15 minutes
    await tick(at(2026, 10, 8, 9, 0))  # both first responses (due 17:30 on the eve) are overdue
    with clock.travel_to(at(2026, 10, 8, 9, 5)):
        await workflow.perform(extended, "sign", handler)  # a week late
        await workflow.perform(extended, actions.RequestExtension(text="需要更换主管道", due_date=date(2026, 10, 16)), handler)
        await workflow.perform(extended, "grant_extension", MODERATOR, body="同意")
    with clock.travel_to(at(2026, 10, 8, 10, 30)):
        await reply(quick, handler)  # 1 h on the eve + 1.5 h: 2.5 working hours
    with clock.travel_to(at(2026, 10, 12, 9, 30)):
        # Due on Saturday 10 October at 16:30 without the extension: on time with it, after
        # 1 + 7 + 7 + 7 (the make-up Saturday) + 0.5 = 22.5 working hours.
        await reply(extended, handler)
    with clock.travel_to(at(2026, 10, 12, 12, 0)):
        await ratings.rate(await _token_of(quick, settings), RatingForm(satisfaction="basically_satisfied", solved="partly", comment=""))
        await ratings.rate(await _token_of(extended, settings), RatingForm(satisfaction="unsatisfied", solved="no", comment=""))

    water = categories["water"].department
    for period in ("week", "month", "year"):
        september = {row.department_id: row for row in await figures.department_figures(period, at(2026, 9, 30, 12, 0))}[water]
        assert (september.received, september.signed_on_time, september.answered_on_time) == (2, 0.5, 1.0)
        assert (september.overdue, september.returned, september.reopened) == (1.0, 0.0, 0.0)
        assert september.median_hours_to_answer == 12.5  # (2.5 + 22.5) / 2
    september = {row.department_id: row for row in await figures.department_figures("month", at(2026, 9, 30, 12, 0))}[water]
    assert september.satisfaction is None  # rated in October
    october = {row.department_id: row for row in await figures.department_figures("month", at(2026, 10, 20, 12, 0))}[water]
    assert (october.received, october.satisfaction, october.median_hours_to_answer) == (0, 0.5, None)
    assert {row.department_id: row for row in await figures.department_figures("year", at(2026, 12, 1))}[water].satisfaction == 0.5
    await assert_a_rebuild_agrees()


async def test_kept_figures_and_topics_equal_a_rebuild_from_the_cases(settings, categories):
    water, roads = categories["water"].department, categories["roads"].department
    monday = at(2026, 11, 16, 9, 30)
    reopened, handler = await assigned_case(settings, categories, monday)
    escalated, _ = await assigned_case(settings, categories, monday)
    bounced, _ = await assigned_case(settings, categories, monday, "consultation")
    with clock.travel_to(monday + timedelta(minutes=5)):
        await workflow.perform(reopened, "sign", handler)
        await workflow.perform(escalated, "sign", handler)
        await reply(reopened, handler)
        await workflow.perform(bounced, "return", handler, body="不属于我单位")
    with clock.travel_to(monday + timedelta(hours=2)):
        await ratings.rate(await _token_of(reopened, settings), RatingForm(satisfaction="unsatisfied", solved="no", comment=""))
        await workflow.perform(reopened, "reopen", MODERATOR, body="请再次上门检查")
        await workflow.perform(bounced, actions.Assign(department_id=roads), MODERATOR)
        await workflow.perform(bounced, actions.Redact(title="路口水管漏水", description="路口东南角水管漏水，请尽快派人维修。"), MODERATOR)
    await tick(at(2026, 11, 17, 9, 0))  # the reopened case's signing is overdue, and the bounced one's
    with clock.travel_to(at(2026, 11, 17, 10, 0)):
        await workflow.perform(reopened, "sign", handler)
        await reply(reopened, handler, "已更换管道。")
        boss = await leader()
        await workflow.perform(escalated, actions.Escalate(text="由市政设施管理处牵头。", department_id=roads), boss)
    with clock.travel_to(at(2026, 11, 17, 11, 0)):
        await ratings.rate(await _token_of(reopened, settings), RatingForm(satisfaction="satisfied", solved="yes", comment=""))
        copy = await file(settings, form(categories["water"], title="路口水管又漏水了"))
        await workflow.perform(copy.number, "accept", MODERATOR)  # public now: it counts in the topics
        await workflow.perform(copy.number, actions.MarkDuplicate(duplicate_of=reopened), MODERATOR)  # and no more
        await file(settings, form(categories["water"], publication="private"))
    await tick(at(2026, 11, 24, 10, 0))

    rows = {row.department_id: row for row in await figures.department_figures("week", at(2026, 11, 16, 12, 0))}
    assert (rows[water].received, rows[water].reopened, rows[water].returned) == (1, 1.0, 0.5)
    assert rows[water].satisfaction == 0.5  # both ratings count, unsatisfied then satisfied
    assert rows[water].median_hours_to_answer == 7.5  # to the second answer: 6.5 h on Monday, 1 on Tuesday
    assert (rows[roads].received, rows[roads].answered_on_time) == (2, 0.0)  # escalated and bounced: both overdue by the 24th
    topics = {(row["kind"], row["topic"]): row["value"] for row in await TopicCount.select().where(TopicCount.value != 0)}
    assert topics[("category", str(categories["water"].id))] == 3  # the duplicate no longer counts
    # The redacted case's words replace its old ones; the duplicate's are gone.
    assert (topics[("keyword", "漏水")], topics[("keyword", "爆裂")]) == (1, 2)
    await assert_a_rebuild_agrees()


async def test_the_median_comes_from_the_histogram(categories):
    water, roads = categories["water"].department, categories["roads"].department
    monday = at(2026, 11, 16).date()
    histograms = {water: {1.0: 2, 3.0: 1, 10.0: 1, 12.5: 0}, roads: {5.0: 3}}
    await DepartmentFigure.insert(
        *[
            DepartmentFigure(department=department, period="week", starts=monday, counter=f"{figures.HOURS}{hours:g}", value=count)
            for department, buckets in histograms.items()
            for hours, count in buckets.items()
        ]
    )
    rows = {row.department_id: row for row in await figures.department_figures("week", at(2026, 11, 18, 12, 0))}
    assert rows[water].median_hours_to_answer == 2.0  # the 2nd and 3rd of 1, 1, 3, 10
    assert rows[roads].median_hours_to_answer == 5.0
    [(_, history)] = await figures.department_history(water, "week", 1, at(2026, 11, 18, 12, 0))
    assert history.median_hours_to_answer == 2.0
