"""What the JSON API sends and receives, as msgspec Structs: the OpenAPI schema is made from
these, so it says exactly what goes over the wire. Views never carry personal data (the
filer's name and phone, follow tokens, source URLs) except ``StaffCase`` for staff keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from backend.cases.figures import DepartmentFigures
from backend.cases.reveals import Contact, masked
from backend.cases.services import CaseView, RatingView, StaffCaseView, TimelineItem
from backend.vocabulary import RevealReason
from backend.photos.services import PhotoView
from backend.settings import get_settings
from backend.cases.actions import PhotoKeyField, RowIdField, Text


class Photo(msgspec.Struct):
    key: str
    url: str  # the public copy (blacked out where moderators said so)
    thumb_url: str
    width: int
    height: int


class Deadline(msgspec.Struct):
    clock: str  # answer for the public; staff also see sign, contact, response
    due_at: datetime
    met_at: datetime | None


class TimelineEntry(msgspec.Struct):
    id: int
    created_at: datetime
    action: str
    label: str
    status_after: str | None
    actor_role: str
    actor_name: str  # a department, or empty for the platform centre; never a citizen
    visibility: str
    body: str
    photos: list[Photo]


class Rating(msgspec.Struct):
    created_at: datetime
    satisfaction: str
    solved: str
    comment: str


class CaseSummary(msgspec.Struct):
    number: str
    case_type: str
    status: str
    title: str
    address: str
    latitude: float | None
    longitude: float | None
    category: str
    category_en: str
    department: str | None
    department_en: str | None
    area: str | None
    district: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    support_count: int  # 我也遇到: people who said they have the same problem
    url: str


class Case(CaseSummary):
    description: str = ""
    duplicate_of: str | None = None
    supervised_at: datetime | None = None
    reopened_count: int = 0
    photos: list[Photo] = []
    deadlines: list[Deadline] = []
    timeline: list[TimelineEntry] = []
    ratings: list[Rating] = []


class CaseList(msgspec.Struct):
    cases: list[CaseSummary]
    next_cursor: str | None  # pass as ``cursor`` for the next page; null on the last one


class StaffCase(msgspec.Struct):
    case: Case
    # Shortened and masked (张**, 138****8000): the full details take a reveal
    # (``POST /api/v1/staff/cases/{number}/contact``); empty for a key whose department only co-handles.
    filer_name: str
    filer_phone: str
    source: str
    department_id: int | None
    co_department_ids: list[int]
    actions: list[str]  # what this key may do to the case now


class Choice(msgspec.Struct):
    key: str
    name: str
    name_en: str


class Question(msgspec.Struct):
    """A question the category asks of every filing; answer it in ``NewCase.answers``."""

    code: str
    description: str
    description_en: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    choices: list[Choice]  # the lists' choices: answer with their keys


class Category(msgspec.Struct):
    id: int
    code: str  # the slug; Open311's service_code
    name: str
    name_en: str
    department_id: int
    default_case_type: str
    questions: list[Question]


class Department(msgspec.Struct):
    id: int
    name: str
    name_en: str


class Answer(msgspec.Struct):
    """A public entry of the knowledge base (知识库), as the public reads it today."""

    id: int
    question: str
    question_en: str  # empty where no English was given
    answer: str
    answer_en: str
    category_id: int | None
    category: str
    category_en: str
    department_id: int | None  # None: the platform centre's
    department: str
    department_en: str
    valid_until: date | None
    updated_at: datetime
    url: str  # its public page


def answer(entry) -> Answer:
    return Answer(
        entry.id, entry.question, entry.question_en, entry.answer, entry.answer_en,
        entry.category_id, entry.category_name, entry.category_name_en,
        entry.department_id, entry.department_name, entry.department_name_en,
        entry.valid_until, entry.updated_at, f"/answers/{entry.id}",
    )


class AnswerList(msgspec.Struct):
    answers: list[Answer]
    more: bool  # another page follows (``page`` + 1); a search gives its best matches at once


class Figures(msgspec.Struct):
    department_id: int
    name: str
    name_en: str
    received: int
    signed_on_time: float | None  # shares from 0 to 1; null: nothing to measure yet
    answered_on_time: float | None
    overdue: float | None
    returned: float | None
    reopened: float | None
    satisfaction: float | None  # self-rated: the filers' online ratings
    median_hours_to_answer: float | None
    callback_coverage: float | None = None  # callbacks (回访) that reached the filer, over the answered cases
    sampled_satisfaction: float | None = None  # satisfaction as the filers said it on callbacks
    yellow_cards: int = 0  # 三色督办: answers warned, and answers overdue
    red_cards: int = 0


class FiguresReport(msgspec.Struct):
    period: str
    since: datetime
    until: datetime
    departments: list[Figures]
    contacts: int = 0  # the citizens' requests the centre received in the period
    answered_directly: int = 0  # of them, answered at once from the knowledge base


class NewCase(msgspec.Struct, forbid_unknown_fields=True):
    """A filing, with the rules of the report form. Photos are uploaded first (POST
    /api/v1/photos) and named here by their keys."""

    case_type: Literal["complaint", "consultation", "suggestion"]
    category_id: RowIdField
    title: Annotated[str, msgspec.Meta(max_length=200)]
    description: Text
    address: Annotated[str, msgspec.Meta(max_length=400)]
    filer_name: Annotated[str, msgspec.Meta(max_length=100)]
    filer_phone: Annotated[str, msgspec.Meta(max_length=60)]
    public: bool  # whether the filer agrees to publication
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    area_id: RowIdField | None = None
    photo_keys: Annotated[list[PhotoKeyField], msgspec.Meta(max_length=6)] = []
    # The category's questions: code → answer (a list's keys; several for a multivaluelist).
    answers: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=40)], list[Annotated[str, msgspec.Meta(max_length=1000)]]],
        msgspec.Meta(max_length=20),
    ] = {}
    # Send the same key again to retry safely: the same filing is filed once.
    submission_key: Annotated[str, msgspec.Meta(max_length=64)] | None = None


@dataclass
class PhotoUpload:
    photo: UploadFile  # a JPEG, PNG, WebP or HEIC of at most 25 MB


class FiledCase(msgspec.Struct):
    number: str
    follow_token: str  # the filer's private link: give it to them, never publish it
    follow_url: str


class PendingText(msgspec.Struct):
    entry_id: int
    case_number: str
    case_title: str
    action: str  # post_progress or draft_reply
    department: str
    text: str
    created_at: datetime
    repeats_template: str | None = None  # a reply that is only this reply template's text (seed 003: not perfunctory)


class ReviewRequest(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["approve", "edit", "send_back"]
    text: Text = ""  # edit: the version to publish; send_back: the comment for the department


class RatingRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The filer's rating of the published answer, passed on by the platform they filed through."""

    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    solved: Literal["yes", "partly", "no"]
    comment: Text = ""


