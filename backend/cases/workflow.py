"""The handling workflow: every action on a case goes through ``perform``, which consults the
lifecycle table, and every moderator decision on a department's public text through
``review``. Plain Python; pages, the JSON API and Open311 are adapters over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from backend import clock
from backend import events
from backend.cases import clock_columns
from backend.cases.actions import (
    Accept,
    ActionInput,
    Assign,
    BlackOutPhoto,
    CloseUnrated,
    Escalate,
    GrantExtension,
    HidePhoto,
    Instruct,
    MarkDuplicate,
    PostProgress,
    RateSatisfied,
    RateSuggestionSatisfied,
    RateSuggestionUnsatisfied,
    Redact,
    RefuseExtension,
    Reopen,
    RequestExtension,
    RestorePhoto,
    Return,
    ShowPhoto,
    Supervise,
    TakeCharge,
    WithPhotos,
    inputs_of,
)
from backend.cases.filing import DESCRIPTION_MAX, TITLE_MAX
from backend.vocabulary import (
    CITIZEN_CASE_TYPES,
    PUBLIC_STATUSES,
    Publication,
    Review,
    ReviewDecision,
    Role,
    Satisfaction,
    Scope,
    Solved,
    Status,
    Visibility,
)
from backend.cases.lifecycle import (
    RATING_ACTIONS,
    SUGGESTION_RATING_ACTIONS,
    TRANSITIONS,
    ClockEffect,
    overall_satisfaction,
    refusal,
    rating_action,
    suggestion_rating_action,
)
from backend.cases.permissions import handler_scope
from backend.cases.services import STAFF_SEES, Actor, append_entry, with_number
from backend.cases.tables import Case, CoHandler, Rating, TimelineEntry
from backend.db import lock_row, write_transaction
from backend.events import PublicTextChanged
from backend.deadlines.clocks import add_months
from backend.deadlines.limits import clock_policy
from backend.deadlines.services import working_calendar
from backend.departments.services import AREA_UNAVAILABLE, get_active_category, is_active_area
from backend.departments.tables import Department
from backend.i18n_markers import N_
from backend.photos import services as photos
from backend.photos.pipeline import Region
from backend.photos.services import MAX_PHOTOS_PER_CASE
from backend.photos.tables import Photo
from backend.representatives.tables import Suggestion
from backend.settings import get_settings
from backend.text import clean_text
from backend.errors import Forbidden, InvalidInput, NotFound, WrongState

TEXT_MAX = 5000
MAX_CO_HANDLERS = 10


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


async def _departments_exist(ids: list[int]) -> bool:
    return len(ids) == await Department.count().where(Department.id.is_in(ids)) if ids else True


async def perform(number: str, inputs: ActionInput | str, actor: Actor, *, body: str = "") -> int:
    """Carry out one action of the lifecycle table; returns the timeline entry it wrote.

    ``inputs`` is the action's input (``actions.INPUTS``), or the name of an action that
    carries nothing but ``body`` as its text.

    Raises a Refusal: Forbidden (wrong role or department), NotFound (no such case),
    WrongState (wrong state), InvalidInput (what the action needs is missing).
    """
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
        entry = _Entry(actor, transition.visibility, Review.pending if transition.reviewed else Review.none, text)
        if specific := _SPECIFICS.get(action):
            await specific(case, inputs, entry, values)
        values |= await _clock_values(transition.clock, case, now, entry.due_at)
        to_state = transition.to_state
        if to_state is not None:
            values[Case.status] = to_state.value
            if to_state in PUBLIC_STATUSES and case.publication_consent and case.published_at is None:
                values[Case.published_at] = case.published_at = now
        await Case.update(values).where(Case.id == case.id)
        if case.published_at is not None and (case.published_at == now or action == "redact"):
            await events.emit(PublicTextChanged(case.id))
        entry_id = await append_entry(
            case.id, action, to_state, entry.actor, entry.visibility, entry.text, now,
            review=entry.review, refers_to=entry.refers_to, due_at=entry.due_at,
        )
        if entry.rating is not None:
            await Rating.insert(Rating(**entry.rating, entry=entry_id, created_at=now))
        if photo_keys:
            attached = await photos.attach_to_entry(list(photo_keys), case.id, entry_id)
            if attached != len(photo_keys):  # rolls the whole action back
                raise InvalidInput(N_("A photo could not be found. Please add it again."))
        return entry_id


async def _clock_values(clock_effect: ClockEffect, case: Case, now: datetime, due_at: datetime | None = None) -> dict:
    # Only starting, restarting (a reopen) or extending the clocks computes in working time: the
    # calendar and the admins' limits are read only then.
    timed = clock_effect in (ClockEffect.start, ClockEffect.reopen, ClockEffect.extend)
    calendar = await working_calendar() if timed else None
    policy = await clock_policy() if timed else None
    return clock_columns.effect(clock_effect, case, now, calendar, policy, due_at)


@dataclass
class _Entry:
    """The timeline entry an action is about to write; an action's specifics may change it."""

    actor: Actor
    visibility: Visibility
    review: Review
    text: str
    due_at: datetime | None = None
    refers_to: int | None = None  # rate_*: the reply rated
    rating: dict | None = None  # rate_*: the Rating row's values, saved with the entry


