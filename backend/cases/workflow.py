"""The handling workflow: every action on a case goes through ``perform``, which consults the
lifecycle table, and every moderator decision on a department's public text through
``review``. Plain Python; pages, the JSON API and Open311 are adapters over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend import clock
from backend import events
from backend.cases import clock_columns
from backend.cases.actions import ActionInput, EntryDraft, WithPhotos, inputs_of
from backend.cases.lifecycle import TRANSITIONS, ClockEffect, refusal
from backend.cases.permissions import handler_scope
from backend.cases.services import STAFF_SEES, Actor, append_entry, case_of_follow_token, with_number
from backend.cases.tables import Case, CoHandler, Rating, TimelineEntry
from backend.db import lock_row, write_transaction
from backend.deadlines.limits import clock_policy
from backend.deadlines.services import working_calendar
from backend.errors import Forbidden, InvalidInput, NotFound, WrongState
from backend.events import PublicTextChanged
from backend.i18n_markers import N_
from backend.knowledge import templates
from backend.photos import services as photos
from backend.photos.services import MAX_PHOTOS_PER_CASE
from backend.text import clean_text
from backend.vocabulary import PUBLIC_STATUSES, Review, ReviewDecision, Role, Scope, Status, Visibility

TEXT_MAX = 5000


async def co_handlers(case_id: int) -> list[int]:
    return [row["department"] for row in await CoHandler.select(CoHandler.department).where(CoHandler.case == case_id)]


async def _department_scope(transition, actor: Actor, case: Case) -> Scope | None:
    """How the acting handler's department stands to the case, when the action asks."""
    if actor.role != Role.handler or transition.scope == Scope.none:
        return None
    return handler_scope(actor.department_id, case.department, await co_handlers(case.id))


def _text(body: str, needed: bool) -> str:
    text = clean_text(body, multiline=True)
    if needed and not text:
        raise InvalidInput(N_("Write the text this needs: a reason, a note or the reply."))
    if len(text) > TEXT_MAX:
        raise InvalidInput(N_("The text is too long (at most 5000 characters)."))
    return text


async def perform(number: str, inputs: ActionInput | str, actor: Actor, *, body: str = "") -> int:
    """Carry out one action of the lifecycle table; returns the timeline entry it wrote.

    ``inputs`` is the action's input (``actions.INPUTS``), or the name of an action that
    carries nothing but ``body`` as its text.

    Raises a Refusal: Forbidden (wrong role or department), NotFound (no such case),
    WrongState (wrong state), InvalidInput (what the action needs is missing).
    """
    if not isinstance(inputs, str):
        inputs = inputs.as_row()
    action = inputs if isinstance(inputs, str) else inputs.action
    if refused := refusal(action, actor.role):  # the action and the role, before the case is read
        raise refused[0](refused[1])
    if isinstance(inputs, str):
        inputs = inputs_of(action, body)
    elif body:
        raise TypeError("the text of a typed input is its own: give it as ``text``")
    transition = TRANSITIONS[action]
    text = _text(inputs.text, transition.needs_text)
    photo_keys = inputs.photo_keys if isinstance(inputs, WithPhotos) else []  # only where the row allows photos
    if len(photo_keys) > MAX_PHOTOS_PER_CASE:
        raise InvalidInput(N_("Add at most 6 photos."))
    now = clock.now()
    async with write_transaction():
        found = await Case.select(Case.id).where(with_number(number), STAFF_SEES).first()
        if found is None:
            raise NotFound(N_("There is no such case."))
        await lock_row(Case, found["id"])
        case = await Case.objects().where(Case.id == found["id"]).first()  # as of the lock
        scope = await _department_scope(transition, actor, case)
        if refused := refusal(action, actor.role, Status(case.status), scope, case.case_type):
            raise refused[0](refused[1])
        values: dict = {Case.updated_at: now}
        entry = EntryDraft(actor, transition.visibility, Review.pending if transition.reviewed else Review.none, text)
        await inputs.apply(case, entry, values)
        values |= await _clock_values(transition.clock, case, now, entry.due_at)
        to_state = Status(values[Case.status]) if transition.restores else transition.to_state
        if to_state is not None:
            values[Case.status] = to_state.value
            # Only a person who has read the text publishes it (``publish`` after the system's ``route``).
            if to_state in PUBLIC_STATUSES and case.publication_consent and case.published_at is None and actor.role != Role.system:
                values[Case.published_at] = case.published_at = now
        await Case.update(values).where(Case.id == case.id)
        if case.published_at is not None and (case.published_at == now or action == "redact"):
            await events.emit(PublicTextChanged(case.id))
        entry_id = await append_entry(
            case.id, action, to_state, entry.actor, entry.visibility, entry.text, now,
            review=entry.review, refers_to=entry.refers_to, due_at=entry.due_at, personal=entry.personal,
        )
        if entry.rating is not None:
            await Rating.insert(Rating(**entry.rating, entry=entry_id, created_at=now))
        if photo_keys:
            attached = await photos.attach_to_entry(list(photo_keys), case.id, entry_id)
            if attached != len(photo_keys):  # rolls the whole action back
                raise InvalidInput(N_("A photo could not be found. Please add it again."))
        return entry_id