class ActionDone(msgspec.Struct):
    entry_id: int
    status: str


class BulkCaseDone(msgspec.Struct):
    number: str
    entry_id: int


class BulkCaseRefused(msgspec.Struct):
    number: str
    code: str  # as the action's own route would answer: not_found, forbidden, conflict, invalid
    message: str  # in the request's language


class BulkDone(msgspec.Struct):
    """Each case of a bulk run: done, or refused with the reason; a refusal leaves the others done."""

    done: list[BulkCaseDone]
    refused: list[BulkCaseRefused]


def absolute(path: str) -> str:
    return f"{get_settings().origin}{path}"


def photo(view: PhotoView) -> Photo:
    return Photo(view.key, absolute(view.display_url), absolute(view.thumb_url), view.display_width, view.display_height)


def _summary_fields(view: CaseView) -> dict:
    return dict(
        number=view.number,
        case_type=view.case_type,
        status=view.status,
        title=view.title,
        address=view.address,
        latitude=view.latitude,
        longitude=view.longitude,
        category=view.category_name,
        category_en=view.category_name_en,
        department=view.department_name,
        department_en=view.department_name_en,
        area=view.area_name,
        district=view.district_name,
        created_at=view.created_at,
        updated_at=view.updated_at,
        published_at=view.published_at,
        support_count=view.support_count,
        url=absolute(f"/cases/{view.number}"),
    )


def summary(view: CaseView) -> CaseSummary:
    return CaseSummary(**_summary_fields(view))


def entry(item: TimelineItem) -> TimelineEntry:
    return TimelineEntry(
        item.id, item.created_at, item.action, item.label, item.status_after, item.actor_role, item.actor_name,
        item.visibility, item.body, [photo(each) for each in item.photos],
    )


def rating(item: RatingView) -> Rating:
    return Rating(item.created_at, item.satisfaction, item.solved, item.comment)


def case(view: CaseView) -> Case:
    return Case(
        **_summary_fields(view),
        description=view.description,
        duplicate_of=view.duplicate_of,
        supervised_at=view.supervised_at,
        reopened_count=view.reopened_count,
        photos=[photo(each) for each in view.photos],
        deadlines=[Deadline(each.clock.value, each.due_at, each.met_at) for each in view.deadlines],
        timeline=[entry(item) for item in view.timeline],
        ratings=[rating(item) for item in view.ratings],
    )


class RevealRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: RevealReason  # why the key needs them; the filer reads it on their follow page


class PersonalTextRequest(msgspec.Struct, forbid_unknown_fields=True):
    personal: bool  # true: the entry's text goes with the filer's contact details; false: it stays


class PersonalText(msgspec.Struct):
    entry_id: int
    personal: bool
    changed: bool  # false: it was marked so already


class FilerContact(msgspec.Struct):
    filer_name: str
    filer_phone: str


def staff_case(view: StaffCaseView, actions: list[str], shows_contact: bool) -> StaffCase:
    contact = masked(Contact(view.filer_name, view.filer_phone)) if shows_contact else Contact("", "")
    return StaffCase(case(view.case), contact.name, contact.phone, view.source, view.department_id, view.co_handler_ids, actions)


def figures(item: DepartmentFigures) -> Figures:
    return Figures(**{field: getattr(item, field) for field in Figures.__struct_fields__})


def question(item) -> Question:
    return Question(
        item.code, item.description, item.description_en, item.datatype, item.required,
        [Choice(choice.key, choice.name, choice.name_en) for choice in item.choices],
    )
