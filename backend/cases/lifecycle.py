"""The case lifecycle, defined once as data.

Every adapter (HTML pages, JSON, Open311) performs actions through ``workflow.perform``, which
consults this table; nothing else changes a case's status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backend.i18n_markers import N_
from backend.errors import Forbidden, Refusal, WrongState
from backend.vocabulary import (
    BEING_HANDLED,
    CITIZEN_CASE_TYPES,
    CLOCKS_RUNNING,
    EVERY_STATE,
    NOT_CLOSED,
    PUBLIC_STATUSES,
    CaseType,
    PublicationDecision,
    RevealReason,
    ReviewDecision,
    Role,
    Satisfaction,
    Scope,
    Solved,
    Status,
    Visibility,
)


class ClockEffect(str, enum.Enum):
    none = "none"
    start = "start"  # deadlines run from assignment, not from signing
    sign = "sign"  # the department signed for the case
    first_contact = "first_contact"  # the department reached the citizen
    first_response = "first_response"  # the first public word from the department
    answer = "answer"  # the official reply is out: the answer clock stops
    extend = "extend"  # a granted extension moves the answer deadline
    reopen = "reopen"  # 重办: the department's clocks and the answer clock start afresh


@dataclass(frozen=True)
class Transition:
    action: str
    roles: frozenset[Role]
    from_states: frozenset[Status]
    to_state: Status | None  # None: the status stays as it is
    clock: ClockEffect
    visibility: Visibility  # of the timeline entry it writes
    label: str
    scope: Scope = Scope.none
    needs_text: bool = False  # a reason, a reply: the action is refused without one
    reviewed: bool = False  # its public text waits for a moderator before anyone else sees it
    photos: bool = False  # the entry may carry photos
    # A reviewed action's second step: what the moderator's approval of its text does to the case
    # (``workflow.review``). The status changes only if the case is still in one of ``from_states``.
    approved_to_state: Status | None = None
    approved_clock: ClockEffect = ClockEffect.none
    case_types: frozenset[CaseType] = frozenset(CaseType)  # the kinds of case it is for
    on_a_photo: bool = False  # it works on one of the case's photos (the staff page's photo controls)
    # Its status is the one the case had before it came to its from-state, which its input's
    # ``apply`` restores (``unmerge``); ``to_state`` is then None.
    restores: bool = False
    # The row whose form and input choose this one by what was answered (a callback's spoken
    # rating: ``actions.ActionInput.as_row``); it has no form of its own on the staff page.
    chosen_by: str | None = None
    # The fact of the case (an attribute of ``services.StaffCaseView``) without which the staff
    # page and the API do not offer it: a dispute waiting for a decision, a text waiting to be
    # read before it goes public. ``perform`` refuses it without that fact all the same.
    offered_if: str | None = None


MODERATORS = frozenset({Role.moderator, Role.system})
HANDLERS = frozenset({Role.handler})
LEADERS = frozenset({Role.leader})
CITIZEN = frozenset({Role.citizen})  # the filer, acting through the private follow link
REPRESENTATIVE = frozenset({Role.representative})  # a suggestion's lead representative, in their channel
# A row's kinds of case, where it is not for every kind. (``close_unrated`` is for every kind: an
# answer the lead representative does not rate in time closes as not rated, as a filer's does.)
SUGGESTIONS = frozenset({CaseType.representative})
CITIZENS_CASES = frozenset(CITIZEN_CASE_TYPES)
CONSULTATIONS = frozenset({CaseType.consultation})
# A published answer, rated or not: what the centre calls the filer back about (回访).
CALLED_BACK = frozenset({Status.replied, Status.rated, Status.closed})
# An answer with a rating that its department may object to, or the centre decide on.
DISPUTABLE = CALLED_BACK | {Status.unsatisfied}

# Accepted and not answered yet: a duplicate still worth handling as one with the case it repeats.
MERGEABLE = CLOCKS_RUNNING | {Status.accepted}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        # A representative's draft goes to the centre: it gets its number then
        # (``representatives.services.submit``). A citizen's case is filed submitted: no row.
        Transition("submit", REPRESENTATIVE, frozenset({Status.draft}), Status.submitted, ClockEffect.none,
                   Visibility.public, N_("Submitted, awaiting review"),
                   case_types=SUGGESTIONS),
        Transition("accept", MODERATORS, frozenset({Status.submitted}), Status.accepted, ClockEffect.none,
                   Visibility.public, N_("Accepted for handling")),
        Transition("reject", MODERATORS, frozenset({Status.submitted}), Status.rejected, ClockEffect.none,
                   Visibility.filer, N_("Not accepted"), needs_text=True),
        Transition("mark_duplicate", MODERATORS, frozenset({Status.submitted, Status.accepted}), Status.duplicate,
                   ClockEffect.none, Visibility.filer, N_("Marked as a duplicate")),
        # A duplicate found after acceptance is merged into the case it repeats (``cases.merging``):
        # its supporters and followers move there, it leaves the public record, and its filer is
        # told where the case now lives. A moderator can undo it: everything goes back as it was.
        Transition("merge", MODERATORS, MERGEABLE, Status.merged, ClockEffect.none, Visibility.filer,
                   N_("Merged into the case it repeats"), case_types=CITIZENS_CASES),
        Transition("unmerge", MODERATORS, frozenset({Status.merged}), None, ClockEffect.none, Visibility.filer,
                   N_("Merge undone: the case is handled on its own again"), needs_text=True, case_types=CITIZENS_CASES,
                   restores=True),
        # The filer takes their case back (撤回) through the follow link, while no department has
        # it yet; an accepted case leaves the public list (``actions.Withdraw``).
        Transition("withdraw", CITIZEN, frozenset({Status.submitted, Status.accepted}), Status.withdrawn,
                   ClockEffect.none, Visibility.filer, N_("Withdrawn by the filer"), case_types=CITIZENS_CASES),
        Transition("redact", MODERATORS, NOT_CLOSED, None, ClockEffect.none,
                   Visibility.internal, N_("Text edited before publication")),
        # Only a person who has read a citizen's text publishes it: a case an automatic routing
        # rule assigned (the system's ``route``) waits here for a moderator, redacted if need be.
        Transition("publish", frozenset({Role.moderator}), frozenset(PUBLIC_STATUSES), None, ClockEffect.none,
                   Visibility.internal, N_("Read and published"), case_types=CITIZENS_CASES,
                   offered_if="awaiting_publication"),
        # Photos: the public gets a changed derivative; the original stays for staff. A closed case
        # stays public, so a photo can be taken down at any time.
        Transition("hide_photo", MODERATORS, EVERY_STATE, None, ClockEffect.none, Visibility.internal,
                   N_("Photo hidden from the public"), on_a_photo=True),
        Transition("show_photo", MODERATORS, EVERY_STATE, None, ClockEffect.none, Visibility.internal,
                   N_("Photo shown to the public again"), on_a_photo=True),
        Transition("black_out_photo", MODERATORS, EVERY_STATE, None, ClockEffect.none, Visibility.internal,
                   N_("Part of a photo blacked out"), on_a_photo=True),
        Transition("restore_photo", MODERATORS, EVERY_STATE, None, ClockEffect.none, Visibility.internal,
                   N_("Photo restored to the original"), on_a_photo=True),
        # A consultation answered at once by the centre from the knowledge base (直接答复): the
        # entry's answer is the reply, no department is involved, and the figures count it as
        # answered directly (``cases.figures``). The filer rates it like any answer.
        Transition("answer_from_knowledge", MODERATORS, frozenset({Status.submitted, Status.accepted}), Status.replied,
                   ClockEffect.answer, Visibility.public, N_("Answered from the knowledge base"),
                   case_types=CONSULTATIONS),
        Transition("assign", MODERATORS, frozenset({Status.accepted, Status.returned}), Status.assigned,
                   ClockEffect.start, Visibility.public, N_("Assigned to a department")),
        # A routing rule's suggestion taken (派单规则): accepted and assigned in one step to the
        # departments the rule names, by a moderator, or by the system when the rule is automatic
        # (``routing.automatic``). The entry's text names the rule; its return rate counts it.
        Transition("route", MODERATORS, frozenset({Status.submitted, Status.accepted}), Status.assigned,
                   ClockEffect.start, Visibility.public, N_("Accepted and assigned as the routing rule suggests"),
                   case_types=CITIZENS_CASES),
        Transition("sign", HANDLERS, frozenset({Status.assigned}), Status.signed, ClockEffect.sign,
                   Visibility.public, N_("Signed for by the department"), scope=Scope.lead),
        Transition("record_contact", HANDLERS, BEING_HANDLED, None, ClockEffect.first_contact,
                   Visibility.filer, N_("The department contacted the filer"), scope=Scope.handling, needs_text=True,
                   case_types=CITIZENS_CASES),
        Transition("post_progress", HANDLERS, BEING_HANDLED, Status.in_progress, ClockEffect.none,
                   Visibility.public, N_("Progress update"), scope=Scope.handling, needs_text=True, reviewed=True,
                   photos=True, approved_clock=ClockEffect.first_response),
        Transition("post_internal_note", HANDLERS | MODERATORS, NOT_CLOSED, None,
                   ClockEffect.none, Visibility.internal, N_("Internal note"), scope=Scope.handling, needs_text=True),
        Transition("return", HANDLERS, frozenset({Status.assigned, Status.signed, Status.in_progress}), Status.returned,
                   ClockEffect.none, Visibility.internal, N_("Returned by the department"), scope=Scope.lead,
                   needs_text=True),
        Transition("request_extension", HANDLERS, BEING_HANDLED, None, ClockEffect.none, Visibility.internal,
                   N_("Extension requested"), scope=Scope.lead, needs_text=True),
        Transition("grant_extension", MODERATORS, BEING_HANDLED, None, ClockEffect.extend, Visibility.public,
                   N_("Extension granted")),
        Transition("refuse_extension", MODERATORS, BEING_HANDLED, None, ClockEffect.none, Visibility.internal,
                   N_("Extension refused"), needs_text=True),
        Transition("draft_reply", HANDLERS, BEING_HANDLED, None, ClockEffect.none, Visibility.public,
                   N_("Official reply"), scope=Scope.lead, needs_text=True, reviewed=True, photos=True,
                   approved_to_state=Status.replied, approved_clock=ClockEffect.answer),
        # Supervision (督办) by hand; the clock jobs also supervise cases whose answer is overdue.
        # Public by default, as the real platforms show it (晒单); staff only if asked.
        Transition("supervise", MODERATORS | LEADERS, CLOCKS_RUNNING, None, ClockEffect.none, Visibility.public,
                   N_("Supervised (督办)"), needs_text=True),
        Transition("instruct", LEADERS, NOT_CLOSED, None, ClockEffect.none, Visibility.public,
                   N_("Leader's instruction (批示)"), needs_text=True),
        # Escalation (提级办理) to another department: it becomes the lead and signs afresh; the
        # response and answer clocks run on from the first assignment.
        Transition("escalate", LEADERS, CLOCKS_RUNNING, Status.assigned, ClockEffect.start, Visibility.public,
                   N_("Escalated to another department (提级办理)"), needs_text=True),
        # Escalation to the leader: the leader takes personal charge (领导包案) and directs the
        # lead department, which keeps handling the case and answers under the centre's review.
        Transition("take_charge", LEADERS, CLOCKS_RUNNING, None, ClockEffect.none, Visibility.public,
                   N_("Taken in charge by a leader (提级办理)"), needs_text=True),
        # The filer rates the published reply (the comment is the entry's text, for the filer and
        # staff; moderators publish it). One photo may show that the problem came back.
        Transition("rate_satisfied", CITIZEN, frozenset({Status.replied}), Status.rated, ClockEffect.none,
                   Visibility.filer, N_("The filer rated the answer"), photos=True,
                   case_types=CITIZENS_CASES),
        Transition("rate_unsatisfied", CITIZEN, frozenset({Status.replied}), Status.unsatisfied, ClockEffect.none,
                   Visibility.filer, N_("The filer is not satisfied with the answer"), photos=True,
                   case_types=CITIZENS_CASES),
        Transition("reopen", MODERATORS, frozenset({Status.unsatisfied}), Status.assigned, ClockEffect.reopen,
                   Visibility.public, N_("Reopened (重办): back to the department"),
                   case_types=CITIZENS_CASES),
        Transition("close", MODERATORS, frozenset({Status.unsatisfied}), Status.closed, ClockEffect.none,
                   Visibility.filer, N_("Closed by the platform centre"), needs_text=True,
                   case_types=CITIZENS_CASES),
        Transition("close_unrated", frozenset({Role.system}), frozenset({Status.replied}), Status.closed,
                   ClockEffect.none, Visibility.public, N_("Closed: the answer was not rated in time")),
        # 回访: the centre calls the filer back about the published answer and records what they
        # said (or that they could not be reached); not satisfied, or not solved at all, sends the
        # case to the moderators' unsatisfied queue, as an online rating does (``callbacks``).
        Transition("record_callback", MODERATORS, CALLED_BACK, None, ClockEffect.none, Visibility.internal,
                   N_("Callback to the filer (回访)"), case_types=CITIZENS_CASES),
        Transition("record_callback_unsatisfied", MODERATORS, CALLED_BACK, Status.unsatisfied, ClockEffect.none,
                   Visibility.internal, N_("Callback: the filer is not satisfied (回访)"), case_types=CITIZENS_CASES,
                   chosen_by="record_callback"),
        # The lead department objects to a rating it finds unreasonable; a moderator decides. Upheld,
        # the rating no longer counts in the department's figures; the case stays where it is.
        Transition("dispute_rating", HANDLERS, DISPUTABLE, None, ClockEffect.none, Visibility.internal,
                   N_("The department disputes a rating"), scope=Scope.lead, needs_text=True, case_types=CITIZENS_CASES),
        Transition("uphold_dispute", MODERATORS, DISPUTABLE, None, ClockEffect.none, Visibility.internal,
                   N_("Dispute upheld: the rating no longer counts"), case_types=CITIZENS_CASES, offered_if="dispute_pending"),
        Transition("reject_dispute", MODERATORS, DISPUTABLE, None, ClockEffect.none, Visibility.internal,
                   N_("Dispute rejected: the rating stands"), needs_text=True, case_types=CITIZENS_CASES,
                   offered_if="dispute_pending"),
        # Representatives' suggestions: the department meets or calls the representative (the
        # first contact), and the lead representative rates the answer on two scales; not
        # satisfied on either sends it straight back to the department for a new answer.
        Transition("record_meeting", HANDLERS, BEING_HANDLED, None, ClockEffect.first_contact, Visibility.filer,
                   N_("The department met the representative"), scope=Scope.handling, needs_text=True,
                   case_types=SUGGESTIONS),
        Transition("record_call", HANDLERS, BEING_HANDLED, None, ClockEffect.first_contact, Visibility.filer,
                   N_("The department spoke with the representative by phone"), scope=Scope.handling, needs_text=True,
                   case_types=SUGGESTIONS),
        Transition("rate_suggestion_satisfied", REPRESENTATIVE, frozenset({Status.replied}), Status.rated,
                   ClockEffect.none, Visibility.filer, N_("The representative rated the answer"),
                   case_types=SUGGESTIONS),
        Transition("rate_suggestion_unsatisfied", REPRESENTATIVE, frozenset({Status.replied}), Status.assigned,
                   ClockEffect.reopen, Visibility.filer, N_("The representative is not satisfied: the department answers again"),
                   case_types=SUGGESTIONS),
    ]
}

# Derived from the rows, for the pages and tests that list them.
SUGGESTION_ACTIONS = frozenset(action for action, row in TRANSITIONS.items() if row.case_types == SUGGESTIONS)
NOT_FOR_SUGGESTIONS = frozenset(action for action, row in TRANSITIONS.items() if CaseType.representative not in row.case_types)


# The way a case usually goes, in order; the other states are turnings off it (rejected, returned…).
USUAL_PATH = (
    Status.submitted, Status.accepted, Status.assigned, Status.signed, Status.in_progress,
    Status.replied, Status.rated, Status.closed,
)
# A clock that a department or the centre has to meet, as opposed to one moved or restarted.
MET_CLOCKS = frozenset({ClockEffect.sign, ClockEffect.first_contact, ClockEffect.first_response, ClockEffect.answer})


def moves_forward(action: str, status: Status) -> bool:
    """Whether ``action`` is a next likely step for a case in ``status``: it meets one of the
    clocks (directly or once its text is approved), or it takes the case further along the usual
    path. From a turning off the path (returned, unsatisfied), any step back onto it counts.
    The staff case page offers these first."""
    row = TRANSITIONS[action]
    if row.clock in MET_CLOCKS or row.approved_clock in MET_CLOCKS:
        return True
    target = row.to_state or row.approved_to_state
    if target not in USUAL_PATH:
        return False
    return status not in USUAL_PATH or USUAL_PATH.index(target) > USUAL_PATH.index(status)


def fits_case_type(action: str, case_type: str) -> bool:
    return CaseType(case_type) in TRANSITIONS[action].case_types


def scope_allows(needed: Scope, scope: Scope | None) -> bool:
    """Whether a department standing ``scope`` to a case may take an action that needs ``needed``."""
    if needed == Scope.none:
        return True
    return scope == Scope.lead or (needed == Scope.handling and scope == Scope.handling)


def refusal(
    action: str, role: Role, status: Status | None = None, scope: Scope | None = None, case_type: str | None = None
) -> tuple[type[Refusal], str] | None:
    """The one rule of who may take which action: None if ``role`` may take ``action`` on a case
    in ``status`` of ``case_type``, else why not, as (kind of refusal, message id). ``scope`` is how a
    handler's department stands to the case (lead, co-handling, or None: not at all); it counts
    only for handlers. ``workflow.perform`` asks twice: with the role alone before it reads the
    case (no status: only the action and the role are checked), then with the case.

    In this order: WrongState no such action; Forbidden not for this role; WrongState not in
    this state; Forbidden not for this department (or only for the lead one); WrongState not
    for this kind of case (an empty
    ``case_type`` skips this check).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        return WrongState, N_("This action does not exist.")
    if role not in transition.roles:
        return Forbidden, N_("Your role may not do this.")
    if status is None:
        return None
    if status not in transition.from_states:
        return WrongState, N_("This cannot be done while the case is in its current state.")
    if role == Role.handler and not scope_allows(transition.scope, scope):
        if scope == Scope.handling:
            return Forbidden, N_("Only the lead department may do this.")
        return Forbidden, N_("Your department does not handle this case.")
    if case_type and not fits_case_type(action, case_type):
        return WrongState, N_("This action is not for this kind of case.")
    return None


