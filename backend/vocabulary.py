"""The words every layer shares: kinds of case, statuses and their named groups, roles,
visibility, scopes, and the answers people give (ratings, reviews, publication).

Pure data: it imports nothing of backend but the i18n markers, and anything may import it (the
domain services, the tables, the adapters, the templates). The rules that use these words live
elsewhere: who may do what, from which status to which, in ``backend.cases.lifecycle``.

A status group is defined here once, with a name, and asked by every adapter (as FixMyStreet's
``Problem`` does): never list statuses again where one of these says what is meant.
"""

from __future__ import annotations

import enum
import re

from backend.i18n_markers import N_


# What a case's number looks like (``cases.services.next_case_number`` makes them): the year, and
# a counter of at least six digits (ASCII digits: "２" is a digit to \d). The lookup by number
# (``cases.services.with_number``) and the path parameter (``web.params.CaseNumber``) use it.
CASE_NUMBER = re.compile(r"^[0-9]{4}-[0-9]{6,9}$")


class CaseType(str, enum.Enum):
    complaint = "complaint"
    consultation = "consultation"
    suggestion = "suggestion"
    representative = "representative"  # a representative's suggestion (代表委员建议), filed in their channel


CASE_TYPE_LABELS = {
    CaseType.complaint: N_("Complaint"),
    CaseType.consultation: N_("Consultation"),
    CaseType.suggestion: N_("Suggestion"),
    CaseType.representative: N_("Representative's suggestion"),
}
# What citizens file (and the centre records for them); representatives' suggestions come only
# through their own channel, with their lead representative and co-signers.
CITIZEN_CASE_TYPES = (CaseType.complaint, CaseType.consultation, CaseType.suggestion)


