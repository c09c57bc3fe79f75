"""The case services: filing, following, the public record, and lifecycle actions.

They know nothing of HTTP; pages, the JSON API and Open311 all come through here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Max

from backend import clock, events
from backend.cases import clock_columns
from backend.deadlines.clocks import Clock, Deadline, next_due
from backend.cases.filing import CaseForm, FilingError, Source, ValidCase, validate
from backend.vocabulary import (
    CASE_NUMBER,
    CLOCKS_RUNNING,
    PUBLIC_STATUSES,
    SEEN_BY_ALL,
    Publication,
    Review,
    ReviewDecision,
    Role,
    Status,
    Visibility,
)
from backend.cases.lifecycle import TRANSITIONS, entry_label
from backend.cases import callbacks
from backend.cases.tables import Case, CaseAnswer, CaseNumberCounter, CoHandler, Rating, TimelineEntry
from backend.db import write_transaction
from backend.events import EntryAppended
from backend.departments.questions import check_answers, questions_of
from backend.departments.services import AREA_UNAVAILABLE, get_active_category, is_active_area
from backend.i18n_markers import N_
from backend.photos import services as photos
from backend.photos.services import PhotoView
from backend.errors import WrongState


PHOTO_CARRIERS = frozenset(action for action, transition in TRANSITIONS.items() if transition.photos)

# Cases a department still has to act on: their deadlines run.

# What staff may see of the cases, in every list, count, search, page and action: everything but
# representatives' drafts, which are their representatives' alone until submitted.
STAFF_SEES = Case.status != Status.draft.value

def with_number(number: str):
    """The case numbered ``number``, as a query's condition: the one place a case number is
    checked. Anything of another shape (other digits than ASCII, more of them) names no case,
    so the lookup finds nothing, as for a number no case has."""
    if CASE_NUMBER.match(number):
        return Case.number == number
    return Case.id.is_null()  # the primary key: matches no row


@dataclass(frozen=True)
class FiledCase:
    number: str
    follow_token: str


@dataclass(frozen=True)
class Actor:
    role: Role
    name: str = ""  # the department or "platform centre" shown on the timeline; never a citizen's
    department_id: int | None = None  # handlers: the department they act for
    account_id: int | None = None  # leaders: who takes charge of a case (never shown)


@dataclass(frozen=True)
class TimelineItem:
    id: int
    created_at: datetime
    action: str
    label: str
    status_after: str | None
    actor_role: str
    actor_name: str
    visibility: str
    body: str
    review: str = ""
    due_at: datetime | None = None
    personal: bool = False  # its text goes with the filer's contact details (``personal_text``)
    photos: list[PhotoView] = field(default_factory=list)
    # The entry that showed it to everyone: itself, or for a department's text the moderator's
    # approval (a later entry). Live streams count in these ids (see ``CaseView.live_cursor``).
    revealed_by: int = 0


@dataclass(frozen=True)
class RatingView:
    """A filer's rating of an answer. ``comment`` is the version the moderators published
    (edited of personal data); the filer's own words are the text of the rating's entry."""

    entry_id: int
    created_at: datetime
    satisfaction: str
    solved: str
    publication: str
    comment: str
    photos: list[PhotoView]  # what the public sees of them, once published
    outcome: str = ""  # a representative's two-scale rating of a suggestion's answer
    attitude: str = ""


@dataclass(frozen=True)
class CaseView:
    """A case as the public may see it: no name, no phone, no follow token."""

    id: int
    number: str
    case_type: str
    status: str
    title: str
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    category_name: str
    category_name_en: str
    department_name: str | None
    department_name_en: str | None
    area_name: str | None  # a district, or a street or town…
    area_name_en: str | None
    district_name: str | None  # …and then the district it is in
    district_name_en: str | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    publication_consent: bool
    duplicate_of: str | None  # the number of the case this one repeats
    supervised_at: datetime | None  # the latest supervision (督办), by hand or by the clock jobs
    reopened_count: int  # 重办: sent back to the department after the filer was not satisfied
    photos: list[PhotoView]
    timeline: list[TimelineItem]
    deadlines: list[Deadline]  # staff see them all; the public and the filer only the answer's
    ratings: list[RatingView]  # the public: the published ones; the filer and staff: all
    support_count: int = 0  # 我也遇到: people who said they have the same problem
    knowledge_entry_id: int | None = None  # answered from this entry of the knowledge base

    @property
    def answer_deadline(self) -> Deadline | None:
        return next((deadline for deadline in self.deadlines if deadline.clock == Clock.answer), None)

    @property
    def due_next(self) -> Deadline | None:
        return next_due(self.deadlines) if Status(self.status) in CLOCKS_RUNNING else None

    def overdue_deadlines(self, now: datetime) -> list[Deadline]:
        return [deadline for deadline in self.deadlines if deadline.overdue(now)] if Status(self.status) in CLOCKS_RUNNING else []

    @property
    def live_cursor(self) -> int:
        """Where a live stream of this view starts: the latest entry that revealed something in
        it. Entries of one case commit in id order (each action holds the case's row), so
        whatever becomes visible later is revealed by a higher id."""
        return max((item.revealed_by for item in self.timeline), default=0)

    def revealed_after(self, cursor: int) -> list[TimelineItem]:
        """The entries of this view revealed after ``cursor``, in the order they were revealed."""
        return sorted((item for item in self.timeline if item.revealed_by > cursor), key=lambda item: item.revealed_by)


@dataclass(frozen=True)
class CasePage:
    cases: list[CaseView]
    next_cursor: str | None


def follow_token_for(submission_key: str, secret_key: str) -> str:
    """Derived, not stored: the same filing sent twice gets the same link back."""
    digest = hmac.new(secret_key.encode(), b"follow:" + submission_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def file_case(
    form: CaseForm,
    *,
    secret_key: str,
    time_zone: str,
    source: Source = Source.web,
    source_url: str = "",
    recorded_by: Actor | None = None,
    questions_required: bool | None = None,
) -> FiledCase:
    """File a case. It is acknowledged only once this returns: row committed, photos on disk.

    Staff recording a call, a letter or a post (``recorded_by``) may leave the phone out.
    Raises ``FilingError`` with every problem of the form.
    """
    valid = validate(form.cleaned(), phone_required=recorded_by is None)
    errors: dict[str, str] = {}
    category = await get_active_category(valid.category_id)
    if category is None:
        errors["category_id"] = N_("Choose a category.")
    # Staff recording a call write down what was said: unless told, the category's questions are
    # required of filers only.
    required = recorded_by is None if questions_required is None else questions_required
    answers = check_answers(await questions_of(category.id) if category else [], form.answers, required=required)
    errors.update(answers.errors)
    if valid.area_id is not None and not await is_active_area(valid.area_id):
        errors["area_id"] = AREA_UNAVAILABLE
    waiting = await photos.unattached_photos(valid.photo_keys)
    if len(waiting) != len(valid.photo_keys):
        errors["photos"] = N_("A photo could not be found. Please add it again.")
    submission_key = valid.submission_key or secrets.token_urlsafe(24)
    follow_token = follow_token_for(submission_key, secret_key)
    digest = submission_digest(valid, [(each.code, each.value) for each in answers.answers], await photos.contents_of(valid.photo_keys))
    if valid.submission_key and (existing := await _case_for_submission(submission_key, digest)):
        return FiledCase(existing, follow_token)
    if errors:
        raise FilingError(errors)

    now = clock.now()
    try:
        async with write_transaction():
            number = await next_case_number(now.astimezone(ZoneInfo(time_zone)).year)
            # Checked after taking the counter's row lock: a twin filing sent at the same moment
            # has committed by now (READ COMMITTED sees it), and rolling back leaves no gap.
            if existing := await _case_for_submission(submission_key, digest):
                raise _AlreadyFiled(existing)
            case_id = await _insert_case(valid, number, _token_hash(follow_token), submission_key, digest, source, source_url, now)
            if answers.answers:
                await CaseAnswer.insert(
                    *[CaseAnswer(case=case_id, code=each.code, question=each.question, value=each.value) for each in answers.answers]
                )
            attached = await photos.attach_to_case(valid.photo_keys, case_id)
            if attached != len(valid.photo_keys):
                # Another filing claimed a photo between the check and now: refuse, roll back.
                raise FilingError({"photos": N_("A photo could not be found. Please add it again.")})
            await append_entry(
                case_id, "submit", Status.submitted, recorded_by or Actor(Role.citizen), Visibility.public, "", now
            )
    except _AlreadyFiled as already:
        return FiledCase(already.number, follow_token)
    return FiledCase(number, follow_token)


class _AlreadyFiled(Exception):
    def __init__(self, number: str):
        self.number = number


def submission_digest(valid: ValidCase, answers: list[tuple[str, str]], photo_hashes: list[str]) -> str:
    """A hash of a filing's content as validated, photos by their pictures (a device sending a
    kept report again uploads them again, under new keys)."""
    content = {
        field: getattr(valid, field)
        for field in ValidCase.__dataclass_fields__
        if field not in ("submission_key", "photo_keys")
    } | {"answers": sorted(answers), "photos": photo_hashes}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


SUBMISSION_KEY_TAKEN = N_(
    "This form was already sent with other content. Check what you typed and send it again to file it as a new case."
)


async def _case_for_submission(submission_key: str, digest: str) -> str | None:
    """The case filed under this key with this content; a key already used for other content is
    refused (WrongState): the key is the client's choice and must not hand anyone another's follow link."""
    row = await Case.select(Case.number, Case.submission_digest).where(Case.submission_key == submission_key).first()
    if row is None:
        return None
    if not hmac.compare_digest(row["submission_digest"] or "", digest):
        raise FilingError({"form": SUBMISSION_KEY_TAKEN}, WrongState)
    return row["number"]


async def next_case_number(year: int) -> str:
    # One statement that increments and returns, row-locked on PostgreSQL, serialised on SQLite.
    rows = await CaseNumberCounter.raw(
        "INSERT INTO case_number_counter (year, last) VALUES ({}, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = case_number_counter.last + 1 RETURNING last",
        year,
    )
    return f"{year}-{rows[0]['last']:06d}"


async def _insert_case(
    valid: ValidCase, number: str, token_hash: str, submission_key: str, digest: str, source: Source, source_url: str, now: datetime
) -> int:
    case = Case(
        number=number,
        case_type=valid.case_type.value,
        category=valid.category_id,
        title=valid.title,
        description=valid.description,
        address=valid.address,
        area=valid.area_id,
        latitude=valid.latitude,
        longitude=valid.longitude,
        filer_name=valid.filer_name,
        filer_phone=valid.filer_phone,
        publication_consent=valid.publication_consent,
        status=Status.submitted.value,
        source=source.value,
        source_url=source_url,
        follow_token_hash=token_hash,
        submission_key=submission_key,
        submission_digest=digest,
        created_at=now,
        updated_at=now,
    )
    await case.save()
    return case.id


async def append_entry(
    case_id: int,
    action: str,
    status_after: Status | None,
    actor: Actor,
    visibility: Visibility,
    body: str,
    now: datetime,
    *,
    review: Review = Review.none,
    refers_to: int | None = None,
    due_at: datetime | None = None,
    personal: bool = False,
) -> int:
    """Timeline entries are only ever appended: history is never rewritten (only erased, where
    it is personal, when the case's personal data goes: ``retention``)."""
    rows = await TimelineEntry.insert(
        TimelineEntry(
            case=case_id,
            created_at=now,
            action=action,
            status_after=status_after.value if status_after else None,
            actor_role=actor.role.value,
            actor_name=actor.name,
            visibility=visibility.value,
            body=body,
            department=actor.department_id if actor.role == Role.handler else None,
            review=review.value,
            refers_to=refers_to,
            due_at=due_at,
            personal=personal,
        )
    ).returning(TimelineEntry.id)
    await events.emit(EntryAppended(case_id, rows[0]["id"], action, status_after.value if status_after else None))
    return rows[0]["id"]


_CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.case_type,
    Case.status,
    Case.title,
    Case.description,
    Case.address,
    Case.latitude,
    Case.longitude,
    Case.category.name.as_alias("category_name"),
    Case.category.name_en.as_alias("category_name_en"),
    Case.department.name.as_alias("department_name"),
    Case.department.name_en.as_alias("department_name_en"),
    Case.area.name.as_alias("area_name"),
    Case.area.name_en.as_alias("area_name_en"),
    Case.area.parent.name.as_alias("district_name"),
    Case.area.parent.name_en.as_alias("district_name_en"),
    Case.created_at,
    Case.updated_at,
    Case.published_at,
    Case.publication_consent,
    Case.duplicate_of.number.as_alias("duplicate_of"),
    Case.supervised_at,
    Case.reopened_count,
    Case.support_count,
    Case.knowledge_entry.as_alias("knowledge_entry_id"),
    *clock_columns.CLOCK_COLUMNS,
)
_CLOCK_COLUMNS = [column._meta.name for column in clock_columns.CLOCK_COLUMNS]