# The official answer: the department's text whose publication answers the case, or the centre's
# answer from the knowledge base, published at once.
ANSWER_ACTIONS = frozenset(
    action for action, row in TRANSITIONS.items() if Status.replied in (row.approved_to_state, row.to_state)
)
PHOTO_ACTIONS = tuple(action for action, row in TRANSITIONS.items() if row.on_a_photo)

# Each decision is itself a timeline entry (internal), action "review_<decision>".
REVIEW_LABELS = {
    f"review_{ReviewDecision.approve.value}": N_("Published by the platform centre"),
    f"review_{ReviewDecision.edit.value}": N_("Edited and published by the platform centre"),
    f"review_{ReviewDecision.send_back.value}": N_("Sent back to the department"),
}

def rating_action(satisfaction: Satisfaction, solved: Solved) -> str:
    """Not satisfied, or not solved at all: the case goes to the moderators."""
    if satisfaction == Satisfaction.unsatisfied or solved == Solved.no:
        return "rate_unsatisfied"
    return "rate_satisfied"


def suggestion_rating_action(outcome: Satisfaction, attitude: Satisfaction) -> str:
    """Not satisfied with the outcome or with the department's attitude: it answers again."""
    if Satisfaction.unsatisfied in (outcome, attitude):
        return "rate_suggestion_unsatisfied"
    return "rate_suggestion_satisfied"


