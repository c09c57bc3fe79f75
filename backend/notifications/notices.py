"""What the filer and staff hear of, and in which words: the timeline's entries that are
notices, who each is for, and each notice's text in the subscriber's language (short: an SMS is
70 Chinese characters a segment, and a push shows two lines)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backend.i18n_markers import N_
from backend.vocabulary import StaffRole
from backend.web import i18n


class Notice(str, enum.Enum):
    verify = "verify"  # the first email: follow the link before anything else is sent
    accepted = "accepted"
    rejected = "rejected"
    assigned = "assigned"
    progress = "progress"  # a progress post, once a moderator published it
    answered = "answered"  # the official reply, once published: the filer may rate it
    extended = "extended"
    reopened = "reopened"
    closed = "closed"
    merged = "merged"  # the case was merged into the one it repeats: the follow page links there
    # For followers of a public case (``FOLLOWER_NOTICES``).
    followed_answered = "followed_answered"
    followed_closed = "followed_closed"
    # For staff (``STAFF_NOTICES``).
    staff_verify = "staff_verify"  # the first email to a staff member's address: follow the link first
    new_work = "new_work"  # a case assigned (or sent back) to the department
    sign_soon = "sign_soon"  # the case must be signed for within minutes
    due_soon = "due_soon"  # the warning share of the answer's time has gone
    overdue = "overdue"  # a deadline of the case passed
    supervised = "supervised"  # 督办, by hand
    red_flag = "red_flag"  # the answer overdue, and supervised automatically
    sent_back = "sent_back"  # a moderator sent the department's text back
    instructed = "instructed"  # a leader's instruction (批示)
    to_review = "to_review"  # a department's text waits for the centre
    unsatisfied = "unsatisfied"  # the filer is not satisfied: the centre decides
    returned = "returned"  # the department returned the case for reassignment
    extension_asked = "extension_asked"
    leader_attention = "leader_attention"  # the escalation ladder's last step: long overdue
    rating_disputed = "rating_disputed"  # a department disputes a rating: the centre decides
    dispute_decided = "dispute_decided"  # the centre upheld or rejected the department's dispute
    # For anyone's alerts of new public cases (``alerts``): the value is the outbox's kind.
    alert_digest = "digest"
    # For representatives.
    co_sign_invited = "co_sign_invited"  # to co-sign another's draft suggestion
    met = "met"  # the department recorded its meeting or call with the lead representative
    suggestion_answered = "suggestion_answered"  # the department's answer to the suggestion, published


class Audience(str, enum.Enum):
    """Whom a notice is for."""

    filer = "filer"  # the filer, through their follow link
    follower = "follower"  # anyone who follows a public case (a supporter, a neighbour)

    department = "department"  # the handlers of the case's lead department
    moderators = "moderators"  # the platform centre
    leaders = "leaders"  # every leader
    case_leader = "case_leader"  # the leader in personal charge of the case (领导包案)
    lead_representative = "lead_representative"  # a suggestion's lead representative
    invited_representative = "invited_representative"  # a representative invited to co-sign


# The filer's default notices, by the action of the timeline entry that tells of them. Progress
# and answers are the moderators' reviews of a department's text (``review_*``), by the action
# of the text they published.
FILER_NOTICES = {
    "accept": Notice.accepted,
    "reject": Notice.rejected,
    "assign": Notice.assigned,
    "route": Notice.assigned,  # accepted and assigned at once, by a routing rule
    "escalate": Notice.assigned,
    "grant_extension": Notice.extended,
    "reopen": Notice.reopened,
    "close": Notice.closed,
    "close_unrated": Notice.closed,
    "merge": Notice.merged,
    "answer_from_knowledge": Notice.answered,  # published at once, with no review
}
PUBLISHED_NOTICES = {"post_progress": Notice.progress, "draft_reply": Notice.answered}
# Followers of a public case hear of its end: the published answer, and its closing.
FOLLOWER_NOTICES = {
    "answer_from_knowledge": Notice.followed_answered,  # published at once, with no review
    "rate_satisfied": Notice.followed_closed,
    "close": Notice.followed_closed,
    "close_unrated": Notice.followed_closed,
}
FOLLOWER_PUBLISHED_NOTICES = {"draft_reply": Notice.followed_answered}
# Staff hear of their work, by the action of the entry that tells of it: the department of what
# comes to it and what its clocks say, the centre of what waits for it, a leader of the cases in
# their charge, and every leader of the red flags. Each person may turn each of theirs off.
_DEPARTMENT, _CENTRE = frozenset({Audience.department}), frozenset({Audience.moderators})
STAFF_NOTICES: dict[str, tuple[Notice, frozenset[Audience]]] = {
    "assign": (Notice.new_work, _DEPARTMENT),
    "route": (Notice.new_work, _DEPARTMENT),
    "escalate": (Notice.new_work, _DEPARTMENT),
    "reopen": (Notice.new_work, frozenset({Audience.department, Audience.case_leader})),
    "sign_reminder": (Notice.sign_soon, _DEPARTMENT),
    "answer_warning": (Notice.due_soon, frozenset({Audience.department, Audience.case_leader})),
    "overdue_sign": (Notice.overdue, _DEPARTMENT),
    "overdue_contact": (Notice.overdue, _DEPARTMENT),
    "overdue_response": (Notice.overdue, _DEPARTMENT),
    "overdue_answer": (Notice.overdue, frozenset({Audience.department, Audience.case_leader})),
    "supervise": (Notice.supervised, _DEPARTMENT),
    "auto_supervise": (Notice.red_flag, frozenset({Audience.department, Audience.leaders})),
    "review_send_back": (Notice.sent_back, _DEPARTMENT),
    "instruct": (Notice.instructed, _DEPARTMENT),
    "post_progress": (Notice.to_review, _CENTRE),
    "draft_reply": (Notice.to_review, _CENTRE),
    "rate_unsatisfied": (Notice.unsatisfied, frozenset({Audience.moderators, Audience.case_leader})),
    "return": (Notice.returned, _CENTRE),
    "request_extension": (Notice.extension_asked, _CENTRE),
    "leader_attention": (Notice.leader_attention, frozenset({Audience.leaders})),
    "record_callback_unsatisfied": (Notice.unsatisfied, frozenset({Audience.moderators, Audience.case_leader})),
    "dispute_rating": (Notice.rating_disputed, _CENTRE),
    "uphold_dispute": (Notice.dispute_decided, _DEPARTMENT),
    "reject_dispute": (Notice.dispute_decided, _DEPARTMENT),
    "record_meeting": (Notice.met, frozenset({Audience.lead_representative})),
    "record_call": (Notice.met, frozenset({Audience.lead_representative})),
}
# By the action of the department's text a moderator published (``review_*``).
STAFF_PUBLISHED_NOTICES: dict[str, tuple[Notice, frozenset[Audience]]] = {
    "draft_reply": (Notice.suggestion_answered, frozenset({Audience.lead_representative})),
}
# Not an entry: the lead representative's invitation (``events.CoSignInvited``).
CO_SIGN_NOTICE = (Notice.co_sign_invited, frozenset({Audience.invited_representative}))
# Where a staff notice opens: the staff case page, or for representatives their own pages.
STAFF_LINKS = {
    Notice.co_sign_invited: "/representatives/drafts/{case_id}",
    Notice.met: "/representatives/suggestions/{number}",
    Notice.suggestion_answered: "/representatives/suggestions/{number}",
}
STAFF_LINK = "/staff/cases/{number}"
AUDIENCE_ROLES = {
    Audience.department: StaffRole.handler,
    Audience.moderators: StaffRole.moderator,
    Audience.leaders: StaffRole.leader,
    Audience.case_leader: StaffRole.leader,
    Audience.lead_representative: StaffRole.representative,
    Audience.invited_representative: StaffRole.representative,
}


# Every notice a staff member may hear of, and the check of their email address.
ALL_STAFF_NOTICES = frozenset(
    {notice for notice, _ in [*STAFF_NOTICES.values(), *STAFF_PUBLISHED_NOTICES.values(), CO_SIGN_NOTICE]} | {Notice.staff_verify}
)


def staff_notices_of(role: StaffRole) -> list[Notice]:
    """The notices a role may hear of, in the vocabulary's order: what its account page offers."""
    every = [*STAFF_NOTICES.values(), *STAFF_PUBLISHED_NOTICES.values(), CO_SIGN_NOTICE]
    theirs = {notice for notice, audiences in every if any(AUDIENCE_ROLES[a] == role for a in audiences)}
    return [notice for notice in Notice if notice in theirs]