async def _case_views(rows: list[dict], visibilities: set[Visibility], for_staff: bool = False) -> list[CaseView]:
    """``visibilities``: the timeline entries to read (none for lists); ``for_staff``: originals
    of moderated photos, and every deadline."""
    if not rows:
        return []
    case_ids = [row["id"] for row in rows]
    photo_map = await photos.photos_of_cases(case_ids, for_staff)
    timelines = await _timelines(case_ids, visibilities, for_staff) if visibilities else {}
    ratings = await _ratings(case_ids, published_only=Visibility.filer not in visibilities) if visibilities else {}
    views = []
    for row in rows:
        # The public sees when the answer is due; the department's inner clocks are for staff.
        deadlines = [d for d in clock_columns.deadlines_of(row) if for_staff or d.clock == Clock.answer]
        for name in _CLOCK_COLUMNS:
            del row[name]
        views.append(
            CaseView(
                **row,
                photos=photo_map.get(row["id"], []),
                timeline=timelines.get(row["id"], []),
                deadlines=deadlines,
                ratings=ratings.get(row["id"], []),
            )
        )
    return views


async def _ratings(case_ids: list[int], published_only: bool) -> dict[int, list[RatingView]]:
    query = (
        Rating.select(
            Rating.case.as_alias("case_id"),
            Rating.entry.as_alias("entry_id"),
            Rating.created_at,
            Rating.satisfaction,
            Rating.solved,
            Rating.outcome,
            Rating.attitude,
            Rating.publication,
            Rating.published_comment.as_alias("comment"),
        )
        .where(Rating.case.is_in(case_ids))
        .order_by(Rating.id)
    )
    if published_only:
        query = query.where(Rating.publication == Publication.published.value)
    rows = await query
    published = [row["entry_id"] for row in rows if row["publication"] == Publication.published.value]
    entry_photos = await photos.photos_of_entries(published)  # the public versions, for everyone
    ratings: dict[int, list[RatingView]] = {}
    for row in rows:
        ratings.setdefault(row.pop("case_id"), []).append(RatingView(**row, photos=entry_photos.get(row["entry_id"], [])))
    return ratings


