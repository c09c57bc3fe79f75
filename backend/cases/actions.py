"""What each action of the lifecycle carries: one input type per row of ``lifecycle.TRANSITIONS``.

An action is defined by its row in the table (who, from which states, to which state, the
clocks, the entry's visibility, its label) and by its input type here: a msgspec Struct with
the fields it carries and their limits, the label of its text box, whether its entry may be kept
for staff, and the partial with its own form fields (``frontend/templates/partials/actions/``).
Its effect, what it does beyond what its row says (a department set, a photo hidden, a rating
saved), is the Struct's ``apply``, which ``workflow.perform`` calls under the case's row lock.
Every adapter derives from these: the staff page converts the posted form into the Struct
(``from_form``), the JSON API takes the Struct as the body of the action's route, and the tests
build the Structs.

Adding an action: one row in the table, one input type here (with its ``apply``, if it does
more than its row), one partial if it has fields beyond its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo

import msgspec

from backend import clock, events
from backend.cases import callbacks, merging
from backend.cases.filing import DESCRIPTION_MAX, PHOTO_KEY_PATTERN, TITLE_MAX
from backend.cases.lifecycle import (
    PHOTO_ACTIONS,
    TRANSITIONS,
    overall_satisfaction,
    rating_action,
    suggestion_rating_action,
)
from backend.cases.services import Actor, with_number
from backend.cases.tables import Case, CoHandler, TimelineEntry
from backend.deadlines.clocks import add_months
from backend.departments.services import AREA_UNAVAILABLE, get_active_category, is_active_area
from backend.departments.tables import Department
from backend.errors import Forbidden, InvalidInput, NotFound, WrongState
from backend.events import PublicTextChanged
from backend.i18n_markers import N_
from backend.knowledge import services as knowledge
from backend.photos import services as photos
from backend.photos.pipeline import Region
from backend.photos.tables import Photo
from backend.representatives.tables import Suggestion
from backend.routing import services as routing
from backend.settings import get_settings
from backend.text import ROW_ID_RANGE, clean_text
from backend.vocabulary import CITIZEN_CASE_TYPES, Publication, Review, Role, Satisfaction, Solved, Status, Visibility

# Row ids in a body: out of range (negative, or past a 32-bit INTEGER column, which PostgreSQL
# would refuse with an error) is a client error, not a database error.
RowIdField = Annotated[int, msgspec.Meta(**ROW_ID_RANGE)]
# A photo's key in a body, as uploading made it.
PhotoKeyField = Annotated[str, msgspec.Meta(pattern=PHOTO_KEY_PATTERN.pattern)]
Text = Annotated[str, msgspec.Meta(max_length=6000)]  # the workflow allows 5000, and says so
CitizenCaseType = Literal[tuple(kind.value for kind in CITIZEN_CASE_TYPES)]  # a representative's suggestion stays one
Percent = float  # of the photo's width or height; what falls outside it is cut off
PhotoKeys = Annotated[list[PhotoKeyField], msgspec.Meta(max_length=6)]

NOTE = N_("Note (optional)")
# A form field that could not be read, when the action names no message of its own for it.
UNREADABLE = N_("Some of what you entered could not be read. Please check it.")

# The roles the JSON API's keys act as: a ``moderator`` key, or a department's ``staff`` key.
API_ROLES = frozenset({Role.moderator, Role.handler})
MAX_CO_HANDLERS = 10
MAX_EXTENSION_MONTHS = 12
NOT_ANSWERED_YET = N_("You can rate the answer once it is published.")


@dataclass
class EntryDraft:
    """The timeline entry an action is about to write; the action's ``apply`` may change it."""

    actor: Actor
    visibility: Visibility
    review: Review
    text: str
    due_at: datetime | None = None
    refers_to: int | None = None  # rate_*: the reply rated
    rating: dict | None = None  # rate_*: the Rating row's values, saved with the entry
    personal: bool = False  # its text goes with the filer's contact details (``personal_text``)


class ActionInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What every action carries: its text (a reason, a note, the reply; empty if none)."""

    text: Text = ""

    action: ClassVar[str]  # its row in ``lifecycle.TRANSITIONS``
    text_label: ClassVar[str | None] = NOTE  # the label of its text box on the staff page; None: no text box
    staff_only_choice: ClassVar[bool] = False  # public by default, but may be kept for staff
    form: ClassVar[str | None] = None  # the partial with its own fields on the staff page
    choices: ClassVar[frozenset[str]] = frozenset()  # what its partial offers: "departments", "categories", "areas"
    field_errors: ClassVar[dict[str, str]] = {}  # a field the page could not read → what to say

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        """What the action does beyond its row, under the case's row lock: checks that need the
        database (raising a Refusal rolls the whole action back), the case's columns to set
        (``values``), and changes to the entry about to be written. Most actions do nothing more."""

    def as_row(self) -> ActionInput:
        """The input of the row that what was answered chooses (``lifecycle.Transition.chosen_by``):
        itself, for every action but one whose answer decides the case's next state."""
        return self


class WithPhotos(ActionInput, kw_only=True):
    photo_keys: PhotoKeys = []  # photos uploaded for the entry (POST /api/v1/photos, or the page's picker)


def _kept_for_staff_if_asked(internal: bool, entry: EntryDraft) -> None:
    if internal:
        entry.visibility, entry.review = Visibility.internal, Review.none


class StaffOnlyIfAsked(ActionInput, kw_only=True):
    internal: bool = False  # staff only (and no review), instead of public

    staff_only_choice: ClassVar[bool] = True
    field_errors: ClassVar[dict[str, str]] = {"internal": UNREADABLE}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        _kept_for_staff_if_asked(self.internal, entry)


class Submit(ActionInput, kw_only=True):
    """A representative's draft, submitted by its lead (``representatives.services.submit``)."""

    action: ClassVar[str] = "submit"
    text_label: ClassVar[str | None] = None


class Accept(ActionInput, kw_only=True):
    case_type: CitizenCaseType | None = None  # confirm or change; None keeps it
    category_id: RowIdField | None = None  # None keeps it
    area_id: RowIdField | None = None  # set or change; None keeps it
    make_private: bool = False  # withhold from the public even though the filer agreed

    action: ClassVar[str] = "accept"
    form: ClassVar[str | None] = "partials/actions/accept.html"
    choices: ClassVar[frozenset[str]] = frozenset({"categories", "areas"})
    field_errors: ClassVar[dict[str, str]] = {
        "case_type": N_("Choose the type of case."),
        "category_id": N_("Choose a category."),
        "area_id": AREA_UNAVAILABLE,
    }

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        if self.case_type is not None and self.case_type != case.case_type:
            # A representative's suggestion stays one (it has its representatives), and nothing becomes one.
            citizen_types = {t.value for t in CITIZEN_CASE_TYPES}
            if self.case_type not in citizen_types or case.case_type not in citizen_types:
                raise InvalidInput(N_("Choose the type of case."))
            values[Case.case_type] = self.case_type
        if self.category_id is not None:
            if await get_active_category(self.category_id) is None:
                raise InvalidInput(N_("Choose a category."))
            values[Case.category] = self.category_id
        if self.area_id is not None:
            if not await is_active_area(self.area_id):
                raise InvalidInput(AREA_UNAVAILABLE)
            values[Case.area] = self.area_id
        if self.make_private:
            values[Case.publication_consent] = False
            case.publication_consent = False  # so that accepting does not publish it


class Reject(ActionInput, kw_only=True):
    action: ClassVar[str] = "reject"
    text_label: ClassVar[str | None] = N_("Reason (the filer sees it)")


class MarkDuplicate(ActionInput, kw_only=True):
    duplicate_of: Annotated[str, msgspec.Meta(max_length=20)] = ""  # the other case's number

    action: ClassVar[str] = "mark_duplicate"
    text_label: ClassVar[str | None] = N_("Note for the filer (optional)")
    form: ClassVar[str | None] = "partials/actions/mark_duplicate.html"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        original, number = None, self.duplicate_of.strip()
        if number != case.number:
            original = await Case.select(Case.id, Case.status).where(with_number(number)).first()
        if original is None or original["status"] == Status.duplicate.value:
            raise InvalidInput(N_("Give the number of the case this one repeats."))
        values[Case.duplicate_of] = original["id"]


