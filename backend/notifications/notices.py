"""What the filer hears of, and in which words: the timeline's entries that are notices, and
each notice's text in the subscriber's language (short: an SMS is 70 Chinese characters a
segment, and a push shows two lines)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backend.i18n_markers import N_
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
    new_work = "new_work"  # for a department's handlers: a case assigned (or sent back) to it


# The filer's default notices, by the action of the timeline entry that tells of them. Progress
# and answers are the moderators' reviews of a department's text (``review_*``), by the action
# of the text they published.
FILER_NOTICES = {
    "accept": Notice.accepted,
    "reject": Notice.rejected,
    "assign": Notice.assigned,
    "escalate": Notice.assigned,
    "grant_extension": Notice.extended,
    "reopen": Notice.reopened,
    "close": Notice.closed,
    "close_unrated": Notice.closed,
    "answer_from_knowledge": Notice.answered,  # published at once, with no review
}
PUBLISHED_NOTICES = {"post_progress": Notice.progress, "draft_reply": Notice.answered}
# A department's handlers hear of the work that comes to their department.
STAFF_NOTICES = {"assign": Notice.new_work, "escalate": Notice.new_work, "reopen": Notice.new_work}
PUBLISHING_REVIEWS = ("review_approve", "review_edit")

NOTICE_LABELS = {
    Notice.verify: N_("Email address check"),
    Notice.accepted: N_("Accepted"),
    Notice.rejected: N_("Not accepted"),
    Notice.assigned: N_("Assigned"),
    Notice.progress: N_("Progress update"),
    Notice.answered: N_("Answer published"),
    Notice.extended: N_("Extension granted"),
    Notice.reopened: N_("Reopened"),
    Notice.closed: N_("Closed"),
    Notice.new_work: N_("New work"),
}

# One line each; %(text)s is the entry's text (a reason, a progress post), cut short.
_TEXTS = {
    Notice.verify: N_("Please confirm that you want news of case %(number)s by email: %(link)s"),
    Notice.accepted: N_("Case %(number)s was accepted for handling."),
    Notice.rejected: N_("Case %(number)s was not accepted. Reason: %(text)s"),
    Notice.assigned: N_("Case %(number)s was assigned to %(department)s."),
    Notice.progress: N_("Progress on case %(number)s: %(text)s"),
    Notice.answered: N_("Case %(number)s has been answered. Read the answer and rate it: %(link)s"),
    Notice.extended: N_("The deadline of case %(number)s was extended."),
    Notice.reopened: N_("Case %(number)s was reopened: the department handles it again."),
    Notice.closed: N_("Case %(number)s was closed."),
    Notice.new_work: N_("Case %(number)s is now your department's to handle."),
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


def wording(notice: Notice, facts: Facts, language: str, unsubscribe_link: str = "") -> Wording:
    gettext = i18n.translations(language).ugettext
    text = facts.text if len(facts.text) <= TEXT_CHARACTERS else facts.text[: TEXT_CHARACTERS - 1] + "…"
    line = gettext(_TEXTS[notice]) % {"number": facts.number, "department": facts.department, "text": text, "link": facts.link}
    subject = gettext(_SUBJECT) % {"number": facts.number, "notice": gettext(NOTICE_LABELS[notice])}
    parts = [line]
    if "%(link)s" not in _TEXTS[notice]:
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