async def _timelines(case_ids: list[int], visibilities: set[Visibility], for_staff: bool) -> dict[int, list[TimelineItem]]:
    rows = (
        await TimelineEntry.select(
            TimelineEntry.case.as_alias("case_id"),
            TimelineEntry.id,
            TimelineEntry.created_at,
            TimelineEntry.action,
            TimelineEntry.status_after,
            TimelineEntry.actor_role,
            TimelineEntry.actor_name,
            TimelineEntry.visibility,
            TimelineEntry.body,
            TimelineEntry.review,
            TimelineEntry.due_at,
            TimelineEntry.refers_to,
            TimelineEntry.personal,
        )
        .where(
            TimelineEntry.case.is_in(case_ids),
            TimelineEntry.visibility.is_in([v.value for v in visibilities]),
            # Department text waiting for (or refused by) a moderator is for staff only.
            *([] if Visibility.internal in visibilities else [TimelineEntry.review.is_in(SEEN_BY_ALL)]),
        )
        .order_by(TimelineEntry.created_at)
        .order_by(TimelineEntry.id)
    )
    # A moderator's edited version of a post is a new entry; the photos stay with the original.
    photo_owner = {row["id"]: row["refers_to"] if _edited_version(row) else row["id"] for row in rows}
    entry_photos = await photos.photos_of_entries(sorted(set(photo_owner.values())), for_staff)
    # Read after the entries: an approval committed in between reveals nothing read above.
    approvals = await _approvals(case_ids) if rows else {}
    timelines: dict[int, list[TimelineItem]] = {}
    for row in rows:
        case_id = row.pop("case_id")
        row.pop("refers_to")
        label = entry_label(row["action"])
        timelines.setdefault(case_id, []).append(
            TimelineItem(
                **row,
                label=label,
                photos=entry_photos.get(photo_owner[row["id"]], []),
                revealed_by=approvals.get(row["id"], row["id"]) if row["review"] == Review.approved.value else row["id"],
            )
        )
    return timelines