class Merge(ActionInput, kw_only=True):
    original: Annotated[str, msgspec.Meta(max_length=20)] = ""  # the number of the case it repeats

    action: ClassVar[str] = "merge"
    text_label: ClassVar[str | None] = N_("Note for the filer (optional)")
    form: ClassVar[str | None] = "partials/actions/merge.html"
    field_errors: ClassVar[dict[str, str]] = {"original": merging.GIVE_THE_ORIGINAL}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        values.update(await merging.merge(case, self.original, values[Case.updated_at]))


class Unmerge(ActionInput, kw_only=True):
    action: ClassVar[str] = "unmerge"
    text_label: ClassVar[str | None] = N_("Why the merge is undone (the filer sees it)")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        values.update(await merging.undo(case, values[Case.updated_at]))


class Withdraw(ActionInput, kw_only=True):
    action: ClassVar[str] = "withdraw"
    text_label: ClassVar[str | None] = N_("Why you withdraw it (optional; staff see it)")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        if case.published_at is not None:  # off the public list, its search words and its topic counts
            values[Case.published_at] = None
            await events.emit(PublicTextChanged(case.id))


class Publish(ActionInput, kw_only=True):
    action: ClassVar[str] = "publish"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        if case.published_at is not None:
            raise WrongState(N_("This case is public already."))
        if not case.publication_consent:
            raise WrongState(N_("Its filer did not agree to publish it."))
        # The action's time (``perform`` stamps it first): ``perform`` then announces the new public text.
        values[Case.published_at] = case.published_at = values[Case.updated_at]


class Redact(ActionInput, kw_only=True):
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None  # None keeps it
    description: Text | None = None  # None keeps it

    action: ClassVar[str] = "redact"
    form: ClassVar[str | None] = "partials/actions/redact.html"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        title = clean_text(self.title if self.title is not None else case.title)
        description = clean_text(self.description if self.description is not None else case.description, multiline=True)
        if not 4 <= len(title) <= TITLE_MAX:
            raise InvalidInput(N_("Give a short title (4 to 80 characters)."))
        if not 10 <= len(description) <= DESCRIPTION_MAX:
            raise InvalidInput(N_("The description must be 10 to 5000 characters."))
        if title == case.title and description == case.description:
            raise InvalidInput(N_("Nothing was changed."))
        # The entry keeps what was there before, for staff: nothing a citizen wrote is lost
        # until the case's personal data goes, and what was redacted out is personal.
        entry.text = "\n\n".join(filter(None, [entry.text, case.title, case.description]))
        entry.personal = True
        values[Case.title] = title
        values[Case.description] = description


class HidePhoto(ActionInput, kw_only=True):
    photo_key: Annotated[str, msgspec.Meta(max_length=32)] = ""  # which photo

    action: ClassVar[str] = "hide_photo"

    async def photo(self, case: Case) -> Photo:
        photo = await photos.photo_of_case(case.id, self.photo_key) if self.photo_key else None
        if photo is None:
            raise NotFound(N_("This case has no such photo."))
        return photo

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        photo = await self.photo(case)
        if photo.hidden:
            raise WrongState(N_("This photo is already hidden."))
        await photos.set_hidden(photo, True)


class ShowPhoto(HidePhoto, kw_only=True):
    action: ClassVar[str] = "show_photo"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        photo = await self.photo(case)
        if not photo.hidden:
            raise WrongState(N_("This photo is not hidden."))
        await photos.set_hidden(photo, False)


