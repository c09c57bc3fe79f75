"""The filer's satisfaction with an answer: the rating form's rules, the rating itself (a
lifecycle action through ``workflow.perform``), closing answers nobody rated, and the
moderators' decisions to publish ratings on the public case page. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend import clock
from backend.cases import actions, services, workflow
from backend.cases.actions import INPUTS, CloseUnrated
from backend.vocabulary import Publication, PublicationDecision, Role, Satisfaction, Solved, Status, Visibility
from backend.cases.lifecycle import MODERATORS, rating_action
from backend.cases.services import Actor, append_entry
from backend.cases.tables import Case, Rating
from backend.db import lock_row, write_transaction
from backend.errors import FieldErrors, Forbidden, InvalidInput, NotFound, Refusal, WrongState
from backend.i18n_markers import N_
from backend.photos import services as photos
from backend.settings import get_settings
from backend.text import clean_text

COMMENT_MAX = 1000
SYSTEM = Actor(Role.system)
ALREADY_RATED = N_("You have already rated this answer. If the department answers again, you can rate the new answer.")


@dataclass
class RatingForm:
    """What the filer typed, as text, so that a form with errors comes back as it was."""

    satisfaction: str = ""
    solved: str = ""
    comment: str = ""
    photo_keys: list[str] = field(default_factory=list)


class RatingError(FieldErrors):
    pass


@dataclass(frozen=True)
class ValidRating:
    satisfaction: Satisfaction
    solved: Solved
    comment: str
    photo_keys: tuple[str, ...]


def validate(form: RatingForm) -> ValidRating:
    """Raises ``RatingError`` with every problem of the form."""
    errors: dict[str, str] = {}
    satisfaction, solved = clean_text(form.satisfaction), clean_text(form.solved)
    if satisfaction not in Satisfaction._value2member_map_:
        errors["satisfaction"] = N_("Choose how satisfied you are with the answer.")
    if solved not in Solved._value2member_map_:
        errors["solved"] = N_("Say whether the problem was actually solved.")
    comment = clean_text(form.comment, multiline=True)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("The comment is too long (at most 1000 characters).")
    photo_keys = tuple(dict.fromkeys(form.photo_keys))
    if len(photo_keys) > 1:
        errors["photos"] = N_("Add at most one photo.")
    if errors:
        raise RatingError(errors)
    return ValidRating(Satisfaction(satisfaction), Solved(solved), comment, photo_keys)


async def rate(token: str, form: RatingForm) -> int:
    """The filer rates the published answer, once per answer; returns the rating's timeline entry.

    Satisfied (or basically) and at least partly solved closes the loop; anything else goes to
    the moderators. Raises NotFound (no case has this link) or WrongState (nothing to rate
    now), RatingError for the form.
    """
    case = await services.case_of_follow_token(token)
    if case is None:
        raise NotFound(N_("There is no such case."))
    if case["status"] != Status.replied.value:
        # Said plainly here; ``perform`` checks the state again under the row lock.
        reply = await actions.published_reply(case["id"])
        if reply is None:
            raise WrongState(actions.NOT_ANSWERED_YET)
        rated = await Rating.exists().where(Rating.reply == reply)
        raise WrongState(ALREADY_RATED if rated else N_("This answer can no longer be rated."))
    valid = validate(form)
    if len(await photos.unattached_photos(list(valid.photo_keys))) != len(valid.photo_keys):
        raise RatingError({"photos": N_("A photo could not be found. Please add it again.")})
    rating = INPUTS[rating_action(valid.satisfaction, valid.solved)](
        text=valid.comment, satisfaction=valid.satisfaction.value, solved=valid.solved.value, photo_keys=list(valid.photo_keys)
    )
    return await workflow.perform(case["number"], rating, workflow.FILER)


async def close_unrated(now: datetime) -> int:
    """Close, as not rated, every case whose published answer the filer has not rated within
    ``MINSHENG_RATING_DAYS`` of ``now``; returns how many this call closed.

    Idempotent, and safe to run from several processes at once: ``perform`` takes each case's
    row lock and checks it is still answered (and answered long enough ago), so each case is
    closed by one run only, with one timeline entry; the others skip it.
    """
    cutoff = now - timedelta(days=get_settings().rating_days)
    due = await Case.select(Case.number).where(Case.status == Status.replied.value, Case.answered_at <= cutoff).order_by(Case.answered_at)
    closed = 0
    for row in due:
        try:
            await workflow.perform(row["number"], CloseUnrated(replied_before=cutoff), SYSTEM)
        except Refusal as refused:
            if not isinstance(refused, WrongState):
                raise
            continue  # rated meanwhile, or closed by another run
        closed += 1
    return closed


async def decide_publication(rating_id: int, decision: str, actor: Actor, *, comment: str = "") -> int:
    """A moderator publishes a rating on the public case page, with ``comment`` (the filer's
    comment edited of personal data, or nothing), or keeps it from the public. The filer's own
    words stay in the rating's timeline entry, for staff. Returns the entry this writes."""
    if actor.role not in MODERATORS:
        raise Forbidden(N_("Your role may not do this."))
    if decision not in PublicationDecision._value2member_map_:
        raise WrongState(N_("This action does not exist."))
    decision = PublicationDecision(decision)
    text = clean_text(comment, multiline=True) if decision == PublicationDecision.publish else ""
    if len(text) > COMMENT_MAX:
        raise InvalidInput(N_("The comment is too long (at most 1000 characters)."))
    now = clock.now()
    async with write_transaction():
        found = await Rating.select(Rating.case).where(Rating.id == rating_id).first()
        if found is None:
            raise NotFound(N_("There is no such rating."))
        await lock_row(Case, found["case"])
        rating = await Rating.objects().where(Rating.id == rating_id).first()  # as of the lock
        if rating.publication != Publication.pending.value:
            raise WrongState(N_("This rating has already been dealt with."))
        publication = Publication.published if decision == PublicationDecision.publish else Publication.withheld
        await Rating.update(
            {Rating.publication: publication.value, Rating.published_comment: text, Rating.decided_at: now}
        ).where(Rating.id == rating.id)
        return await append_entry(
            rating.case, f"rating_{decision.value}", None, actor, Visibility.internal, "", now, refers_to=rating.entry
        )


