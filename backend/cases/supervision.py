"""The clock jobs and the oversight queues: warnings before the answer is due, an overdue flag
for each clock, and automatic supervision (督办) of cases whose answer is overdue; and the lists
of overdue, supervised, returned and escalated cases that moderators and leaders work from.

The in-app scheduler (``backend.scheduler``) runs the jobs every minute in every worker process.
Each kind of flag is one conditional ``UPDATE … WHERE flag IS NULL … RETURNING id`` and the
timeline entries of exactly the rows it returned, in one transaction. So two runs at once (two
workers, or ``asyncio.gather``) never flag a case twice or write its entry twice: on PostgreSQL
the second UPDATE waits for the first one's row locks, then re-checks its WHERE against the
committed flag (READ COMMITTED) and skips the row; on SQLite write transactions run one at a
time. A plain read first asks whether anything is due at all, so a quiet minute takes no write
lock, and partial indexes (see the cases migration) keep that read small among many cases.

Time is the caller's ``now`` (``clock.now()`` in the scheduler), so tests travel in time.

Automatic supervision follows the answer clock, the one the figures judge a department by: a
missed signing, contact or first response is flagged and shown, and the centre or a leader may
supervise it by hand. A case is supervised automatically once per time its answer goes overdue
(an extension clears the flag, so a new deadline missed is supervised again), unless someone
supervised it by hand since it went overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from piccolo.columns.combination import WhereRaw

from backend import events
from backend.cases import escalation
from backend.cases.clock_columns import DUE, MET, OVERDUE
from backend.deadlines.services import working_calendar
from backend.deadlines.clocks import Clock
from backend.vocabulary import CLOCKS_RUNNING, WITH_A_DEPARTMENT, CaseType, Role, Visibility
from backend.cases.services import CaseView, staff_cases
from backend.cases.tables import Case, TimelineEntry
from backend.db import write_transaction
from backend.events import EntryAppended

# Signing and contact are the holding department's; a returned case's response and answer
# clocks run on while the centre finds the right department.
_FLAGGED_IN = {
    Clock.sign: WITH_A_DEPARTMENT,
    Clock.contact: WITH_A_DEPARTMENT,
    Clock.response: CLOCKS_RUNNING,
    Clock.answer: CLOCKS_RUNNING,
}
_BATCH = 500  # timeline entries per INSERT (far below SQLite's limit on parameters)


def _in(statuses) -> WhereRaw:
    """The case is in one of these states, written so that no index on the state is used: with
    every open case in a few states, that index would have the jobs' reads scan them all, where
    the partial indexes on the deadlines find only what is newly due."""
    values = sorted(status.value for status in statuses)
    return WhereRaw(f"status || '' IN ({', '.join('{}' for _ in values)})", *values)


async def _flag(
    where: list, flag: dict, action: str, visibility: Visibility, now: datetime, *, overdue: bool = False
) -> list[int]:
    """Set ``flag`` on the cases matching ``where`` (which must exclude flagged ones) and write
    each one's timeline entry; returns the cases flagged by this call. ``overdue``: also note
    the first time any clock of the case went overdue."""
    if not await Case.exists().where(*where):
        return []
    async with write_transaction():
        flagged = [row["id"] for row in await Case.update(flag).where(*where).returning(Case.id)]
        for start in range(0, len(flagged), _BATCH):
            batch = flagged[start : start + _BATCH]
            entries = await TimelineEntry.insert(
                *[
                    TimelineEntry(
                        case=case_id,
                        created_at=now,
                        action=action,
                        actor_role=Role.system.value,
                        actor_name="",
                        visibility=visibility.value,
                    )
                    for case_id in batch
                ]
            ).returning(TimelineEntry.id, TimelineEntry.case)
            await events.emit(*(EntryAppended(entry["case"], entry["id"], action) for entry in entries))
            if overdue:
                await Case.update({Case.overdue_at: now}).where(Case.id.is_in(batch), Case.overdue_at.is_null())
    return flagged


SIGN_REMINDER_BEFORE = timedelta(minutes=5)


async def flag_sign_reminders(now: datetime) -> int:
    """Remind (internally, and so the department's handlers) a few minutes before a case must
    be signed for: the sign-for limit is short (15 minutes), and a reminder is what the 12345
    centres send to keep it."""
    where = [
        Case.sign_due_at <= now + SIGN_REMINDER_BEFORE,
        Case.sign_due_at >= now,  # already overdue: the overdue flag says more
        Case.signed_at.is_null(),
        Case.sign_reminded_at.is_null(),
        _in(WITH_A_DEPARTMENT),
    ]
    return len(await _flag(where, {Case.sign_reminded_at: now}, "sign_reminder", Visibility.internal, now))


async def flag_warnings(now: datetime) -> int:
    """Warn (internally) once the warning share of the answer's time has gone."""
    where = [
        Case.answer_warning_at <= now,
        Case.answer_due_at >= now,  # already overdue: the overdue flag says more
        Case.answered_at.is_null(),
        Case.answer_warned_at.is_null(),
        _in(CLOCKS_RUNNING),
    ]
    return len(await _flag(where, {Case.answer_warned_at: now}, "answer_warning", Visibility.internal, now))


async def flag_overdue(now: datetime) -> int:
    """Flag each clock past its deadline and not met, once; the entries are for staff."""
    flagged = 0
    for clock in Clock:
        where = [DUE[clock] < now, MET[clock].is_null(), OVERDUE[clock].is_null(), _in(_FLAGGED_IN[clock])]
        flagged += len(await _flag(where, {OVERDUE[clock]: now}, f"overdue_{clock.value}", Visibility.internal, now, overdue=True))
    return flagged


NOT_SUPERVISED_SINCE_OVERDUE = Case.supervised_at.is_null() | WhereRaw("supervised_at < answer_overdue_at")


async def supervise_overdue(now: datetime) -> int:
    """Supervise cases whose answer is overdue, publicly, as the real platforms do (晒单)."""
    # Only what was flagged by this run's moment: a run that began earlier than the run that
    # flagged a case would set ``supervised_at`` before the flag, and the later run supervise again.
    where = [Case.answer_overdue_at <= now, Case.answered_at.is_null(), _in(CLOCKS_RUNNING), NOT_SUPERVISED_SINCE_OVERDUE]
    return len(await _flag(where, {Case.supervised_at: now}, "auto_supervise", Visibility.public, now))


async def alert_leaders(now: datetime) -> int:
    """The escalation ladder's last step (``escalation``): alert the leaders, once per time the
    answer went overdue, of cases still unanswered the ladder's working hours after the deadline."""
    steps = await escalation.ladder()
    # Working hours never outrun the clock: a case overdue by fewer hours than the shortest step
    # cannot have reached it, and is not read.
    shortest = min(step.leader_after_hours for step in steps.values())
    unanswered = [Case.answer_overdue_at.is_not_null(), Case.answered_at.is_null(), Case.answer_escalated_at.is_null(), _in(CLOCKS_RUNNING)]
    candidates = await Case.select(Case.id, Case.case_type, Case.answer_warning_at, Case.answer_due_at).where(
        *unanswered, Case.answer_due_at <= now - timedelta(hours=shortest)
    )
    if not candidates:
        return 0
    calendar = await working_calendar()
    due = []
    for case in candidates:
        past = calendar.working_time_between(case["answer_due_at"], now) / timedelta(hours=1)
        hours = steps[CaseType(case["case_type"])].leader_after_hours
        if escalation.level(now, case["answer_warning_at"], case["answer_due_at"], past, hours) == escalation.Level.leaders:
            due.append(case["id"])
    if not due:
        return 0
    where = [Case.id.is_in(due), *unanswered]
    return len(await _flag(where, {Case.answer_escalated_at: now}, "leader_attention", Visibility.internal, now))


# Open cases with a clock flagged overdue and still not met (flags lag the deadline by at most
# one run of the jobs).
OVERDUE_NOW = reduce(or_, (OVERDUE[clock].is_not_null() & MET[clock].is_null() for clock in Clock))
QUEUE_LIMIT = 100


async def overdue_cases(limit: int = QUEUE_LIMIT) -> list[CaseView]:
    return await staff_cases(set(CLOCKS_RUNNING), where=OVERDUE_NOW, limit=limit)


async def overdue_count() -> int:
    return await Case.count().where(Case.status.is_in([status.value for status in CLOCKS_RUNNING]), OVERDUE_NOW)


async def supervised_cases(limit: int = QUEUE_LIMIT) -> list[CaseView]:
    return await staff_cases(set(CLOCKS_RUNNING), where=Case.supervised_at.is_not_null(), limit=limit)


async def supervised_count() -> int:
    return await Case.count().where(Case.status.is_in([status.value for status in CLOCKS_RUNNING]), Case.supervised_at.is_not_null())


async def cases_in_charge_of(account_id: int, limit: int = QUEUE_LIMIT) -> list[CaseView]:
    """Cases a leader took personal charge of (提级办理), answered or not."""
    return await staff_cases(where=Case.leader == account_id, limit=limit, newest_first=True)