class Status(str, enum.Enum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    duplicate = "duplicate"
    assigned = "assigned"
    signed = "signed"
    in_progress = "in_progress"
    returned = "returned"
    replied = "replied"
    rated = "rated"  # the filer is satisfied: the loop is closed
    unsatisfied = "unsatisfied"  # not satisfied or not solved: the moderators reopen or close it
    closed = "closed"
    withdrawn = "withdrawn"  # the filer took it back before any department had it
    draft = "draft"  # a representative's suggestion not yet submitted: no number, no queue, no public
    merged = "merged"  # a duplicate found after acceptance, merged into the case it repeats (``duplicate_of``)


STATUS_LABELS = {
    Status.submitted: N_("Submitted, awaiting review"),
    Status.accepted: N_("Accepted"),
    Status.rejected: N_("Not accepted"),
    Status.duplicate: N_("Duplicate of another case"),
    Status.assigned: N_("Assigned to a department"),
    Status.signed: N_("Signed for by the department"),
    Status.in_progress: N_("In progress"),
    Status.returned: N_("Returned for reassignment"),
    Status.replied: N_("Answered"),
    Status.rated: N_("Rated by the filer: closed"),
    Status.unsatisfied: N_("The filer is not satisfied: the platform centre decides"),
    Status.closed: N_("Closed"),
    Status.withdrawn: N_("Withdrawn by the filer"),
    Status.draft: N_("Draft, not submitted yet"),
    Status.merged: N_("Merged into the case it repeats"),
}



class Role(str, enum.Enum):
    citizen = "citizen"
    moderator = "moderator"
    handler = "handler"
    leader = "leader"
    system = "system"
    representative = "representative"  # the lead representative of a suggestion, signed in


class Visibility(str, enum.Enum):
    public = "public"  # everyone, once the case is public (and, if reviewed, once approved)
    filer = "filer"  # the filer (follow link) and staff
    internal = "internal"  # staff only


class RevealReason(str, enum.Enum):
    """Why staff open a filer's contact details: each reveal is recorded and shown to the filer."""

    contact = "contact"  # to reach the filer about the case
    callback = "callback"  # 回访: to ask the filer whether the problem was solved
    verify = "verify"  # to check the facts of the complaint with the filer


REVEAL_REASON_LABELS = {
    RevealReason.contact: N_("To contact the filer about the case"),
    RevealReason.callback: N_("To call the filer back about the answer (回访)"),
    RevealReason.verify: N_("To check the facts with the filer"),
}


class Scope(str, enum.Enum):
    """For handlers: which departments of the case may act."""

    none = "none"  # not a department's action
    lead = "lead"  # the lead department (主办) only
    handling = "handling"  # the lead or a co-handling department (协办)


class StaffRole(str, enum.Enum):
    admin = "admin"
    moderator = "moderator"
    handler = "handler"  # a department's handler (责任单位); always tied to one department
    leader = "leader"
    representative = "representative"


ROLE_LABELS = {
    StaffRole.admin: N_("Administrator"),
    StaffRole.moderator: N_("Moderator (platform centre)"),
    StaffRole.handler: N_("Department handler"),
    StaffRole.leader: N_("Leader"),
    StaffRole.representative: N_("Representative"),
}


# The scopes of an API key (``backend.accounts.api_keys``): what a machine may do.
READ, FILE, MODERATOR, STAFF = "read", "file", "moderator", "staff"
SCOPE_LABELS = {
    READ: N_("Read public cases (a key of its own, with its own rate limit)"),
    FILE: N_("File cases (and read)"),
    MODERATOR: N_("Platform centre: moderators' actions on every case"),
    STAFF: N_("A department's handler: actions on that department's cases"),
}


# ---- Named groups of statuses --------------------------------------------------------------

# Cases the public may see (if the filer agreed to publication).
PUBLIC_STATUSES = frozenset(Status) - {Status.submitted, Status.rejected, Status.duplicate, Status.withdrawn, Status.draft, Status.merged}
# Every status but a draft's: a draft is its representatives' alone.
EVERY_STATE = frozenset(Status) - {Status.draft}
NOT_CLOSED = EVERY_STATE - {Status.closed}
# Waiting for the platform centre: new, handed back by a department, or rated unsatisfied.
MODERATION_QUEUE = frozenset({Status.submitted, Status.returned, Status.unsatisfied})
# With a department that still has to answer: what a department has to do.
WITH_A_DEPARTMENT = frozenset({Status.assigned, Status.signed, Status.in_progress})
# Signed for and being worked on by the department.
BEING_HANDLED = frozenset({Status.signed, Status.in_progress})
# Assigned and not yet answered: the answer clock runs, also while a returned case waits for the centre.
CLOCKS_RUNNING = WITH_A_DEPARTMENT | {Status.returned}
# Answered by the department (and rated, or closed since): what a department has done.
ANSWERED = frozenset({Status.replied, Status.rated, Status.unsatisfied, Status.closed})
# Nothing more happens to them: the loop closed (rated, or closed), or it never opened (not
# accepted, a duplicate (merged or not), or withdrawn by the filer). Their personal data is kept for a while after
# (``cases.retention``).
FINISHED = frozenset({Status.rated, Status.closed, Status.rejected, Status.duplicate, Status.withdrawn, Status.merged})


# The public's three groups (the browse filter, Open311's open and closed).
class StatusGroup(str, enum.Enum):
    open = "open"
    answered = "answered"
    closed = "closed"


STATUS_GROUPS: dict[StatusGroup, frozenset[Status]] = {
    StatusGroup.open: CLOCKS_RUNNING | {Status.accepted},  # accepted, with a department, or returned
    StatusGroup.answered: frozenset({Status.replied, Status.unsatisfied}),
    StatusGroup.closed: frozenset({Status.rated, Status.closed, Status.duplicate}),
}

STATUS_GROUP_LABELS = {
    StatusGroup.open: N_("Being handled"),
    StatusGroup.answered: N_("Answered"),
    StatusGroup.closed: N_("Closed"),
}


class Review(str, enum.Enum):
    """Where a department's public text stands with the moderators."""

    none = ""  # needs no review
    pending = "pending"
    approved = "approved"
    sent_back = "sent_back"
    replaced = "replaced"  # a moderator published an edited version; this original stays for staff


class ReviewDecision(str, enum.Enum):
    approve = "approve"  # publish as written
    edit = "edit"  # publish the moderator's edited text; the original stays for staff
    send_back = "send_back"  # back to the department, with a comment


class Satisfaction(str, enum.Enum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


SATISFACTION_LABELS = {
    Satisfaction.satisfied: N_("Satisfied"),
    Satisfaction.basically_satisfied: N_("Basically satisfied"),
    Satisfaction.unsatisfied: N_("Unsatisfied"),
}


class Solved(str, enum.Enum):
    yes = "yes"
    partly = "partly"
    no = "no"


SOLVED_LABELS = {
    Solved.yes: N_("The problem was solved"),
    Solved.partly: N_("The problem was partly solved"),
    Solved.no: N_("The problem was not solved"),
}


class Publication(str, enum.Enum):
    """Where a rating stands with the moderators, who publish it to the public case page."""

    pending = "pending"
    published = "published"  # with the comment as the moderator edited it; the original stays for staff
    withheld = "withheld"
    private = "private"  # the case itself is not public


class PublicationDecision(str, enum.Enum):
    publish = "publish"
    withhold = "withhold"

SEEN_BY_ALL = [Review.none.value, Review.approved.value]  # entries outside staff pages