def overall_satisfaction(outcome: Satisfaction, attitude: Satisfaction) -> Satisfaction:
    """What the figures count of a two-scale rating: the lower of the two."""
    order = list(Satisfaction)
    return max(outcome, attitude, key=order.index)


# Each decision is itself a timeline entry (internal), action "rating_<decision>".
PUBLICATION_LABELS = {
    f"rating_{PublicationDecision.publish.value}": N_("Rating published by the platform centre"),
    f"rating_{PublicationDecision.withhold.value}": N_("Rating kept from the public"),
}

# Entries the clock jobs write as the system: not actions anyone takes (see ``cases.supervision``).
CLOCK_ENTRY_LABELS = {
    "deadlines_recomputed": N_("Deadlines recomputed on the year's official holidays"),
    "sign_reminder": N_("To be signed for within minutes"),
    "answer_warning": N_("The answer is due soon"),
    "overdue_sign": N_("Overdue: not signed for in time"),
    "overdue_contact": N_("Overdue: the filer was not contacted in time"),
    "overdue_response": N_("Overdue: no public response in time"),
    "overdue_answer": N_("Overdue: not answered in time"),
    "auto_supervise": N_("Supervised automatically (督办): the answer is overdue"),
    "leader_attention": N_("Escalated to the leaders: still unanswered long after the deadline"),
}


# What happened to the filer's contact details, as entries for the filer and staff: each reveal,
# one action per reason, so the filer reads who looked and why (``cases.reveals``); and their
# erasure at the filer's request (``cases.retention``), its reason as the entry's text.
ERASURE_ACTION = "erase_contact"
PERSONAL_DATA_LABELS = {
    ERASURE_ACTION: N_("Contact details erased at the filer's request"),
    f"reveal_{RevealReason.contact.value}": N_("Contact details shown to staff: to contact the filer about the case"),
    f"reveal_{RevealReason.callback.value}": N_("Contact details shown to staff: to call the filer back about the answer (回访)"),
    f"reveal_{RevealReason.verify.value}": N_("Contact details shown to staff: to check the facts with the filer"),
}


def entry_label(action: str) -> str:
    if action in REVIEW_LABELS:
        return REVIEW_LABELS[action]
    if action in CLOCK_ENTRY_LABELS:
        return CLOCK_ENTRY_LABELS[action]
    if action in PUBLICATION_LABELS:
        return PUBLICATION_LABELS[action]
    if action in PERSONAL_DATA_LABELS:
        return PERSONAL_DATA_LABELS[action]
    return TRANSITIONS[action].label