@dataclass(frozen=True)
class PendingRating:
    rating_id: int
    case_number: str
    case_title: str
    satisfaction: str
    solved: str
    comment: str  # as the filer wrote it
    created_at: datetime
    photos: list[photos.PhotoView]  # to redact on the case's page before publishing, if need be
    outcome: str = ""  # a representative's two-scale rating of a suggestion's answer
    attitude: str = ""


async def pending_rating_count() -> int:
    return await Rating.count().where(Rating.publication == Publication.pending.value)


async def pending_ratings(limit: int = 200) -> list[PendingRating]:
    """The moderators' queue of ratings to publish, oldest first."""
    rows = (
        await Rating.select(
            Rating.id.as_alias("rating_id"),
            Rating.case.number.as_alias("case_number"),
            Rating.case.title.as_alias("case_title"),
            Rating.satisfaction,
            Rating.solved,
            Rating.outcome,
            Rating.attitude,
            Rating.entry.body.as_alias("comment"),
            Rating.created_at,
            Rating.entry.as_alias("entry_id"),
        )
        .where(Rating.publication == Publication.pending.value)
        .order_by(Rating.id)
        .limit(limit)
    )
    entry_ids = [row.pop("entry_id") for row in rows]
    entry_photos = await photos.photos_of_entries(entry_ids, for_staff=True)
    return [PendingRating(**row, photos=entry_photos[entry_id]) for row, entry_id in zip(rows, entry_ids)]