class BlackOutPhoto(HidePhoto, kw_only=True):
    # The part to black out, in per cent of the photo's width and height.
    region_x: Percent | None = None
    region_y: Percent | None = None
    region_width: Percent | None = None
    region_height: Percent | None = None

    action: ClassVar[str] = "black_out_photo"
    field_errors: ClassVar[dict[str, str]] = {
        name: N_("Mark the part of the photo to black out.") for name in ("region_x", "region_y", "region_width", "region_height")
    }

    def region(self) -> Region | None:
        """The part of the photo to black out, as fractions of its width and height."""
        given = (self.region_x, self.region_y, self.region_width, self.region_height)
        if None in given:
            return None
        try:
            return Region.checked(*(value / 100 for value in given))
        except ValueError:
            return None

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        photo = await self.photo(case)
        region = self.region()
        if region is None:
            raise InvalidInput(N_("Mark the part of the photo to black out."))
        if len(photos.blacked_out_regions(photo)) >= photos.MAX_BLACKED_OUT_REGIONS:
            raise InvalidInput(N_("This photo has too many blacked-out parts. Hide the whole photo instead."))
        await photos.add_blacked_out_region(photo, region)


class RestorePhoto(HidePhoto, kw_only=True):
    action: ClassVar[str] = "restore_photo"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        photo = await self.photo(case)
        if not photo.public_display_sha256:
            raise WrongState(N_("Nothing of this photo is blacked out."))
        await photos.restore_original(photo)


CHOOSE_AN_ENTRY = N_("Choose an entry of the knowledge base that the public can read today.")


class AnswerFromKnowledge(ActionInput, kw_only=True):
    knowledge_entry_id: RowIdField | None = None  # a public entry of the knowledge base, valid today

    action: ClassVar[str] = "answer_from_knowledge"
    text_label: ClassVar[str | None] = N_("Your own words before the entry's answer (optional; the filer sees them)")
    form: ClassVar[str | None] = "partials/actions/answer_from_knowledge.html"
    choices: ClassVar[frozenset[str]] = frozenset({"knowledge"})
    field_errors: ClassVar[dict[str, str]] = {"knowledge_entry_id": CHOOSE_AN_ENTRY}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        found = await knowledge.public_entry(self.knowledge_entry_id) if self.knowledge_entry_id else None
        if found is None:
            raise InvalidInput(CHOOSE_AN_ENTRY)
        # The reply is the entry's answer as it reads today; the case keeps which entry it was.
        entry.text = "\n\n".join(filter(None, [entry.text, found.answer]))
        values[Case.knowledge_entry] = found.id


async def _departments_exist(ids: list[int]) -> bool:
    return len(ids) == await Department.count().where(Department.id.is_in(ids)) if ids else True


class Assign(ActionInput, kw_only=True):
    department_id: RowIdField | None = None  # the lead department (主办)
    co_department_ids: Annotated[list[RowIdField], msgspec.Meta(max_length=20)] = []  # co-handling departments (协办)

    action: ClassVar[str] = "assign"
    form: ClassVar[str | None] = "partials/actions/assign.html"
    choices: ClassVar[frozenset[str]] = frozenset({"departments"})
    field_errors: ClassVar[dict[str, str]] = {
        "department_id": N_("Choose the department that will handle this case."),
        "co_department_ids": N_("Choose co-handling departments from the list."),
    }

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        lead = self.department_id
        co = sorted(set(self.co_department_ids) - {lead})
        if lead is None or not await _departments_exist([lead]):
            raise WrongState(N_("Choose the department that will handle this case."))
        if len(co) > MAX_CO_HANDLERS or not await _departments_exist(co):
            raise InvalidInput(N_("Choose co-handling departments from the list."))
        values[Case.department] = lead
        await CoHandler.delete().where(CoHandler.case == case.id)
        if co:
            await CoHandler.insert(*[CoHandler(case=case.id, department=department) for department in co])


SUGGESTION_CHANGED = N_("The suggested department has changed. Look at the new suggestion and take it again.")


