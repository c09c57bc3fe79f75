"""Callback verification (回访): the centre calls filers back about published answers, and
departments dispute ratings they find unreasonable. No HTTP here.

The queue: the clock job ``queue_callbacks`` puts in it, once per published reply, every answer
to a case taken by phone or letter (at once), every answer the filer did not rate within
``MINSHENG_CALLBACK_DAYS``, and of the answers rated online in that time a sample, chosen per
case by a hash of its number (``sampled``), so every run chooses the same cases. Each insert is
``ON CONFLICT (reply) DO NOTHING``: several workers at once queue a reply once.

Recording a callback is the lifecycle's ``record_callback`` row (``actions.RecordCallback``):
reached, it leaves the queue with what the filer said; not reached, it stays, one attempt more.
The department figures count callbacks that reached the filer (coverage, sampled satisfaction:
``figures``), and a dispute upheld takes a rating out of them.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.columns.combination import WhereRaw

from backend.cases.lifecycle import CALLED_BACK
from backend.cases.tables import Callback, Case, Rating, RatingDispute, TimelineEntry
from backend.errors import WrongState
from backend.i18n_markers import N_
from backend.settings import get_settings
from backend.vocabulary import CaseType, Review, Satisfaction, Solved


class Reason(str, enum.Enum):
    phone = "phone"  # taken by the 12345 hotline
    letter = "letter"  # taken from a letter to the mailbox
    unrated = "unrated"  # the filer did not rate the answer in time
    sample = "sample"  # rated online, and drawn for a check
    by_hand = "by_hand"  # recorded by a moderator without being queued


REASON_LABELS = {
    Reason.phone: N_("Taken by phone"),
    Reason.letter: N_("Taken by letter"),
    Reason.unrated: N_("Not rated in time"),
    Reason.sample: N_("Sample of rated answers"),
    Reason.by_hand: N_("Called by hand"),
}
BY_SOURCE = {"hotline": Reason.phone, "mailbox": Reason.letter}


class DisputeStatus(str, enum.Enum):
    pending = "pending"
    upheld = "upheld"  # the rating no longer counts in the department's figures
    rejected = "rejected"  # the rating stands


def sampled(number: str, share: float) -> bool:
    """Whether the case numbered ``number`` is in the sample of ``share`` (0 to 1): a hash of the
    number, so the same case is drawn by every run, in every process, at any time."""
    drawn = int.from_bytes(hashlib.sha256(f"callback-sample:{number}".encode()).digest()[:8], "big")
    return drawn < share * 2**64


def reason_for(source: str, number: str, rated: bool, answered_at: datetime, now: datetime, days: int, share: float) -> Reason | None:
    """Why a published answer goes to the callback queue now, or None (not yet, or not at all).
    Phone and letter at once; an answer taken online waits for the filer's rating for ``days``:
    not rated by then, it is called back; rated, it is if its case is in the sample."""
    if source in BY_SOURCE:
        return BY_SOURCE[source]
    if not rated and answered_at > now - timedelta(days=days):
        return None  # the filer may still rate it online
    if not rated:
        return Reason.unrated
    return Reason.sample if sampled(number, share) else None


# How far back the job looks for answers: a reply is queued within days of its answer, so
# older ones never need reading again.
LOOKBACK = timedelta(days=60)
_PUBLISHED = ((TimelineEntry.action == "draft_reply") & (TimelineEntry.review == Review.approved.value)) | (
    TimelineEntry.action == "answer_from_knowledge"
)


async def queue_callbacks(now: datetime) -> int:
    """Clock job: queue the answers due for a callback; returns how many this call queued."""
    settings = get_settings()
    cases = await Case.select(Case.id, Case.number, Case.source, Case.answered_at).where(
        Case.status.is_in([status.value for status in CALLED_BACK]),
        Case.case_type != CaseType.representative.value,
        Case.answered_at >= now - LOOKBACK,
        Case.anonymised_at.is_null(),  # no contact details left to call
        # No callback for the latest answer yet (a callback queued since the answer is its).
        WhereRaw('NOT EXISTS (SELECT 1 FROM callback WHERE callback."case" = cases.id AND callback.queued_at >= cases.answered_at)'),
    )
    if not cases:
        return 0
    ids = [case["id"] for case in cases]
    replies: dict[int, int] = {}
    for entry in await TimelineEntry.select(TimelineEntry.id, TimelineEntry.case).where(TimelineEntry.case.is_in(ids), _PUBLISHED):
        replies[entry["case"]] = max(entry["id"], replies.get(entry["case"], 0))
    rated = {row["reply"] for row in await Rating.select(Rating.reply).where(Rating.case.is_in(ids))}
    due = []
    for case in cases:
        reply = replies.get(case["id"])
        if reply is None:
            continue
        reason = reason_for(
            case["source"], case["number"], reply in rated, case["answered_at"], now, settings.callback_days, settings.callback_share
        )
        if reason is not None:
            due.append(Callback(case=case["id"], reply=reply, reason=reason.value, queued_at=now))
    if not due:
        return 0
    queued = await Callback.insert(*due).on_conflict(target=Callback.reply, action="DO NOTHING").returning(Callback.id)
    return len(queued)


ALREADY_CALLED = N_("The filer was already called back about this answer.")


async def record(case_id: int, reply: int, spoken: tuple[Satisfaction, Solved] | None, now: datetime) -> None:
    """A callback about ``reply``, under the case's row lock (``actions.RecordCallback``): what
    the filer said, or (``spoken`` None) one more attempt that did not reach them."""
    await Callback.insert(Callback(case=case_id, reply=reply, reason=Reason.by_hand.value, queued_at=now)).on_conflict(
        target=Callback.reply, action="DO NOTHING"
    )
    callback = await Callback.objects().where(Callback.reply == reply).first()
    if callback.reached_at is not None:
        raise WrongState(ALREADY_CALLED)
    if spoken is None:
        values = {Callback.attempts: callback.attempts + 1}
    else:
        values = {Callback.reached_at: now, Callback.satisfaction: spoken[0].value, Callback.solved: spoken[1].value}
    await Callback.update(values).where(Callback.id == callback.id)


async def open_dispute(case_id: int, department: int, now: datetime) -> int:
    """The lead department disputes the case's latest rating, online or on a callback (under the
    case's row lock); returns the timeline entry it refers to (the rating, or the reply called
    back about)."""
    rating = await Rating.select(Rating.id, Rating.entry, Rating.created_at).where(Rating.case == case_id).order_by(Rating.id, ascending=False).first()
    callback = (
        await Callback.select(Callback.id, Callback.reply, Callback.reached_at)
        .where(Callback.case == case_id, Callback.reached_at.is_not_null())
        .order_by(Callback.reached_at, ascending=False)
        .first()
    )
    if rating is None and callback is None:
        raise WrongState(N_("There is no rating of this case to dispute."))
    if callback is None or (rating is not None and rating["created_at"] > callback["reached_at"]):
        target, refers_to = {"rating": rating["id"]}, rating["entry"]
        taken = RatingDispute.rating == rating["id"]
    else:
        target, refers_to = {"callback": callback["id"]}, callback["reply"]
        taken = RatingDispute.callback == callback["id"]
    if await RatingDispute.exists().where(taken):
        raise WrongState(N_("This rating has already been disputed."))
    await RatingDispute.insert(
        RatingDispute(case=case_id, department=department, status=DisputeStatus.pending.value, created_at=now, **target)
    )
    return refers_to


async def dispute_pending(case_id: int) -> bool:
    """Whether a department's dispute of a rating of this case waits for the centre's decision."""
    return await RatingDispute.exists().where(RatingDispute.case == case_id, RatingDispute.status == DisputeStatus.pending.value)


async def decide_dispute(case_id: int, decision: DisputeStatus, now: datetime) -> int:
    """A moderator's decision on the case's dispute waiting for one (under the case's row lock);
    returns the timeline entry the disputed rating refers to."""
    dispute = (
        await RatingDispute.select(RatingDispute.id, RatingDispute.rating.entry.as_alias("entry"), RatingDispute.callback.reply.as_alias("reply"))
        .where(RatingDispute.case == case_id, RatingDispute.status == DisputeStatus.pending.value)
        .first()
    )
    if dispute is None:
        raise WrongState(N_("No dispute of this case waits for a decision."))
    await RatingDispute.update({RatingDispute.status: decision.value, RatingDispute.decided_at: now}).where(RatingDispute.id == dispute["id"])
    return dispute["entry"] or dispute["reply"]


# --- the moderators' lists --------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedCallback:
    case_number: str
    case_title: str
    department_name: str
    department_name_en: str
    reason: str
    queued_at: datetime
    attempts: int


async def queue(limit: int = 200) -> list[QueuedCallback]:
    """The callbacks still to make, oldest first (a case the centre sent back since leaves it)."""
    rows = (
        await Callback.select(
            Callback.case.number.as_alias("case_number"),
            Callback.case.title.as_alias("case_title"),
            Callback.case.department.name.as_alias("department_name"),
            Callback.case.department.name_en.as_alias("department_name_en"),
            Callback.reason,
            Callback.queued_at,
            Callback.attempts,
        )
        .where(*_waiting())
        .order_by(Callback.queued_at)
        .order_by(Callback.id)
        .limit(limit)
    )
    return [QueuedCallback(**{**row, "department_name": row["department_name"] or "", "department_name_en": row["department_name_en"] or ""}) for row in rows]


def _waiting() -> list:
    return [Callback.reached_at.is_null(), Callback.case.status.is_in([status.value for status in CALLED_BACK])]


async def queue_count() -> int:
    return await Callback.count().where(*_waiting())


@dataclass(frozen=True)
class PendingDispute:
    case_number: str
    case_title: str
    department_name: str
    department_name_en: str
    created_at: datetime


async def pending_disputes(limit: int = 200) -> list[PendingDispute]:
    rows = (
        await RatingDispute.select(
            RatingDispute.case.number.as_alias("case_number"),
            RatingDispute.case.title.as_alias("case_title"),
            RatingDispute.department.name.as_alias("department_name"),
            RatingDispute.department.name_en.as_alias("department_name_en"),
            RatingDispute.created_at,
        )
        .where(RatingDispute.status == DisputeStatus.pending.value)
        .order_by(RatingDispute.id)
        .limit(limit)
    )
    return [PendingDispute(**row) for row in rows]


async def pending_dispute_count() -> int:
    return await RatingDispute.count().where(RatingDispute.status == DisputeStatus.pending.value)
