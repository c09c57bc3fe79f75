"""The case lifecycle, defined once as data.

Every adapter (HTML pages, JSON, Open311) performs actions through ``services.perform``, which
consults this table; nothing else changes a case's status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backend.i18n_markers import N_


class CaseType(str, enum.Enum):
    complaint = "complaint"
    consultation = "consultation"
    suggestion = "suggestion"


CASE_TYPE_LABELS = {
    CaseType.complaint: N_("Complaint"),
    CaseType.consultation: N_("Consultation"),
    CaseType.suggestion: N_("Suggestion"),
}


class Status(str, enum.Enum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    assigned = "assigned"
    signed = "signed"
    in_progress = "in_progress"
    replied = "replied"
    closed = "closed"


STATUS_LABELS = {
    Status.submitted: N_("Submitted, awaiting review"),
    Status.accepted: N_("Accepted"),
    Status.rejected: N_("Not accepted"),
    Status.assigned: N_("Assigned to a department"),
    Status.signed: N_("Signed for by the department"),
    Status.in_progress: N_("In progress"),
    Status.replied: N_("Answered"),
    Status.closed: N_("Closed"),
}

# Cases the public may see (if the filer agreed to publication).
PUBLIC_STATUSES = frozenset(Status) - {Status.submitted, Status.rejected}


class Role(str, enum.Enum):
    citizen = "citizen"
    moderator = "moderator"
    handler = "handler"
    system = "system"


class Visibility(str, enum.Enum):
    public = "public"  # everyone, once the case is public
    filer = "filer"  # the filer (follow link) and staff
    internal = "internal"  # staff only


class ClockEffect(str, enum.Enum):
    none = "none"
    start = "start"  # deadlines run from assignment, not from signing


@dataclass(frozen=True)
class Transition:
    action: str
    roles: frozenset[Role]
    from_states: frozenset[Status]
    to_state: Status | None  # None: the status stays as it is
    clock: ClockEffect
    visibility: Visibility
    label: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition(
            "accept",
            frozenset({Role.moderator, Role.system}),
            frozenset({Status.submitted}),
            Status.accepted,
            ClockEffect.none,
            Visibility.public,
            N_("Accepted for handling"),
        ),
        Transition(
            "reject",
            frozenset({Role.moderator, Role.system}),
            frozenset({Status.submitted}),
            Status.rejected,
            ClockEffect.none,
            Visibility.filer,
            N_("Not accepted"),
        ),
        Transition(
            "assign",
            frozenset({Role.moderator, Role.system}),
            frozenset({Status.accepted}),
            Status.assigned,
            ClockEffect.start,
            Visibility.public,
            N_("Assigned to a department"),
        ),
        Transition(
            "sign",
            frozenset({Role.handler}),
            frozenset({Status.assigned}),
            Status.signed,
            ClockEffect.none,
            Visibility.public,
            N_("Signed for by the department"),
        ),
        Transition(
            "post_progress",
            frozenset({Role.handler}),
            frozenset({Status.signed, Status.in_progress}),
            Status.in_progress,
            ClockEffect.none,
            Visibility.public,
            N_("Progress update"),
        ),
    ]
}

SUBMIT_LABEL = N_("Submitted, awaiting review")