async def _approvals(case_ids: list[int]) -> dict[int, int]:
    """Department texts published as written → the moderator's approval entry."""
    rows = await TimelineEntry.select(TimelineEntry.refers_to, TimelineEntry.id).where(
        TimelineEntry.case.is_in(case_ids), TimelineEntry.action == f"review_{ReviewDecision.approve.value}"
    )
    return {row["refers_to"]: row["id"] for row in rows}


def _edited_version(row: dict) -> bool:
    """A published entry that refers to another is a moderator's edit of it (a rating, too,
    refers to the reply it rates, but is no edit of it)."""
    return row["action"] in PHOTO_CARRIERS and row["refers_to"] is not None and row["review"] == Review.approved.value


def _follow_token_matches(token: str):
    return Case.follow_token_hash == _token_hash(token if 20 <= len(token) <= 64 else "")


async def case_for_follow_token(token: str) -> CaseView | None:
    """The filer's view: everything public plus what is meant for the filer alone."""
    rows = await Case.select(*_CASE_COLUMNS).where(_follow_token_matches(token))
    views = await _case_views(rows, {Visibility.public, Visibility.filer})
    return views[0] if views else None


async def case_of_follow_token(token: str) -> dict | None:
    """The id, number and status of the case a follow link is for."""
    return await Case.select(Case.id, Case.number, Case.status).where(_follow_token_matches(token)).first()