class Route(ActionInput, kw_only=True):
    rule_id: RowIdField | None = None  # the rule whose suggestion is taken: it must still be the one that fits

    action: ClassVar[str] = "route"
    form: ClassVar[str | None] = "partials/actions/route.html"
    choices: ClassVar[frozenset[str]] = frozenset({"routing"})
    field_errors: ClassVar[dict[str, str]] = {"rule_id": SUGGESTION_CHANGED}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        suggestion = await routing.suggestion_for(case.id)
        if suggestion is None or suggestion.rule.id != self.rule_id:
            raise InvalidInput(SUGGESTION_CHANGED)
        automatic = entry.actor.role == Role.system
        if automatic and not suggestion.automatic:  # a rule not automatic, or a point near a boundary
            raise Forbidden(N_("Only a person may take this suggestion."))
        values[Case.department] = suggestion.rule.department_id
        if suggestion.area_id is not None:  # the street its map point lies in
            values[Case.area] = suggestion.area_id
        await CoHandler.delete().where(CoHandler.case == case.id)
        co = [each[0] for each in suggestion.rule.co_handlers]
        if co:
            await CoHandler.insert(*[CoHandler(case=case.id, department=department) for department in co])
        await routing.record_routing(case.id, suggestion, automatic, clock.now())
        entry.text = "\n\n".join(filter(None, [suggestion.rule.reason_zh, entry.text]))


class Sign(ActionInput, kw_only=True):
    action: ClassVar[str] = "sign"
    text_label: ClassVar[str | None] = None


class RecordContact(ActionInput, kw_only=True):
    action: ClassVar[str] = "record_contact"
    text_label: ClassVar[str | None] = N_("How and when you reached the filer, and what was agreed (the filer sees it)")


class PostProgress(WithPhotos, kw_only=True):
    internal: bool = False  # staff only (and no review), instead of public once the centre approves it

    action: ClassVar[str] = "post_progress"
    staff_only_choice: ClassVar[bool] = True
    field_errors: ClassVar[dict[str, str]] = StaffOnlyIfAsked.field_errors
    text_label: ClassVar[str | None] = N_("What was done")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        _kept_for_staff_if_asked(self.internal, entry)


class PostInternalNote(ActionInput, kw_only=True):
    action: ClassVar[str] = "post_internal_note"
    text_label: ClassVar[str | None] = N_("Note (staff only)")


class Return(ActionInput, kw_only=True):
    action: ClassVar[str] = "return"
    text_label: ClassVar[str | None] = N_("Why this case is not for your department")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        # Back to the moderators; the entry records which department returned it.
        values[Case.department] = None
        await CoHandler.delete().where(CoHandler.case == case.id)


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


class RequestExtension(ActionInput, kw_only=True):
    due_date: date | None = None  # the new answer date asked for (the end of that day)

    action: ClassVar[str] = "request_extension"
    text_label: ClassVar[str | None] = N_("Why more time is needed")
    form: ClassVar[str | None] = "partials/actions/request_extension.html"
    field_errors: ClassVar[dict[str, str]] = {"due_date": N_("Give the new date you ask for, in the future.")}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        due_at = end_of_day(self.due_date) if self.due_date else None
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


class GrantExtension(ActionInput, kw_only=True):
    action: ClassVar[str] = "grant_extension"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        request = await _asked_extension(case)
        if request["due_at"] <= clock.now():
            raise WrongState(N_("The date asked for has passed. Refuse this request; the department can ask again."))
        entry.due_at = request["due_at"]


class RefuseExtension(ActionInput, kw_only=True):
    action: ClassVar[str] = "refuse_extension"
    text_label: ClassVar[str | None] = N_("Reason")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        entry.due_at = (await _asked_extension(case))["due_at"]


class DraftReply(WithPhotos, kw_only=True):
    action: ClassVar[str] = "draft_reply"
    form: ClassVar[str | None] = "partials/actions/draft_reply.html"  # a reply template to start from
    choices: ClassVar[frozenset[str]] = frozenset({"templates"})
    text_label: ClassVar[str | None] = N_("The official reply (the platform centre reviews it before it is published)")


class Supervise(StaffOnlyIfAsked, kw_only=True):
    action: ClassVar[str] = "supervise"
    text_label: ClassVar[str | None] = N_("What the department must do, and by when")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        await super().apply(case, entry, values)
        values[Case.supervised_at] = values[Case.updated_at]  # now


