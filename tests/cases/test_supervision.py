"""The clock jobs, travelling in time: warnings, an overdue flag per clock, automatic
supervision; each written once however many runs overlap. And the scheduler that runs them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from piccolo.engine.postgres import PostgresEngine

from backend import clock
from backend.cases import actions, services, supervision, workflow
from backend.cases.tables import Case, TimelineEntry
from backend.db import engine
from backend.jobs import JOBS
from backend.scheduler import Scheduler, run_jobs
from tests.cases.test_clocks import MODERATOR, assigned_case, at

TUESDAY = at(2026, 11, 17, 10, 0)
ANSWER_DUE = at(2026, 11, 20, 10, 0)  # three working days


async def tick(moment: datetime) -> dict[str, int]:
    with clock.travel_to(moment):
        return await run_jobs(JOBS, clock.now())


def done(**flagged: int) -> dict[str, int]:
    """What a tick reports: every job, each having done nothing but ``flagged``."""
    return {job.__name__: 0 for job in JOBS} | flagged


async def entries(number: str) -> list[tuple[str, str]]:
    case = await Case.select(Case.id).where(Case.number == number).first()
    rows = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.visibility).where(
        TimelineEntry.case == case["id"], TimelineEntry.actor_role == "system"
    ).order_by(TimelineEntry.id)
    return [(row["action"], row["visibility"]) for row in rows]


async def flags(number: str) -> dict:
    return await Case.select(
        Case.answer_warned_at,
        Case.sign_overdue_at,
        Case.contact_overdue_at,
        Case.response_overdue_at,
        Case.answer_overdue_at,
        Case.overdue_at,
        Case.supervised_at,
    ).where(Case.number == number).first()


async def test_a_case_left_alone_is_warned_flagged_and_supervised_once_each(settings, categories):
    number, _ = await assigned_case(settings, categories, TUESDAY)
    assert await tick(TUESDAY + timedelta(minutes=9)) == done()
    assert await tick(TUESDAY + timedelta(minutes=10)) == done(flag_sign_reminders=1)  # five minutes before the 15
    assert await tick(TUESDAY + timedelta(minutes=11)) == done()  # once
    signing_late = TUESDAY + timedelta(minutes=16)
    assert (await tick(signing_late))["flag_overdue"] == 1
    assert await entries(number) == [("sign_reminder", "internal"), ("overdue_sign", "internal")]
    row = await Case.select(Case.answer_warning_at).where(Case.number == number).first()
    warned = row["answer_warning_at"] + timedelta(minutes=1)
    assert await tick(warned) == done(flag_warnings=1, flag_overdue=2)  # contact, response
    late = ANSWER_DUE + timedelta(minutes=1)
    assert await tick(late) == done(flag_overdue=1, supervise_overdue=1)
    for moment in (late, late + timedelta(days=3)):  # again, and days later: nothing new
        assert await tick(moment) == done()
    assert await entries(number) == [
        ("sign_reminder", "internal"),
        ("overdue_sign", "internal"),
        ("answer_warning", "internal"),
        ("overdue_contact", "internal"),
        ("overdue_response", "internal"),
        ("overdue_answer", "internal"),
        ("auto_supervise", "public"),
    ]
    assert await flags(number) == {
        "answer_warned_at": warned,
        "sign_overdue_at": signing_late,
        "contact_overdue_at": warned,
        "response_overdue_at": warned,
        "answer_overdue_at": late,
        "overdue_at": signing_late,  # the first time any clock was
        "supervised_at": late,
    }
    public = await services.public_case(number)
    assert public.timeline[-1].action == "auto_supervise" and public.supervised_at == late
    assert [case.number for case in await supervision.overdue_cases()] == [number]
    assert [case.number for case in await supervision.supervised_cases()] == [number]


async def test_met_deadlines_are_never_flagged_and_a_late_first_look_skips_the_warning(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    with clock.travel_to(TUESDAY + timedelta(minutes=5)):
        await workflow.perform(number, "sign", handler)
        await workflow.perform(number, "record_contact", handler, body="电话联系了王先生")
    # The jobs did not run until after the answer was due: no warning after the fact.
    assert await tick(ANSWER_DUE + timedelta(hours=1)) == done(flag_overdue=2, supervise_overdue=1)
    assert [action for action, _ in await entries(number)] == ["overdue_response", "overdue_answer", "auto_supervise"]


async def test_runs_at_the_same_time_flag_each_case_once(settings, categories):
    """Two runs of the jobs at once (on PostgreSQL each on its own connection): every flag and
    every entry is written once, and between them the runs report each flag once."""
    numbers = [(await assigned_case(settings, categories, TUESDAY - timedelta(minutes=i)))[0] for i in range(12)]
    with clock.travel_to(ANSWER_DUE + timedelta(hours=2)):
        now = clock.now()
        first, second = await asyncio.gather(run_jobs(JOBS, now), run_jobs(JOBS, now))
        third, fourth = await asyncio.gather(run_jobs(JOBS, now), run_jobs(JOBS, now))
    assert first["flag_overdue"] + second["flag_overdue"] == 4 * len(numbers)
    assert first["supervise_overdue"] + second["supervise_overdue"] == len(numbers)
    assert set(third.values()) == set(fourth.values()) == {0}
    for number in numbers:
        assert sorted(action for action, _ in await entries(number)) == [
            "auto_supervise", "overdue_answer", "overdue_contact", "overdue_response", "overdue_sign",
        ]
    assert await TimelineEntry.count().where(TimelineEntry.actor_role == "system") == 5 * len(numbers)


async def test_a_run_that_began_earlier_but_supervises_later_leaves_the_case_to_the_later_run(settings, categories):
    """Two workers' runs, a moment apart: the later one flags the answer overdue first, then
    the earlier one (whose clock reads before that flag) gets to supervising. The case is
    supervised once (the live test with two workers found it supervised twice)."""
    number, _ = await assigned_case(settings, categories, TUESDAY)
    earlier, later = ANSWER_DUE + timedelta(minutes=1), ANSWER_DUE + timedelta(minutes=1, seconds=1)
    assert await supervision.flag_overdue(later) == 4
    assert await supervision.supervise_overdue(earlier) == 0, "flagged after this run's moment: the later run's"
    assert await supervision.supervise_overdue(later) == 1
    assert await supervision.supervise_overdue(later + timedelta(seconds=1)) == 0
    assert [action for action, _ in await entries(number)].count("auto_supervise") == 1
    assert (await flags(number))["supervised_at"] == later


async def test_on_postgresql_the_second_run_waits_for_the_first_and_skips_its_rows(settings, categories):
    """Two explicit transactions on two connections, the first holding its flags uncommitted
    while the second runs: the second blocks on the rows, then finds them flagged."""
    if not isinstance(engine(), PostgresEngine):
        return  # SQLite: write transactions cannot overlap at all (IMMEDIATE)
    numbers = [(await assigned_case(settings, categories, TUESDAY))[0] for _ in range(3)]
    moment = ANSWER_DUE + timedelta(hours=1)
    db = engine()
    held = asyncio.Event()
    release = asyncio.Event()

    async def slow_first() -> int:
        async with db.transaction():
            rows = await Case.update({Case.answer_overdue_at: moment}).where(
                Case.answer_overdue_at.is_null(), Case.answer_due_at < moment
            ).returning(Case.id)
            held.set()
            await release.wait()  # the other connection now runs while these rows are locked
        return len(rows)

    first = asyncio.create_task(slow_first())
    await held.wait()
    second = asyncio.create_task(tick(moment))
    await asyncio.sleep(0.3)
    assert not second.done(), "the second run waits for the first one's row locks"
    release.set()
    assert await first == 3
    done = await second
    assert done["flag_overdue"] == 3 * 3  # sign, contact and response: the answer was the first's
    for number in numbers:
        assert "overdue_answer" not in [action for action, _ in await entries(number)]


async def test_an_extension_clears_the_answers_flag_and_a_new_miss_is_supervised_again(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    with clock.travel_to(TUESDAY + timedelta(minutes=5)):
        await workflow.perform(number, "sign", handler)
    await tick(ANSWER_DUE + timedelta(minutes=1))
    new_date = at(2026, 11, 27, 23, 59)  # a date asked for ends with its day
    with clock.travel_to(ANSWER_DUE + timedelta(hours=1)):
        await workflow.perform(number, actions.RequestExtension(text="需要更换主管道", due_date=new_date.date()), handler)
        await workflow.perform(number, "grant_extension", MODERATOR, body="同意")
    row = await flags(number)
    assert row["answer_overdue_at"] is None and row["answer_warned_at"] is None
    assert row["overdue_at"] == ANSWER_DUE + timedelta(minutes=1)  # the record stays
    assert await supervision.overdue_count() == 1  # contact and response are still overdue
    assert (await tick(new_date - timedelta(minutes=1)))["flag_warnings"] == 1
    missed_again = new_date + timedelta(minutes=1)
    assert (await tick(missed_again))["supervise_overdue"] == 1
    assert [action for action, _ in await entries(number)].count("auto_supervise") == 2
    assert (await flags(number))["supervised_at"] == missed_again


async def test_supervision_by_hand_after_the_miss_stands_in_for_the_automatic_one(settings, categories):
    number, _ = await assigned_case(settings, categories, TUESDAY)
    late = ANSWER_DUE + timedelta(minutes=1)
    with clock.travel_to(late):
        await supervision.flag_overdue(clock.now())
    with clock.travel_to(late + timedelta(minutes=1)):
        await workflow.perform(number, "supervise", MODERATOR, body="请今天内答复")
    assert (await tick(late + timedelta(minutes=2)))["supervise_overdue"] == 0
    assert (await flags(number))["supervised_at"] == late + timedelta(minutes=1)


async def test_a_new_department_gets_its_own_signing_clock_and_flag(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    await tick(TUESDAY + timedelta(minutes=20))
    assert (await flags(number))["sign_overdue_at"] is not None
    with clock.travel_to(TUESDAY + timedelta(minutes=25)):
        await workflow.perform(number, "return", handler, body="不属于我单位")
    # Returned: the centre holds it; signing and contact are nobody's now, the answer runs on.
    assert (await tick(TUESDAY + timedelta(minutes=40)))["flag_overdue"] == 0
    again = TUESDAY + timedelta(hours=4)
    with clock.travel_to(again):
        await workflow.perform(number, actions.Assign(department_id=categories["roads"].department), MODERATOR)
    assert (await flags(number))["sign_overdue_at"] is None
    reminded, late = await tick(again + timedelta(minutes=11)), await tick(again + timedelta(minutes=16))
    assert reminded["flag_sign_reminders"] == 1  # the new department is reminded too
    assert reminded["flag_overdue"] + late["flag_overdue"] == 2  # its signing, and the first response
    assert [action for action, _ in await entries(number)].count("overdue_sign") == 2


async def test_the_scheduler_runs_its_jobs_and_stops_at_once():
    ran: list[datetime] = []

    async def record(now: datetime) -> int:
        ran.append(now)
        return 1

    async def broken(now: datetime) -> int:
        raise RuntimeError("a failing job does not stop the others")

    scheduler = Scheduler([broken, record], interval_seconds=0.05)
    await scheduler.start()
    await asyncio.sleep(0.3)
    started = asyncio.get_running_loop().time()
    await scheduler.stop()
    assert asyncio.get_running_loop().time() - started < 0.5
    assert len(ran) >= 3
    count = len(ran)
    await asyncio.sleep(0.1)
    assert len(ran) == count, "stopped: no more runs"
    idle = Scheduler([record], interval_seconds=60)
    await idle.start()
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await idle.stop()  # waiting a minute for the next tick: stops at once all the same
    assert asyncio.get_running_loop().time() - started < 0.5