async def live_case(case_id: int, for_filer: bool) -> CaseView | None:
    """A case as a live stream shows it: the public view (of a public case), or the filer's."""
    query = Case.select(*_CASE_COLUMNS).where(Case.id == case_id)
    if not for_filer:
        query = query.where(Case.published_at.is_not_null())
    views = await _case_views(await query, {Visibility.public, Visibility.filer} if for_filer else {Visibility.public})
    return views[0] if views else None


async def public_case_id(number: str) -> int | None:
    row = await Case.select(Case.id).where(with_number(number), Case.published_at.is_not_null()).first()
    return row["id"] if row else None


async def latest_entry_id() -> int:
    row = await TimelineEntry.select(TimelineEntry.id).order_by(TimelineEntry.id, ascending=False).first()
    return row["id"] if row else 0


async def cases_changed_since(entry_id: int) -> list[tuple[int, int]]:
    """Each case with entries after ``entry_id``, and its latest entry."""
    rows = await TimelineEntry.select(TimelineEntry.case, Max(TimelineEntry.id).as_alias("latest")).where(
        TimelineEntry.id > entry_id
    ).group_by(TimelineEntry.case)
    return [(row["case"], row["latest"]) for row in rows]


async def public_case(number: str) -> CaseView | None:
    rows = await Case.select(*_CASE_COLUMNS).where(
        with_number(number), Case.published_at.is_not_null()
    )
    views = await _case_views(rows, {Visibility.public})
    return views[0] if views else None


@dataclass(frozen=True)
class StaffCaseView:
    """What staff see of a case: everything, including the filer's contact details."""

    case: CaseView
    department_id: int | None
    area_id: int | None
    filer_name: str
    filer_phone: str
    source: str
    source_url: str
    leader_name: str | None  # a leader who took charge of the case (提级办理)
    anonymised_at: datetime | None  # the filer's contact details erased (``cases.retention``)
    co_handler_ids: list[int]
    answers: list[dict] = field(default_factory=list)  # the category's questions: code, question, value
    dispute_pending: bool = False  # a department's dispute of a rating waits for the centre's decision

    @property
    def awaiting_publication(self) -> bool:
        """Its filer agreed to publish it and it is handled, but no person has read it yet (an
        automatic routing rule assigned it): the ``publish`` row."""
        return self.case.publication_consent and self.case.published_at is None and Status(self.case.status) in PUBLIC_STATUSES


async def staff_case(number: str) -> StaffCaseView | None:
    rows = await Case.select(
        *_CASE_COLUMNS,
        Case.department.as_alias("department_id"),
        Case.area.as_alias("area_id"),
        Case.filer_name,
        Case.filer_phone,
        Case.source,
        Case.source_url,
        Case.leader.name.as_alias("leader_name"),
        Case.anonymised_at,
    ).where(with_number(number), STAFF_SEES)
    if not rows:
        return None
    extra = {
        key: rows[0].pop(key)
        for key in ("department_id", "area_id", "filer_name", "filer_phone", "source", "source_url", "leader_name", "anonymised_at")
    }
    views = await _case_views(rows, set(Visibility), for_staff=True)
    co = await CoHandler.select(CoHandler.department).where(CoHandler.case == views[0].id)
    answers = await CaseAnswer.select(CaseAnswer.code, CaseAnswer.question, CaseAnswer.value).where(
        CaseAnswer.case == views[0].id
    ).order_by(CaseAnswer.id)
    dispute_pending = await callbacks.dispute_pending(views[0].id)
    return StaffCaseView(
        case=views[0], co_handler_ids=[row["department"] for row in co], answers=answers, dispute_pending=dispute_pending, **extra
    )