async def _accept(case: Case, inputs: Accept, entry: _Entry, values: dict) -> None:
    if inputs.case_type is not None and inputs.case_type != case.case_type:
        # A representative's suggestion stays one (it has its representatives), and nothing becomes one.
        citizen_types = {t.value for t in CITIZEN_CASE_TYPES}
        if inputs.case_type not in citizen_types or case.case_type not in citizen_types:
            raise InvalidInput(N_("Choose the type of case."))
        values[Case.case_type] = inputs.case_type
    if inputs.category_id is not None:
        if await get_active_category(inputs.category_id) is None:
            raise InvalidInput(N_("Choose a category."))
        values[Case.category] = inputs.category_id
    if inputs.area_id is not None:
        if not await is_active_area(inputs.area_id):
            raise InvalidInput(AREA_UNAVAILABLE)
        values[Case.area] = inputs.area_id
    if inputs.make_private:
        values[Case.publication_consent] = False
        case.publication_consent = False  # so that accepting does not publish it


async def _mark_duplicate(case: Case, inputs: MarkDuplicate, entry: _Entry, values: dict) -> None:
    original, number = None, inputs.duplicate_of.strip()
    if number != case.number:
        original = await Case.select(Case.id, Case.status).where(with_number(number)).first()
    if original is None or original["status"] == Status.duplicate.value:
        raise InvalidInput(N_("Give the number of the case this one repeats."))
    values[Case.duplicate_of] = original["id"]


async def _redact(case: Case, inputs: Redact, entry: _Entry, values: dict) -> None:
    title = clean_text(inputs.title if inputs.title is not None else case.title)
    description = clean_text(inputs.description if inputs.description is not None else case.description, multiline=True)
    if not 4 <= len(title) <= TITLE_MAX:
        raise InvalidInput(N_("Give a short title (4 to 80 characters)."))
    if not 10 <= len(description) <= DESCRIPTION_MAX:
        raise InvalidInput(N_("The description must be 10 to 5000 characters."))
    if title == case.title and description == case.description:
        raise InvalidInput(N_("Nothing was changed."))
    # The entry keeps what was there before, for staff: nothing a citizen wrote is lost.
    entry.text = "\n\n".join(filter(None, [entry.text, case.title, case.description]))
    values[Case.title] = title
    values[Case.description] = description


async def _assign(case: Case, inputs: Assign, entry: _Entry, values: dict) -> None:
    lead = inputs.department_id
    co = sorted(set(inputs.co_department_ids) - {lead})
    if lead is None or not await _departments_exist([lead]):
        raise WrongState(N_("Choose the department that will handle this case."))
    if len(co) > MAX_CO_HANDLERS or not await _departments_exist(co):
        raise InvalidInput(N_("Choose co-handling departments from the list."))
    values[Case.department] = lead
    await CoHandler.delete().where(CoHandler.case == case.id)
    if co:
        await CoHandler.insert(*[CoHandler(case=case.id, department=department) for department in co])


async def _staff_only_if_asked(case: Case, inputs: PostProgress | Supervise | Instruct, entry: _Entry, values: dict) -> None:
    if inputs.internal:
        entry.visibility, entry.review = Visibility.internal, Review.none


async def _supervise(case: Case, inputs: Supervise, entry: _Entry, values: dict) -> None:
    await _staff_only_if_asked(case, inputs, entry, values)
    values[Case.supervised_at] = values[Case.updated_at]  # now


async def _escalate(case: Case, inputs: Escalate, entry: _Entry, values: dict) -> None:
    lead = inputs.department_id
    if lead is None or not await _departments_exist([lead]):
        raise InvalidInput(N_("Choose the department that will handle this case."))
    if lead == case.department:
        raise InvalidInput(N_("Choose another department than the one handling the case now."))
    values[Case.department] = lead
    # Co-handlers stay; the new lead is no longer one of them.
    await CoHandler.delete().where(CoHandler.case == case.id, CoHandler.department == lead)