PUBLISHING_REVIEWS = ("review_approve", "review_edit")

NOTICE_LABELS = {
    Notice.verify: N_("Email address check"),
    Notice.staff_verify: N_("Email address check"),
    Notice.accepted: N_("Accepted"),
    Notice.rejected: N_("Not accepted"),
    Notice.assigned: N_("Assigned"),
    Notice.progress: N_("Progress update"),
    Notice.answered: N_("Answer published"),
    Notice.extended: N_("Extension granted"),
    Notice.reopened: N_("Reopened"),
    Notice.closed: N_("Closed"),
    Notice.merged: N_("Merged with another case"),
    Notice.followed_answered: N_("Answered"),
    Notice.followed_closed: N_("Closed"),
    Notice.new_work: N_("New work"),
    Notice.sign_soon: N_("Sign for it now"),
    Notice.due_soon: N_("Answer due soon"),
    Notice.overdue: N_("Overdue"),
    Notice.supervised: N_("Supervised (督办)"),
    Notice.red_flag: N_("Red flag: overdue and supervised"),
    Notice.sent_back: N_("Text sent back"),
    Notice.instructed: N_("Leader's instruction (批示)"),
    Notice.to_review: N_("Text to review"),
    Notice.unsatisfied: N_("Filer not satisfied"),
    Notice.returned: N_("Returned by the department"),
    Notice.extension_asked: N_("Extension requested"),
    Notice.leader_attention: N_("Long overdue: escalated to the leaders"),
    Notice.rating_disputed: N_("Rating disputed"),
    Notice.dispute_decided: N_("Dispute decided"),
    Notice.alert_digest: N_("Daily list of new public cases"),
    Notice.co_sign_invited: N_("Invitation to co-sign"),
    Notice.met: N_("Meeting recorded"),
    Notice.suggestion_answered: N_("Answer published"),
}