class Instruct(StaffOnlyIfAsked, kw_only=True):
    action: ClassVar[str] = "instruct"
    text_label: ClassVar[str | None] = N_("Your instruction (批示)")


class Escalate(ActionInput, kw_only=True):
    department_id: RowIdField | None = None  # the department that takes over as lead

    action: ClassVar[str] = "escalate"
    text_label: ClassVar[str | None] = N_("Why the case is escalated, and what the department must do")
    form: ClassVar[str | None] = "partials/actions/escalate.html"
    choices: ClassVar[frozenset[str]] = frozenset({"departments"})
    field_errors: ClassVar[dict[str, str]] = {"department_id": N_("Choose the department that will handle this case.")}

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        lead = self.department_id
        if lead is None or not await _departments_exist([lead]):
            raise InvalidInput(N_("Choose the department that will handle this case."))
        if lead == case.department:
            raise InvalidInput(N_("Choose another department than the one handling the case now."))
        values[Case.department] = lead
        # Co-handlers stay; the new lead is no longer one of them.
        await CoHandler.delete().where(CoHandler.case == case.id, CoHandler.department == lead)


class TakeCharge(ActionInput, kw_only=True):
    action: ClassVar[str] = "take_charge"
    text_label: ClassVar[str | None] = N_("Why you take charge, and what you expect")
    form: ClassVar[str | None] = "partials/actions/take_charge.html"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        if entry.actor.account_id is None:
            raise Forbidden(N_("Your role may not do this."))
        if case.leader == entry.actor.account_id:
            raise WrongState(N_("You have already taken charge of this case."))
        values[Case.leader] = entry.actor.account_id


async def published_reply(case_id: int) -> int | None:
    """The case's latest published reply (after a reopen, the new one): what the filer rates. A
    department's reply is published by the centre's review; an answer from the knowledge base at once."""
    published = ((TimelineEntry.action == "draft_reply") & (TimelineEntry.review == Review.approved.value)) | (
        TimelineEntry.action == "answer_from_knowledge"
    )
    row = (
        await TimelineEntry.select(TimelineEntry.id)
        .where(TimelineEntry.case == case_id, published)
        .order_by(TimelineEntry.id, ascending=False)
        .first()
    )
    return row["id"] if row else None


async def _rating_of_reply(case: Case, entry: EntryDraft, **scales: str) -> None:
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


def _counted_as_reopened(case: Case, values: dict) -> None:
    # Back to the same lead department (and co-handlers), which signs for it again; the count
    # feeds the department's reopened figure.
    values[Case.reopened_count] = case.reopened_count + 1


class RateSatisfied(WithPhotos, kw_only=True):
    """The filer's rating; ``lifecycle.rating_action`` says which of the two actions it is."""

    satisfaction: str = ""  # a vocabulary.Satisfaction
    solved: str = ""  # a vocabulary.Solved

    action: ClassVar[str] = "rate_satisfied"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        try:
            satisfaction, solved = Satisfaction(self.satisfaction), Solved(self.solved)
        except ValueError:
            raise InvalidInput(N_("Say how satisfied you are and whether the problem was solved.")) from None
        if rating_action(satisfaction, solved) != self.action:
            raise InvalidInput(N_("This rating does not fit this action."))
        await _rating_of_reply(case, entry, satisfaction=satisfaction.value, solved=solved.value)


class RateUnsatisfied(RateSatisfied, kw_only=True):
    action: ClassVar[str] = "rate_unsatisfied"


class Reopen(ActionInput, kw_only=True):
    action: ClassVar[str] = "reopen"
    text_label: ClassVar[str | None] = N_("What the department must do again (the public sees it)")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        _counted_as_reopened(case, values)


class Close(ActionInput, kw_only=True):
    action: ClassVar[str] = "close"
    text_label: ClassVar[str | None] = N_("Why the case is closed (the filer sees it)")