FILER = Actor(Role.citizen)


async def perform_for_filer(token: str, inputs: ActionInput) -> int:
    """The filer's own action (a rating, a withdrawal), through their private follow link: as
    ``perform``, for the case the link belongs to. Raises NotFound if no case has the link."""
    case = await case_of_follow_token(token)
    if case is None:
        raise NotFound(N_("There is no such case."))
    return await perform(case["number"], inputs, FILER)


async def _clock_values(clock_effect: ClockEffect, case: Case, now: datetime, due_at: datetime | None = None) -> dict:
    # Only starting, restarting (a reopen) or extending the clocks computes in working time: the
    # calendar and the admins' limits are read only then.
    timed = clock_effect in (ClockEffect.start, ClockEffect.reopen, ClockEffect.extend)
    calendar = await working_calendar() if timed else None
    policy = await clock_policy() if timed else None
    return clock_columns.effect(clock_effect, case, now, calendar, policy, due_at)


async def review(entry_id: int, decision: str, actor: Actor, *, body: str = "") -> int:
    """A moderator's decision on a department's public text; returns the entry it wrote.

    Approving or editing publishes it (a reply then answers the case); an edit is a new entry,
    and the department's original stays in the history for staff. Sending back needs a comment.
    """
    if actor.role not in {Role.moderator, Role.system}:
        raise Forbidden(N_("Your role may not do this."))
    if decision not in ReviewDecision.__members__:
        raise WrongState(N_("This action does not exist."))
    decision = ReviewDecision(decision)
    text = _text(body, decision != ReviewDecision.approve)
    now = clock.now()
    async with write_transaction():
        draft = await TimelineEntry.objects().where(TimelineEntry.id == entry_id).first()
        if draft is None:
            raise NotFound(N_("There is no such entry."))
        await lock_row(Case, draft.case)
        draft = await TimelineEntry.objects().where(TimelineEntry.id == entry_id).first()
        case = await Case.objects().where(Case.id == draft.case).first()
        if draft.review != Review.pending.value:
            raise WrongState(N_("This text has already been dealt with."))
        if decision == ReviewDecision.send_back:
            await TimelineEntry.update({TimelineEntry.review: Review.sent_back.value}).where(TimelineEntry.id == draft.id)
            return await append_entry(case.id, "review_send_back", None, actor, Visibility.internal, text, now, refers_to=draft.id)
        published_by = Actor(Role(draft.actor_role), draft.actor_name, draft.department)
        if decision == ReviewDecision.edit:
            await TimelineEntry.update({TimelineEntry.review: Review.replaced.value}).where(TimelineEntry.id == draft.id)
            await append_entry(
                case.id, draft.action, None, published_by, Visibility.public, text, now, review=Review.approved, refers_to=draft.id
            )
        else:
            await TimelineEntry.update({TimelineEntry.review: Review.approved.value}).where(TimelineEntry.id == draft.id)
        transition = TRANSITIONS[draft.action]
        to_state = transition.approved_to_state
        # The department answered when it wrote the text: the centre's review time is not its delay.
        values: dict = {Case.updated_at: now, **await _clock_values(transition.approved_clock, case, draft.created_at)}
        if to_state is not None and Status(case.status) in transition.from_states:
            values[Case.status] = to_state.value
        await Case.update(values).where(Case.id == case.id)
        return await append_entry(
            case.id, f"review_{decision.value}", to_state, actor, Visibility.internal, "", now, refers_to=draft.id
        )


@dataclass(frozen=True)
class PendingText:
    entry_id: int
    case_number: str
    case_title: str
    action: str
    department_name: str
    body: str
    created_at: datetime
    photos: list[photos.PhotoView]  # to redact on the case's page before publishing, if need be
    repeats_template: str | None = None  # a reply that is only this template's text (seed 003: no perfunctory replies)


async def pending_review_count() -> int:
    return await TimelineEntry.count().where(TimelineEntry.review == Review.pending.value)


async def pending_reviews(limit: int = 200) -> list[PendingText]:
    """The moderators' review queue, oldest first."""
    rows = (
        await TimelineEntry.select(
            TimelineEntry.id.as_alias("entry_id"),
            TimelineEntry.case.number.as_alias("case_number"),
            TimelineEntry.case.title.as_alias("case_title"),
            TimelineEntry.action,
            TimelineEntry.actor_name.as_alias("department_name"),
            TimelineEntry.body,
            TimelineEntry.created_at,
            TimelineEntry.department,
        )
        .where(TimelineEntry.review == Review.pending.value)
        .order_by(TimelineEntry.id)
        .limit(limit)
    )
    entry_photos = await photos.photos_of_entries([row["entry_id"] for row in rows], for_staff=True)
    usable = await templates.templates_of_departments({row["department"] for row in rows if row["department"] is not None})
    pending = []
    for row in rows:
        department = row.pop("department")
        repeats = templates.repeats_template(row["body"], usable[department]) if row["action"] == "draft_reply" else None
        pending.append(PendingText(**row, photos=entry_photos[row["entry_id"]], repeats_template=repeats))
    return pending
