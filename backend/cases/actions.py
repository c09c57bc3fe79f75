"""What each action of the lifecycle carries: one input type per row of ``lifecycle.TRANSITIONS``.

An action is defined by its row in the table (who, from which states, to which state, the
clocks, the entry's visibility, its label) and by its input type here: a msgspec Struct with
the fields it carries and their limits, the label of its text box, whether its entry may be kept
for staff, and the partial with its own form fields (``frontend/templates/partials/actions/``).
Its effect is ``workflow._SPECIFICS[action]``, which reads that Struct. Every adapter derives
from these: the staff page converts the posted form into the Struct (``from_form``), the JSON
API takes the Struct as the body of the action's route, and the tests build the Structs.

Adding an action: one row in the table, one input type here, one partial if it has fields
beyond its text (and its effect, if it has one).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

import msgspec

from backend.cases.filing import PHOTO_KEY_PATTERN
from backend.vocabulary import CITIZEN_CASE_TYPES, Role
from backend.cases.lifecycle import PHOTO_ACTIONS, TRANSITIONS
from backend.departments.services import AREA_UNAVAILABLE
from backend.i18n_markers import N_
from backend.text import ROW_ID_RANGE

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


class ActionInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What every action carries: its text (a reason, a note, the reply; empty if none)."""

    text: Text = ""

    action: ClassVar[str]  # its row in ``lifecycle.TRANSITIONS``
    text_label: ClassVar[str | None] = NOTE  # the label of its text box on the staff page; None: no text box
    staff_only_choice: ClassVar[bool] = False  # public by default, but may be kept for staff
    form: ClassVar[str | None] = None  # the partial with its own fields on the staff page
    choices: ClassVar[frozenset[str]] = frozenset()  # what its partial offers: "departments", "categories", "areas"
    field_errors: ClassVar[dict[str, str]] = {}  # a field the page could not read → what to say


class WithPhotos(ActionInput, kw_only=True):
    photo_keys: PhotoKeys = []  # photos uploaded for the entry (POST /api/v1/photos, or the page's picker)


class StaffOnlyIfAsked(ActionInput, kw_only=True):
    internal: bool = False  # staff only (and no review), instead of public

    staff_only_choice: ClassVar[bool] = True
    field_errors: ClassVar[dict[str, str]] = {"internal": UNREADABLE}


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


class Reject(ActionInput, kw_only=True):
    action: ClassVar[str] = "reject"
    text_label: ClassVar[str | None] = N_("Reason (the filer sees it)")


class MarkDuplicate(ActionInput, kw_only=True):
    duplicate_of: Annotated[str, msgspec.Meta(max_length=20)] = ""  # the other case's number

    action: ClassVar[str] = "mark_duplicate"
    text_label: ClassVar[str | None] = N_("Note for the filer (optional)")
    form: ClassVar[str | None] = "partials/actions/mark_duplicate.html"


class Redact(ActionInput, kw_only=True):
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None  # None keeps it
    description: Text | None = None  # None keeps it

    action: ClassVar[str] = "redact"
    form: ClassVar[str | None] = "partials/actions/redact.html"


class HidePhoto(ActionInput, kw_only=True):
    photo_key: Annotated[str, msgspec.Meta(max_length=32)] = ""  # which photo

    action: ClassVar[str] = "hide_photo"


class ShowPhoto(HidePhoto, kw_only=True):
    action: ClassVar[str] = "show_photo"


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


class RestorePhoto(HidePhoto, kw_only=True):
    action: ClassVar[str] = "restore_photo"


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


class PostInternalNote(ActionInput, kw_only=True):
    action: ClassVar[str] = "post_internal_note"
    text_label: ClassVar[str | None] = N_("Note (staff only)")


class Return(ActionInput, kw_only=True):
    action: ClassVar[str] = "return"
    text_label: ClassVar[str | None] = N_("Why this case is not for your department")


class RequestExtension(ActionInput, kw_only=True):
    due_date: date | None = None  # the new answer date asked for (the end of that day)

    action: ClassVar[str] = "request_extension"
    text_label: ClassVar[str | None] = N_("Why more time is needed")
    form: ClassVar[str | None] = "partials/actions/request_extension.html"
    field_errors: ClassVar[dict[str, str]] = {"due_date": N_("Give the new date you ask for, in the future.")}


class GrantExtension(ActionInput, kw_only=True):
    action: ClassVar[str] = "grant_extension"


class RefuseExtension(ActionInput, kw_only=True):
    action: ClassVar[str] = "refuse_extension"
    text_label: ClassVar[str | None] = N_("Reason")


class DraftReply(WithPhotos, kw_only=True):
    action: ClassVar[str] = "draft_reply"
    text_label: ClassVar[str | None] = N_("The official reply (the platform centre reviews it before it is published)")


class Supervise(StaffOnlyIfAsked, kw_only=True):
    action: ClassVar[str] = "supervise"
    text_label: ClassVar[str | None] = N_("What the department must do, and by when")


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


class TakeCharge(ActionInput, kw_only=True):
    action: ClassVar[str] = "take_charge"
    text_label: ClassVar[str | None] = N_("Why you take charge, and what you expect")
    form: ClassVar[str | None] = "partials/actions/take_charge.html"


class RateSatisfied(WithPhotos, kw_only=True):
    """The filer's rating; ``lifecycle.rating_action`` says which of the two actions it is."""

    satisfaction: str = ""  # a vocabulary.Satisfaction
    solved: str = ""  # a vocabulary.Solved

    action: ClassVar[str] = "rate_satisfied"


class RateUnsatisfied(RateSatisfied, kw_only=True):
    action: ClassVar[str] = "rate_unsatisfied"


class Reopen(ActionInput, kw_only=True):
    action: ClassVar[str] = "reopen"
    text_label: ClassVar[str | None] = N_("What the department must do again (the public sees it)")


class Close(ActionInput, kw_only=True):
    action: ClassVar[str] = "close"
    text_label: ClassVar[str | None] = N_("Why the case is closed (the filer sees it)")


class CloseUnrated(ActionInput, kw_only=True):
    replied_before: datetime | None = None  # the reply must have been published by then

    action: ClassVar[str] = "close_unrated"


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


class RateSuggestionUnsatisfied(RateSuggestionSatisfied, kw_only=True):
    action: ClassVar[str] = "rate_suggestion_unsatisfied"


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