class CloseUnrated(ActionInput, kw_only=True):
    replied_before: datetime | None = None  # the reply must have been published by then

    action: ClassVar[str] = "close_unrated"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        # Checked under the row lock: a reply published since the caller looked is not closed.
        if self.replied_before is None or case.answered_at is None or case.answered_at > self.replied_before:
            raise WrongState(N_("The filer may still rate this answer."))


class RecordMeeting(ActionInput, kw_only=True):
    action: ClassVar[str] = "record_meeting"
    text_label: ClassVar[str | None] = N_(
        "When you met the representative, who took part, and what was agreed (the representative sees it)"
    )


class RecordCall(ActionInput, kw_only=True):
    action: ClassVar[str] = "record_call"
    text_label: ClassVar[str | None] = N_("When you called the representative, and what was agreed (the representative sees it)")


class RateSuggestionSatisfied(ActionInput, kw_only=True):
    """The lead representative's rating; ``lifecycle.suggestion_rating_action`` says which it is."""

    outcome: str = ""  # a vocabulary.Satisfaction with what was done
    attitude: str = ""  # a vocabulary.Satisfaction with how the department dealt with the representative

    action: ClassVar[str] = "rate_suggestion_satisfied"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        try:
            outcome, attitude = Satisfaction(self.outcome), Satisfaction(self.attitude)
        except ValueError:
            raise InvalidInput(N_("Rate both the outcome and the department's attitude.")) from None
        if suggestion_rating_action(outcome, attitude) != self.action:
            raise InvalidInput(N_("This rating does not fit this action."))
        lead = await Suggestion.exists().where(Suggestion.case == case.id, Suggestion.lead == entry.actor.account_id)
        if entry.actor.account_id is None or not lead:
            raise Forbidden(N_("Only the suggestion's lead representative rates the answer."))
        await _rating_of_reply(
            case, entry, satisfaction=overall_satisfaction(outcome, attitude).value, solved="", outcome=outcome.value, attitude=attitude.value
        )


class RateSuggestionUnsatisfied(RateSuggestionSatisfied, kw_only=True):
    action: ClassVar[str] = "rate_suggestion_unsatisfied"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        await super().apply(case, entry, values)
        _counted_as_reopened(case, values)  # answered again


class RecordCallback(ActionInput, kw_only=True):
    """What the filer said when the centre called back (回访), or that they could not be reached;
    ``lifecycle.rating_action`` decides, as for an online rating, whether it is the unsatisfied row
    (``as_row``: whichever of the two rows is asked for, the answer chooses)."""

    not_reached: bool = False  # the call did not reach the filer: it stays in the queue
    satisfaction: str = ""  # a vocabulary.Satisfaction, as the filer said it
    solved: str = ""  # a vocabulary.Solved

    action: ClassVar[str] = "record_callback"
    text_label: ClassVar[str | None] = N_("Note of the call (staff only)")
    form: ClassVar[str | None] = "partials/actions/record_callback.html"
    field_errors: ClassVar[dict[str, str]] = {"not_reached": UNREADABLE}

    def spoken(self) -> tuple[Satisfaction, Solved] | None:
        try:
            return Satisfaction(self.satisfaction), Solved(self.solved)
        except ValueError:
            return None

    def as_row(self) -> ActionInput:
        spoken = self.spoken()
        unsatisfied = not self.not_reached and spoken is not None and rating_action(*spoken) == "rate_unsatisfied"
        kind = RecordCallbackUnsatisfied if unsatisfied else RecordCallback
        return kind(text=self.text, not_reached=self.not_reached, satisfaction=self.satisfaction, solved=self.solved)

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        reply = await published_reply(case.id)
        if reply is None:
            raise WrongState(N_("This case has no published answer to call back about."))
        spoken = None
        if not self.not_reached:
            spoken = self.spoken()
            if spoken is None:
                raise InvalidInput(N_("Say how satisfied the filer is and whether the problem was solved, or that the call did not reach them."))
        entry.refers_to = reply
        await callbacks.record(case.id, reply, spoken, values[Case.updated_at])