async def departments_of(number: str) -> tuple[int | None, list[int]]:
    """The lead department of a case and its co-handlers."""
    return await _departments(with_number(number))


async def staff_sees_case(case_id: int) -> bool:
    return await Case.exists().where(Case.id == case_id, STAFF_SEES)


async def departments_of_case(case_id: int) -> tuple[int | None, list[int]]:
    return await _departments(Case.id == case_id)


async def _departments(which) -> tuple[int | None, list[int]]:
    case = await Case.select(Case.id, Case.department).where(which, STAFF_SEES).first()
    if case is None:
        return None, []
    co = await CoHandler.select(CoHandler.department).where(CoHandler.case == case["id"])
    return case["department"], [row["department"] for row in co]


# Its filer agreed to publish it, but no person has read it yet (``StaffCaseView.awaiting_publication``;
# with a public status: an automatic routing rule assigned it).
AWAITING_PUBLICATION = Case.published_at.is_null() & (Case.publication_consent == True)  # noqa: E712 (SQL)


async def staff_cases(
    statuses: set[Status] | None = None,
    department_id: int | None = None,
    limit: int = 100,
    newest_first: bool = False,
    where=None,
) -> list[CaseView]:
    """Cases for a staff queue, oldest first (the one waiting longest comes up first), or the
    most recently changed first (for the record of what is done); ``where``: a further condition."""
    query = Case.select(*_CASE_COLUMNS).where(STAFF_SEES)
    if where is not None:
        query = query.where(where)
    if statuses:
        query = query.where(Case.status.is_in([status.value for status in statuses]))
    if department_id is not None:
        query = query.where(_handled_by(department_id))
    if newest_first:
        query = query.order_by(Case.updated_at, ascending=False).order_by(Case.id, ascending=False)
    else:
        query = query.order_by(Case.created_at).order_by(Case.id)
    return await _case_views(await query.limit(limit), set(), for_staff=True)


def _handled_by(department_id: int):
    """The cases a department leads or co-handles, as a where clause (one query, however many)."""
    co_handled = CoHandler.select(CoHandler.case).where(CoHandler.department == department_id)
    return (Case.department == department_id) | Case.id.is_in(co_handled)


async def status_counts(department_id: int | None = None) -> dict[str, int]:
    query = Case.select(Case.status, Count(Case.id).as_alias("count")).where(STAFF_SEES).group_by(Case.status)
    if department_id is not None:
        query = query.where(_handled_by(department_id))
    return {row["status"]: row["count"] for row in await query}


async def count_cases(statuses: set[Status], department_id: int | None = None, where=None) -> int:
    """How many cases are in these states (of a department: led or co-handled); ``where``: a further condition."""
    query = Case.count().where(STAFF_SEES, Case.status.is_in([status.value for status in statuses]))
    if where is not None:
        query = query.where(where)
    if department_id is not None:
        query = query.where(_handled_by(department_id))
    return await query



async def latest_public_texts(case_ids: list[int]) -> dict[int, str]:
    """Each case's latest text the public may read (Open311's ``status_notes``)."""
    if not case_ids:
        return {}
    rows = await TimelineEntry.select(TimelineEntry.case, TimelineEntry.body).where(
        TimelineEntry.case.is_in(case_ids),
        TimelineEntry.visibility == Visibility.public.value,
        TimelineEntry.review.is_in(SEEN_BY_ALL),
        TimelineEntry.body != "",
    ).order_by(TimelineEntry.id)
    return {row["case"]: row["body"] for row in rows}


async def status_of_entry(entry_id: int) -> str:
    """The status of the case a timeline entry belongs to, now."""
    row = await TimelineEntry.select(TimelineEntry.case.status.as_alias("status")).where(TimelineEntry.id == entry_id).first()
    return row["status"]