# One line each; %(text)s is the entry's text (a reason, a progress post), cut short.
_TEXTS = {
    Notice.verify: N_("Please confirm that you want news of case %(number)s by email: %(link)s"),
    Notice.staff_verify: N_("Please confirm that you want the news of your work at this address: %(link)s"),
    Notice.accepted: N_("Case %(number)s was accepted for handling."),
    Notice.rejected: N_("Case %(number)s was not accepted. Reason: %(text)s"),
    Notice.assigned: N_("Case %(number)s was assigned to %(department)s."),
    Notice.progress: N_("Progress on case %(number)s: %(text)s"),
    Notice.answered: N_("Case %(number)s has been answered. Read the answer and rate it: %(link)s"),
    Notice.extended: N_("The deadline of case %(number)s was extended."),
    Notice.reopened: N_("Case %(number)s was reopened: the department handles it again."),
    Notice.closed: N_("Case %(number)s was closed."),
    Notice.merged: N_("Case %(number)s repeats another case and was merged into it: it is handled there, for everyone who reported it. %(link)s"),
    Notice.followed_answered: N_("Case %(number)s, which you follow, has been answered: %(link)s"),
    Notice.followed_closed: N_("Case %(number)s, which you follow, was closed."),
    Notice.new_work: N_("Case %(number)s is now your department's to handle."),
    Notice.sign_soon: N_("Case %(number)s must be signed for within minutes."),
    Notice.due_soon: N_("The answer to case %(number)s is due soon."),
    Notice.overdue: N_("Case %(number)s is overdue."),
    Notice.supervised: N_("Case %(number)s is supervised (督办): %(text)s"),
    Notice.red_flag: N_("Case %(number)s is overdue and was supervised automatically (%(department)s)."),
    Notice.sent_back: N_("The centre sent back your text on case %(number)s: %(text)s"),
    Notice.instructed: N_("A leader's instruction (批示) on case %(number)s: %(text)s"),
    Notice.to_review: N_("A department's text on case %(number)s waits for review."),
    Notice.unsatisfied: N_("The filer of case %(number)s is not satisfied with the answer."),
    Notice.returned: N_("%(department)s returned case %(number)s: %(text)s"),
    Notice.extension_asked: N_("%(department)s asks for more time on case %(number)s."),
    Notice.leader_attention: N_("Case %(number)s is still unanswered long after its deadline (%(department)s)."),
    Notice.rating_disputed: N_("%(department)s disputes a rating of case %(number)s: %(text)s"),
    Notice.dispute_decided: N_("The centre decided on your dispute of a rating of case %(number)s."),
    # Its placeholders are its own (``wordings.DIGEST_PLACEHOLDERS``): a digest is of no one case.
    Notice.alert_digest: N_("%(count)s new public cases on %(day)s: %(topic)s"),
    Notice.co_sign_invited: N_("A representative invites you to co-sign a suggestion: %(link)s"),
    Notice.met: N_("%(department)s recorded its contact with you on suggestion %(number)s: %(text)s"),
    Notice.suggestion_answered: N_("%(department)s answered suggestion %(number)s. Read it and rate it: %(link)s"),
}
_SUBJECT = N_("Case %(number)s: %(notice)s")
_FOOTER = N_("Follow your case: %(link)s")
_UNSUBSCRIBE = N_("To stop these messages: %(link)s")
TEXT_CHARACTERS = 60  # of an entry's text in a notice; the link has the whole