async def _take_charge(case: Case, inputs: TakeCharge, entry: _Entry, values: dict) -> None:
    if entry.actor.account_id is None:
        raise Forbidden(N_("Your role may not do this."))
    if case.leader == entry.actor.account_id:
        raise WrongState(N_("You have already taken charge of this case."))
    values[Case.leader] = entry.actor.account_id


async def _return(case: Case, inputs: Return, entry: _Entry, values: dict) -> None:
    # Back to the moderators; the entry records which department returned it.
    values[Case.department] = None
    await CoHandler.delete().where(CoHandler.case == case.id)


MAX_EXTENSION_MONTHS = 12


async def _request_extension(case: Case, inputs: RequestExtension, entry: _Entry, values: dict) -> None:
    due_at = end_of_day(inputs.due_date) if inputs.due_date else None
    if due_at is None or due_at <= clock.now():
        raise InvalidInput(N_("Give the new date you ask for, in the future."))
    if case.answer_due_at and due_at <= case.answer_due_at:
        raise InvalidInput(N_("An extension must end after the current answer deadline."))
    # A typed date: within a year, like every date a person gives the clocks.
    if due_at.date() > add_months(clock.now().astimezone(due_at.tzinfo), MAX_EXTENSION_MONTHS).date():
        raise InvalidInput(N_("An extension can end at most a year from today."))
    if await _open_extension_request(case.id) is not None:
        raise WrongState(N_("An extension request is already waiting for an answer."))
    entry.due_at = due_at


def end_of_day(day: date) -> datetime:
    """A day asked for, as the clocks count it: its last minute, in the platform's time zone."""
    return datetime.combine(day, time(23, 59), tzinfo=ZoneInfo(get_settings().time_zone))


async def _open_extension_request(case_id: int) -> dict | None:
    latest = (
        await TimelineEntry.select(TimelineEntry.id, TimelineEntry.action, TimelineEntry.due_at)
        .where(
            TimelineEntry.case == case_id,
            TimelineEntry.action.is_in(["request_extension", "grant_extension", "refuse_extension"]),
        )
        .order_by(TimelineEntry.id, ascending=False)
        .first()
    )
    return latest if latest and latest["action"] == "request_extension" else None


async def _asked_extension(case: Case) -> dict:
    request = await _open_extension_request(case.id)
    if request is None:
        raise WrongState(N_("No extension has been asked for."))
    return request


async def _grant_extension(case: Case, inputs: GrantExtension, entry: _Entry, values: dict) -> None:
    request = await _asked_extension(case)
    if request["due_at"] <= clock.now():
        raise WrongState(N_("The date asked for has passed. Refuse this request; the department can ask again."))
    entry.due_at = request["due_at"]


async def _refuse_extension(case: Case, inputs: RefuseExtension, entry: _Entry, values: dict) -> None:
    entry.due_at = (await _asked_extension(case))["due_at"]


async def _photo(case: Case, inputs: HidePhoto) -> Photo:
    photo = await photos.photo_of_case(case.id, inputs.photo_key) if inputs.photo_key else None
    if photo is None:
        raise NotFound(N_("This case has no such photo."))
    return photo


async def _hide_photo(case: Case, inputs: HidePhoto, entry: _Entry, values: dict) -> None:
    photo = await _photo(case, inputs)
    if photo.hidden:
        raise WrongState(N_("This photo is already hidden."))
    await photos.set_hidden(photo, True)


async def _show_photo(case: Case, inputs: ShowPhoto, entry: _Entry, values: dict) -> None:
    photo = await _photo(case, inputs)
    if not photo.hidden:
        raise WrongState(N_("This photo is not hidden."))
    await photos.set_hidden(photo, False)


async def _black_out_photo(case: Case, inputs: BlackOutPhoto, entry: _Entry, values: dict) -> None:
    photo = await _photo(case, inputs)
    region = _region(inputs)
    if region is None:
        raise InvalidInput(N_("Mark the part of the photo to black out."))
    if len(photos.blacked_out_regions(photo)) >= photos.MAX_BLACKED_OUT_REGIONS:
        raise InvalidInput(N_("This photo has too many blacked-out parts. Hide the whole photo instead."))
    await photos.add_blacked_out_region(photo, region, get_settings().media_dir)


def _region(inputs: BlackOutPhoto) -> Region | None:
    """The part of a photo to black out, given in per cent of its width and height."""
    given = (inputs.region_x, inputs.region_y, inputs.region_width, inputs.region_height)
    if None in given:
        return None
    try:
        return Region.checked(*(value / 100 for value in given))
    except ValueError:
        return None


async def _restore_photo(case: Case, inputs: RestorePhoto, entry: _Entry, values: dict) -> None:
    photo = await _photo(case, inputs)
    if not photo.public_display_sha256:
        raise WrongState(N_("Nothing of this photo is blacked out."))
    await photos.restore_original(photo)


