"""A case's clocks in its columns: which column holds each clock's deadline, which stops it,
which flags it overdue, and what an action's clock effect (``lifecycle.ClockEffect``) sets.

The clocks themselves, their limits and working-time arithmetic: ``backend.deadlines.clocks``.
"""

from __future__ import annotations

from datetime import datetime

from backend.cases.lifecycle import ClockEffect
from backend.cases.tables import Case
from backend.deadlines.calendar import WorkingCalendar
from backend.deadlines.clocks import Clock, Deadline, Policy

# Per clock: the case's deadline column, the column that stops it, and the flag the clock jobs
# set when it was found overdue.
DUE = {Clock.sign: Case.sign_due_at, Clock.contact: Case.contact_due_at, Clock.response: Case.response_due_at, Clock.answer: Case.answer_due_at}
MET = {Clock.sign: Case.signed_at, Clock.contact: Case.contacted_at, Clock.response: Case.responded_at, Clock.answer: Case.answered_at}
OVERDUE = {
    Clock.sign: Case.sign_overdue_at,
    Clock.contact: Case.contact_overdue_at,
    Clock.response: Case.response_overdue_at,
    Clock.answer: Case.answer_overdue_at,
}
CLOCK_COLUMNS = (*DUE.values(), *MET.values(), *OVERDUE.values(), Case.answer_warning_at)


def effect(
    clock_effect: ClockEffect,
    case: Case,
    now: datetime,
    calendar: WorkingCalendar | None,
    policy: Policy | None,
    due_at: datetime | None = None,
) -> dict:
    """The case's columns that an action with this clock effect sets (``calendar`` and
    ``policy``: to start, restart or extend the clocks)."""
    if clock_effect == ClockEffect.start:
        values = _department_clocks(case, policy, now, calendar)
        if case.first_assigned_at is None:  # a reassignment does not restart these
            values |= {
                Case.first_assigned_at: now,
                Case.response_due_at: policy.limit(case.case_type, Clock.response).due(now, calendar),
                **_answer_clock(case, policy, now, calendar),
            }
        return values
    if clock_effect == ClockEffect.reopen:
        # 重办: a fresh answer, so a fresh answer clock; the first public response stays met.
        return _department_clocks(case, policy, now, calendar) | _answer_clock(case, policy, now, calendar) | {Case.answered_at: None}
    if clock_effect == ClockEffect.sign:
        return {Case.signed_at: now}
    if clock_effect == ClockEffect.first_contact:
        return {} if case.contacted_at else {Case.contacted_at: now}
    if clock_effect == ClockEffect.first_response:
        return {} if case.responded_at else {Case.responded_at: now}
    if clock_effect == ClockEffect.answer:
        return {Case.answered_at: now} | ({} if case.responded_at else {Case.responded_at: now})
    if clock_effect == ClockEffect.extend and due_at is not None:
        start = case.first_assigned_at or now
        # The warning keeps the same share of the new, longer time (or the same days before it); an
        # answer no longer overdue loses its flag (and may be warned and flagged again against the new date).
        warning = policy.limit(case.case_type, Clock.answer).warning(start, due_at, calendar, policy.warning_share)
        return {
            Case.answer_due_at: due_at,
            Case.answer_warning_at: min(warning, due_at),
            Case.answer_warned_at: None,
            Case.answer_overdue_at: None,
            Case.answer_escalated_at: None,
        }
    return {}


def _department_clocks(case: Case, policy: Policy, now: datetime, calendar: WorkingCalendar) -> dict:
    """Signing for the case and contacting the citizen: they restart for each department that gets it."""
    return {
        Case.assigned_at: now,
        Case.sign_due_at: policy.limit(case.case_type, Clock.sign).due(now, calendar),
        Case.contact_due_at: policy.limit(case.case_type, Clock.contact).due(now, calendar),
        Case.signed_at: None,
        Case.contacted_at: None,
        Case.sign_overdue_at: None,
        Case.sign_reminded_at: None,
        Case.contact_overdue_at: None,
    }


def _answer_clock(case: Case, policy: Policy, now: datetime, calendar: WorkingCalendar) -> dict:
    answer = policy.limit(case.case_type, Clock.answer)
    due = answer.due(now, calendar)
    warning = answer.due(now, calendar, policy.warning_share) if answer.warning_days is None else answer.warning(now, due, calendar, 1.0)
    return {
        Case.answer_due_at: due,
        Case.answer_warning_at: warning,
        Case.answer_warned_at: None,
        Case.answer_overdue_at: None,
        Case.answer_escalated_at: None,
    }


def deadlines_of(row: dict) -> list[Deadline]:
    """The deadlines a case has (from a row with the clock columns), in the order they fall."""
    found = [
        Deadline(
            clock,
            row[DUE[clock]._meta.name],
            row[MET[clock]._meta.name],
            row.get(Case.answer_warning_at._meta.name) if clock == Clock.answer else None,
            row.get(OVERDUE[clock]._meta.name),
        )
        for clock in Clock
        if row.get(DUE[clock]._meta.name) is not None
    ]
    return sorted(found, key=lambda deadline: deadline.due_at)