@dataclass(frozen=True)
class Facts:
    """What a notice tells, read when it is sent."""

    number: str
    department: str  # in the subscriber's language; empty if none
    text: str  # the entry's text
    link: str  # the case's follow page (the rating form, for an answer), or the check link


@dataclass(frozen=True)
class Wording:
    subject: str
    line: str  # the notice in one line: the SMS, the push's body
    body: str  # the email's text: the line, the link, how to stop


def default_line(notice: Notice, language: str) -> str:
    """The notice's default line in ``language``, its placeholders as ``%(name)s``."""
    return i18n.translations(language).ugettext(_TEXTS[notice])


def needs_link(notice: Notice) -> bool:
    """Whether its line carries the link itself (the rating form, the address check)."""
    return "%(link)s" in _TEXTS[notice]


def wording(notice: Notice, facts: Facts, language: str, unsubscribe_link: str = "", edited: str | None = None) -> Wording:
    """The notice's words: its default line, or the wording an admin ``edited`` (``wordings``),
    with the facts put in."""
    gettext = i18n.translations(language).ugettext
    text = facts.text if len(facts.text) <= TEXT_CHARACTERS else facts.text[: TEXT_CHARACTERS - 1] + "…"
    values = {"number": facts.number, "department": facts.department, "text": text, "link": facts.link}
    line = edited.format_map(values) if edited else gettext(_TEXTS[notice]) % values
    # A draft has no number yet: its notice's label is the subject.
    label = gettext(NOTICE_LABELS[notice])
    subject = gettext(_SUBJECT) % {"number": facts.number, "notice": label} if facts.number else label
    parts = [line]
    if facts.link not in line:
        parts.append(gettext(_FOOTER) % {"link": facts.link})
    if unsubscribe_link:
        parts.append(gettext(_UNSUBSCRIBE) % {"link": unsubscribe_link})
    return Wording(subject, line, "\n\n".join(parts) + "\n")


def sms_segments(text: str) -> int:
    """How many messages a text costs: 160 GSM characters, or 70 of anything else (Chinese),
    in one; joined messages carry a header and hold 153 or 67 each."""
    if text.isascii():
        single, joined = 160, 153
    else:
        single, joined = 70, 67
    return 1 if len(text) <= single else -(-len(text) // joined)