NOT_ANSWERED_YET = N_("You can rate the answer once it is published.")


async def published_reply(case_id: int) -> int | None:
    """The case's latest published reply (after a reopen, the new one): what the filer rates."""
    row = (
        await TimelineEntry.select(TimelineEntry.id)
        .where(TimelineEntry.case == case_id, TimelineEntry.action == "draft_reply", TimelineEntry.review == Review.approved.value)
        .order_by(TimelineEntry.id, ascending=False)
        .first()
    )
    return row["id"] if row else None


def _rate(action: str):
    async def rate(case: Case, inputs: RateSatisfied, entry: _Entry, values: dict) -> None:
        try:
            satisfaction, solved = Satisfaction(inputs.satisfaction), Solved(inputs.solved)
        except ValueError:
            raise InvalidInput(N_("Say how satisfied you are and whether the problem was solved.")) from None
        if rating_action(satisfaction, solved) != action:
            raise InvalidInput(N_("This rating does not fit this action."))
        await _rating_of_reply(case, entry, satisfaction=satisfaction.value, solved=solved.value)

    return rate


async def _rating_of_reply(case: Case, entry: _Entry, **scales: str) -> None:
    """The rating rates the case's published reply, and is saved with the entry."""
    reply = await published_reply(case.id)
    if reply is None:
        raise WrongState(NOT_ANSWERED_YET)
    entry.refers_to = reply
    entry.rating = {
        "case": case.id,
        "reply": reply,
        **scales,
        # Only a public case's rating can go on its public page.
        "publication": (Publication.pending if case.published_at else Publication.private).value,
    }


def _rate_suggestion(action: str):
    async def rate(case: Case, inputs: RateSuggestionSatisfied, entry: _Entry, values: dict) -> None:
        try:
            outcome, attitude = Satisfaction(inputs.outcome), Satisfaction(inputs.attitude)
        except ValueError:
            raise InvalidInput(N_("Rate both the outcome and the department's attitude.")) from None
        if suggestion_rating_action(outcome, attitude) != action:
            raise InvalidInput(N_("This rating does not fit this action."))
        lead = await Suggestion.exists().where(Suggestion.case == case.id, Suggestion.lead == entry.actor.account_id)
        if entry.actor.account_id is None or not lead:
            raise Forbidden(N_("Only the suggestion's lead representative rates the answer."))
        await _rating_of_reply(
            case, entry, satisfaction=overall_satisfaction(outcome, attitude).value, solved="", outcome=outcome.value, attitude=attitude.value
        )
        if action == "rate_suggestion_unsatisfied":
            await _reopen(case, inputs, entry, values)  # answered again: counted as reopened

    return rate


async def _reopen(case: Case, inputs: Reopen | RateSuggestionUnsatisfied, entry: _Entry, values: dict) -> None:
    # Back to the same lead department (and co-handlers), which signs for it again; the count
    # feeds the department's reopened figure.
    values[Case.reopened_count] = case.reopened_count + 1


async def _close_unrated(case: Case, inputs: CloseUnrated, entry: _Entry, values: dict) -> None:
    # Checked under the row lock: a reply published since the caller looked is not closed.
    if inputs.replied_before is None or case.answered_at is None or case.answered_at > inputs.replied_before:
        raise WrongState(N_("The filer may still rate this answer."))


_SPECIFICS = {
    "accept": _accept,
    "mark_duplicate": _mark_duplicate,
    "redact": _redact,
    "assign": _assign,
    "post_progress": _staff_only_if_asked,
    "supervise": _supervise,
    "instruct": _staff_only_if_asked,
    "escalate": _escalate,
    "take_charge": _take_charge,
    "return": _return,
    "request_extension": _request_extension,
    "grant_extension": _grant_extension,
    "refuse_extension": _refuse_extension,
    "hide_photo": _hide_photo,
    "show_photo": _show_photo,
    "black_out_photo": _black_out_photo,
    "restore_photo": _restore_photo,
    **{action: _rate(action) for action in RATING_ACTIONS},
    **{action: _rate_suggestion(action) for action in SUGGESTION_RATING_ACTIONS},
    "reopen": _reopen,
    "close_unrated": _close_unrated,
}


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
        )
        .where(TimelineEntry.review == Review.pending.value)
        .order_by(TimelineEntry.id)
        .limit(limit)
    )
    entry_photos = await photos.photos_of_entries([row["entry_id"] for row in rows], for_staff=True)
    return [PendingText(**row, photos=entry_photos[row["entry_id"]]) for row in rows]