class RecordCallbackUnsatisfied(RecordCallback, kw_only=True):
    action: ClassVar[str] = "record_callback_unsatisfied"


class DisputeRating(ActionInput, kw_only=True):
    """The lead department objects to the latest rating of its answer (online, or on a callback)."""

    action: ClassVar[str] = "dispute_rating"
    text_label: ClassVar[str | None] = N_("Why the rating is unreasonable (the platform centre decides)")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        entry.refers_to = await callbacks.open_dispute(case.id, case.department, values[Case.updated_at])


class UpholdDispute(ActionInput, kw_only=True):
    action: ClassVar[str] = "uphold_dispute"

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        entry.refers_to = await callbacks.decide_dispute(case.id, callbacks.DisputeStatus.upheld, values[Case.updated_at])


class RejectDispute(UpholdDispute, kw_only=True):
    action: ClassVar[str] = "reject_dispute"
    text_label: ClassVar[str | None] = N_("Why the rating stands (the department sees it)")

    async def apply(self, case: Case, entry: EntryDraft, values: dict) -> None:
        entry.refers_to = await callbacks.decide_dispute(case.id, callbacks.DisputeStatus.rejected, values[Case.updated_at])


def _input_types() -> dict[str, type[ActionInput]]:
    found: dict[str, type[ActionInput]] = {}
    pending = [ActionInput]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if "action" in sub.__dict__:
                found[sub.action] = sub
    return found


_FOUND = _input_types()
# One input type per row, in the table's order.
INPUTS: dict[str, type[ActionInput]] = {action: _FOUND[action] for action in TRANSITIONS if action in _FOUND}
if set(INPUTS) != set(TRANSITIONS) or set(_FOUND) != set(TRANSITIONS):
    raise RuntimeError(f"Each action needs one row and one input type: {set(TRANSITIONS) ^ set(_FOUND)}")
if wrong := [action for action, kind in INPUTS.items() if issubclass(kind, WithPhotos) != TRANSITIONS[action].photos]:
    raise RuntimeError(f"An action's input carries photos exactly when its row allows them: {wrong}")


def by_api(action: str) -> bool:
    """Whether a key of the JSON API may take it: an action of the centre's or a department's,
    except photo moderation, which needs the photo on screen (it stays on the staff case page)."""
    return bool(TRANSITIONS[action].roles & API_ROLES) and action not in PHOTO_ACTIONS


API_ACTIONS = [action for action in INPUTS if by_api(action)]


def inputs_of(action: str, text: str = "") -> ActionInput:
    """An action with nothing but its text (every other field as its default)."""
    return INPUTS[action](text=text)


class Unreadable(Exception):
    """A form field the page could not convert into the action's input."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _takes_text(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.StrType):
        return True
    if isinstance(info, msgspec.inspect.UnionType):
        return any(isinstance(each, msgspec.inspect.StrType) for each in info.types)
    return False


def _is_list(info: msgspec.inspect.Type) -> bool:
    return isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.TupleType, msgspec.inspect.VarTupleType))


def from_form(action: str, getall) -> ActionInput:
    """The action's input from a posted form: ``getall(name)`` gives a field's string values.
    Only the action's own fields are read (the text from ``body``; photos are the page's to
    add); anything else in the form is ignored. An empty field is its default, except in a text
    field. Raises Unreadable with the action's message for the field, or a general one."""
    kind = INPUTS[action]
    values: dict = {}
    for field in msgspec.inspect.type_info(kind).fields:
        if field.name == "photo_keys":
            continue
        given = [value for value in getall("body" if field.name == "text" else field.name) if isinstance(value, str)]
        if _is_list(field.type):
            values[field.name] = [value for value in given if value != ""]
        elif given and (given[0] != "" or _takes_text(field.type)):
            values[field.name] = given[0]
    try:
        return msgspec.convert(values, kind, strict=False)
    except msgspec.ValidationError as error:
        wrong = str(error).rsplit("$.", 1)[-1].split("[")[0].rstrip("`")
        raise Unreadable(kind.field_errors.get(wrong, UNREADABLE)) from None
