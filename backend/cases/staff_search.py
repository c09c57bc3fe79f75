"""Staff search: every case a staff member may see, open or closed, found by its number, its
words, the filer's phone (for whom may see it) and the list's filters; and each person's saved
views of it. Plain Python, no HTTP: the search page, its CSV and the JSON API read through here.

Who sees what is the rule of every staff list: the platform centre and leaders every case
(``permissions.OVERSEERS``), a handler the cases its department leads or co-handles; nobody a
representative's draft (``services.STAFF_SEES``). Searching by phone tells which cases a number
filed, so it is for those who may reveal a filer's contact (``permissions.sees_filer_contact``):
the centre over every case, a handler over the cases its department leads. The results never
carry a name or phone.

The parameters (query strings of the page, the API and the saved views alike):

  ===========  ===============================================================================
  ``q``        a case number (2026-000123: that case alone) or words (``cases.search``: the
               public text of public cases is what the index holds)
  ``phone``    the filer's phone as typed at filing, or its digits
  ``type``, ``category``, ``department``, ``area``: as on the public list (``browse``)
  ``status``   a named group of the vocabulary (``STATUS_GROUPS`` here) or one status
  ``from``, ``to``  filed since / until, ``YYYY-MM-DD`` in the platform's time zone, both included
  ``flag``     overdue (a clock overdue now) | late (overdue at some time) | supervised (督办)
  ``channel``  web | hotline | mailbox | social | api (``filing.Source``)
  ``sort``     newest (default) | oldest | due (the answer's deadline, soonest first; cases
               without one after)
  ===========  ===============================================================================

Pages are keyset pages like the public list's: the cursor holds the sort key and id of the last
case shown, never an offset, so a page costs the same at the millionth case as at the first.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import AsyncIterator, Mapping
from urllib.parse import urlencode

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.accounts.services import AccountView
from backend.cases import browse
from backend.cases import search as full_text
from backend.cases.browse import _EPOCH, _MICROSECOND, DAY_MESSAGE, BadFilter, _day, _start_of
from backend.cases.filing import Source
from backend.cases.permissions import OVERSEERS
from backend.cases.reveals import masked_phone
from backend.cases.services import _CASE_COLUMNS, STAFF_SEES, Actor, CasePage, _case_views, _handled_by, with_number
from backend.cases.supervision import OVERDUE_NOW
from backend.cases.tables import Case, SavedView
from backend.db import write_transaction
from backend.errors import FieldErrors, Forbidden, InvalidInput, NotFound
from backend.i18n_markers import N_
from backend.text import clean_text
from backend.vocabulary import (
    ANSWERED,
    CASE_NUMBER,
    CLOCKS_RUNNING,
    EVERY_STATE,
    FINISHED,
    MODERATION_QUEUE,
    WITH_A_DEPARTMENT,
    Role,
    StaffRole,
    Status,
)

PAGE_SIZE = 25  # a phone screen or two of rows; each page of a search for words looks up 25 matches (``search._few_matches``)
PHONE_MAX = 30  # as ``Case.filer_phone``
VIEW_NAME_MAX = 60
VIEWS_MAX = 30  # a person's saved views


class StatusGroup(str, enum.Enum):
    """The staff's groups of statuses, each a named group of the vocabulary."""

    not_finished = "not_finished"
    moderation = "moderation"
    with_department = "with_department"
    answered = "answered"
    finished = "finished"


STATUS_GROUPS = {
    StatusGroup.not_finished: EVERY_STATE - FINISHED,
    StatusGroup.moderation: MODERATION_QUEUE,
    StatusGroup.with_department: WITH_A_DEPARTMENT,
    StatusGroup.answered: ANSWERED,
    StatusGroup.finished: FINISHED,
}
STATUS_GROUP_LABELS = {
    StatusGroup.not_finished: N_("Not finished"),
    StatusGroup.moderation: N_("Waiting for the platform centre"),
    StatusGroup.with_department: N_("With a department, not answered"),
    StatusGroup.answered: N_("Answered"),
    StatusGroup.finished: N_("Finished"),
}
STATUSES = [status for status in Status if status in EVERY_STATE]  # one status: any but a draft's


class Flag(str, enum.Enum):
    overdue = "overdue"
    late = "late"
    supervised = "supervised"


FLAG_LABELS = {
    Flag.overdue: N_("Overdue now"),
    Flag.late: N_("Overdue at some time"),
    Flag.supervised: N_("Supervised (督办)"),
}
FLAG_CONDITIONS = {
    # As the overdue queue (``supervision.overdue_cases``): a clock overdue and still running.
    Flag.overdue: Case.status.is_in([status.value for status in CLOCKS_RUNNING]) & OVERDUE_NOW,
    Flag.late: Case.overdue_at.is_not_null(),
    Flag.supervised: Case.supervised_at.is_not_null(),
}


class Sort(str, enum.Enum):
    newest = "newest"
    oldest = "oldest"
    due = "due"


SORT_LABELS = {Sort.newest: N_("Newest first"), Sort.oldest: N_("Oldest first"), Sort.due: N_("Deadline, soonest first")}

# What the public list reads of the same parameters (``browse.CaseFilter``); the rest is staff's.
SHARED = ("type", "category", "department", "area", "q")
PARAMETERS = ("q", "phone", "type", "category", "department", "area", "status", "from", "to", "flag", "channel")
MESSAGES = {
    "phone": N_("Give a phone number of 7 to 15 digits."),
    "status": N_("Choose a status from the list."),
    "from": DAY_MESSAGE,
    "to": DAY_MESSAGE,
    "flag": N_("Choose overdue, overdue at some time, or supervised."),
    "channel": N_("Choose a channel from the list."),
}
NO_PHONE_SEARCH = N_("Only the platform centre and the lead department can search by the filer's phone.")
NOT_FOR_YOU = N_("Staff search is for the platform centre, leaders and departments.")


class PhoneNotAllowed(Forbidden):
    """A search by phone from someone who may not reveal a filer's contact."""


@dataclass(frozen=True)
class StaffFilter:
    """Which cases: every field left empty means "any"."""

    shared: browse.CaseFilter = field(default_factory=browse.CaseFilter)  # type, category, department, area, words
    number: str = ""
    phone: str = ""
    status: StatusGroup | Status | None = None
    filed_from: date | None = None
    filed_to: date | None = None  # included
    flag: Flag | None = None
    channel: Source | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> StaffFilter:
        """Raises ``browse.BadFilter`` (parameter → message) for what it cannot use."""
        raw = {name: clean_text(str(params.get(name) or "")).strip() for name in PARAMETERS}
        values: dict = {}
        errors: dict[str, str] = {}
        shared = {name: raw[name] for name in SHARED}
        if CASE_NUMBER.match(raw["q"]):
            values["number"], shared["q"] = raw["q"], ""
        try:
            values["shared"] = browse.CaseFilter.from_params(shared)
        except BadFilter as bad:
            errors.update(bad.errors)
        for name, read in _PARSERS.items():
            if raw[name]:
                try:
                    values[_FIELDS[name]] = read(raw[name])
                except ValueError:
                    errors[name] = MESSAGES[name]
        if values.get("filed_from") and values.get("filed_to") and values["filed_from"] > values["filed_to"]:
            errors["to"] = N_("The end of the date range is before its start.")
        if errors:
            raise BadFilter(errors)
        return cls(**values)

    def params(self) -> dict[str, str]:
        """The query parameters of this filter (only those set), in a stable order."""
        out = self.shared.params()
        if self.number:
            out["q"] = self.number
        by_field = {field_name: name for name, field_name in _FIELDS.items()}
        for each in fields(self):
            value = getattr(self, each.name)
            if each.name in by_field and value:
                out[by_field[each.name]] = value.value if isinstance(value, enum.Enum) else str(value)
        return out


def _phone(value: str) -> str:
    if len(value) > PHONE_MAX or not 7 <= sum(ch.isdigit() for ch in value) <= 15:
        raise ValueError(value)
    return value


def _status(value: str) -> StatusGroup | Status:
    if value in StatusGroup.__members__:
        return StatusGroup(value)
    status = Status(value)
    if status not in EVERY_STATE:
        raise ValueError(value)
    return status


_PARSERS = {"phone": _phone, "status": _status, "from": _day, "to": _day, "flag": Flag, "channel": Source}
_FIELDS = {"phone": "phone", "status": "status", "from": "filed_from", "to": "filed_to", "flag": "flag", "channel": "channel"}


def parse_sort(value: str | None) -> Sort:
    try:
        return Sort(value) if value else Sort.newest
    except ValueError:
        raise BadFilter({"sort": N_("Choose a sort order from the list.")}) from None


def may_search(role: str) -> bool:
    return role in OVERSEERS or role == StaffRole.handler


def may_search_phone(viewer: Actor) -> bool:
    """The centre, and handlers (over the cases their department leads): whoever may reveal a
    filer's contact somewhere (``permissions.sees_filer_contact``); leaders may not."""
    return viewer.role in {Role.moderator, Role.handler}


def may_export(role: str) -> bool:
    """The CSV of a search: for those who oversee every case, not for one department's handlers."""
    return role in OVERSEERS


def viewer_of(account: AccountView) -> Actor:
    """Who searches: their role and, for a handler, their department."""
    return Actor(Role(account.role), department_id=account.department_id)


async def conditions(viewer: Actor, staff_filter: StaffFilter, sort: Sort = Sort.newest) -> tuple[list, list[Status]]:
    """The filter as where clauses on ``cases``, within what ``viewer`` may see, but for the
    statuses, which come apart (see ``_ids``). Raises ``Forbidden`` for a viewer who may search
    nothing, or not by phone; ``browse.BadFilter`` for a name that names nothing."""
    if not may_search(viewer.role.value) or (viewer.role == Role.handler and viewer.department_id is None):
        raise Forbidden(NOT_FOR_YOU)  # fail closed: no department is not every department
    words = full_text.query_words(staff_filter.shared.query) if staff_filter.shared.query else []
    where: list = [STAFF_SEES, *await browse.filter_conditions(replace(staff_filter.shared, query=""))]
    if words:
        where.append(await full_text.matching(words, in_id_order=sort != Sort.due))
    if viewer.role == Role.handler:
        where.append(_handled_by(viewer.department_id))
    if staff_filter.number:
        where.append(with_number(staff_filter.number))
    if staff_filter.phone:
        if not may_search_phone(viewer):
            raise PhoneNotAllowed(NO_PHONE_SEARCH)
        if viewer.role == Role.handler:
            where.append(Case.department == viewer.department_id)  # a co-handler does not contact the filer
        digits = "".join(ch for ch in staff_filter.phone if ch.isdigit())
        # As typed at filing (spaces, dashes, +86 and all), or its digits alone.
        where.append(Case.filer_phone.is_in(sorted({staff_filter.phone, digits})))
    if staff_filter.filed_from:
        where.append(Case.created_at >= _start_of(staff_filter.filed_from))
    if staff_filter.filed_to:
        where.append(Case.created_at < _start_of(staff_filter.filed_to + timedelta(days=1)))
    if staff_filter.flag:
        where.append(FLAG_CONDITIONS[staff_filter.flag])
    if staff_filter.channel:
        where.append(Case.source == staff_filter.channel.value)
    if isinstance(staff_filter.status, StatusGroup):
        statuses = sorted(STATUS_GROUPS[staff_filter.status])
    else:
        statuses = [staff_filter.status] if staff_filter.status else []
    return where, statuses


# Cursors: the sort, the last case's key and its id. The deadline sort lists the cases without
# a deadline after the others, by id: its key is then "-".
_BAD_CURSOR = N_("This list has changed or the link is damaged: start again from the first page.")
_NO_DEADLINE = "-"


def _encode_cursor(sort: Sort, due_at: datetime | None, case_id: int) -> str:
    key = _NO_DEADLINE if due_at is None else str((due_at - _EPOCH) // _MICROSECOND)
    return base64.urlsafe_b64encode(f"{sort.value}.{key}.{case_id}".encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str, sort: Sort) -> tuple[datetime | None, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        name, key, number = text.split(".")
        case_id = int(number)
        if name != sort.value or not 0 < case_id < 2**31 or (sort != Sort.due and key != _NO_DEADLINE):
            raise ValueError(cursor)
        due_at = None if key == _NO_DEADLINE else _EPOCH + int(key) * _MICROSECOND
    except (ValueError, UnicodeError, OverflowError):
        raise BadFilter({"cursor": _BAD_CURSOR}) from None
    return due_at, case_id


async def _ids(where: list, statuses: list[Status], order: list[tuple], limit: int, apart: bool) -> list[dict]:
    """The ids (and deadlines) of the first ``limit`` matches in ``order``. A group of statuses
    is read one status at a time, each in the order of an index that starts with the status
    (``cases_status``: status and id; ``cases_status_answer_due``: status, deadline and id),
    and the lists merged (``apart``): one query over all of them would sort every case of the
    group first, and a scan in the list's order would read every case when the group is rare.
    A search for words is one query, which reads the set of their matches once."""
    columns = (Case.id, Case.answer_due_at)
    if apart and len(statuses) > 1:
        rows = [row for status in statuses for row in await _select(columns, [*where, Case.status == status.value], order, limit)]
        # Descending is by id alone (the newest first), so a negated id sorts it.
        return sorted(rows, key=lambda row: tuple(row[c._meta.name] if up else -row[c._meta.name] for c, up in order))[:limit]
    if statuses:
        where = [*where, Case.status.is_in([status.value for status in statuses])]
    return await _select(columns, where, order, limit)


async def _select(columns: tuple, where: list, order: list[tuple], limit: int) -> list[dict]:
    query = Case.select(*columns)
    for condition in where:
        query = query.where(condition)
    for column, ascending in order:
        query = query.order_by(column, ascending=ascending)
    return await query.limit(limit)


async def search(
    viewer: Actor,
    staff_filter: StaffFilter,
    sort: Sort = Sort.newest,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    who: Who | None = None,
) -> CasePage:
    """One page of the cases ``viewer`` may see that match (see the module's docstring); the
    views carry every deadline, as staff lists do. Raises ``browse.BadFilter``, ``Forbidden``.
    The page's ids come first, from the cases' columns and indexes alone; then their rows.

    A search by phone tells whose cases these are, so its first page is recorded in the admins'
    audit log with ``who`` searched (the account, or the API key), the number masked and the
    cases found, as a reveal is (``cases.reveals``); ``who`` None: a check that shows nothing."""
    limit = max(1, min(limit, browse.PAGE_SIZE_MAX))
    where, statuses = await conditions(viewer, staff_filter, sort)
    due_at, after = _decode_cursor(cursor, sort) if cursor else (None, None)
    apart = not staff_filter.shared.query
    if sort == Sort.due:
        found = []
        if not (cursor and due_at is None):  # still among the cases with a deadline
            keyset = [(Case.answer_due_at > due_at) | ((Case.answer_due_at == due_at) & (Case.id > after))] if cursor else []
            order = [(Case.answer_due_at, True), (Case.id, True)]
            found = await _ids([*where, Case.answer_due_at.is_not_null(), *keyset], statuses, order, limit + 1, apart)
        if len(found) <= limit:
            keyset = [Case.id > after] if cursor and due_at is None else []
            found += await _ids([*where, Case.answer_due_at.is_null(), *keyset], statuses, [(Case.id, True)], limit + 1 - len(found), apart)
    else:
        ascending = sort == Sort.oldest
        keyset = [(Case.id > after) if ascending else (Case.id < after)] if cursor else []
        found = await _ids([*where, *keyset], statuses, [(Case.id, ascending)], limit + 1, apart)
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if found else None
    next_cursor = _encode_cursor(sort, last["answer_due_at"] if sort == Sort.due else None, last["id"]) if more and last else None
    rows = {row["id"]: row for row in await Case.select(*_CASE_COLUMNS).where(Case.id.is_in([row["id"] for row in found]))} if found else {}
    views = await _case_views([rows[row["id"]] for row in found], set(), for_staff=True)
    if staff_filter.phone and cursor is None and who is not None:
        found_numbers = " ".join(view.number for view in views) + (" …" if next_cursor else "")
        await audit.record(AuditAction.searched_by_phone, actor=who, detail=f"{masked_phone(staff_filter.phone)} · {found_numbers or '-'}")
    return CasePage(views, next_cursor)


async def each_case(viewer: Actor, staff_filter: StaffFilter, sort: Sort = Sort.newest, who: Who | None = None) -> AsyncIterator:
    """Every matching case, in order, a page at a time (for the CSV)."""
    cursor = None
    while True:
        page = await search(viewer, staff_filter, sort, cursor, browse.PAGE_SIZE_MAX, who)
        for case in page.cases:
            yield case
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def query_string(staff_filter: StaffFilter, sort: Sort) -> str:
    """The filter and sort as a query string (without ``?``), for links that keep a view."""
    return urlencode(staff_filter.params() | ({"sort": sort.value} if sort != Sort.newest else {}))


# ---- Saved views ---------------------------------------------------------------------------


class BadView(FieldErrors):
    """A view that cannot be saved as asked."""


@dataclass(frozen=True)
class SavedViewItem:
    id: int
    name: str
    query: str  # its filter and sort as a query string


async def saved_views(account_id: int) -> list[SavedViewItem]:
    rows = await SavedView.select(SavedView.id, SavedView.name, SavedView.params).where(SavedView.account == account_id).order_by(SavedView.name)
    return [SavedViewItem(row["id"], row["name"], row["params"]) for row in rows]


async def save_view(account_id: int, name: str, staff_filter: StaffFilter, sort: Sort) -> SavedViewItem:
    """Keep the filter and sort under ``name``; a name used already is replaced. A phone
    number is never kept (it would outlive the search it was for). Raises ``BadView``."""
    name = clean_text(name).strip()
    if not name or len(name) > VIEW_NAME_MAX:
        raise BadView({"name": N_("Give the view a name of at most 60 characters.")})
    if staff_filter.phone:
        raise BadView({"name": N_("A view cannot keep a phone number: remove it from the search first.")})
    query = query_string(staff_filter, sort)
    async with write_transaction():
        taken = await SavedView.select(SavedView.id).where(SavedView.account == account_id, SavedView.name == name).first()
        if taken:
            await SavedView.update({SavedView.params: query, SavedView.created_at: clock.now()}).where(SavedView.id == taken["id"])
            return SavedViewItem(taken["id"], name, query)
        if await SavedView.count().where(SavedView.account == account_id) >= VIEWS_MAX:
            raise BadView({"name": N_("You have 30 saved views: delete one first.")}, kind=InvalidInput)
        rows = await SavedView.insert(SavedView(account=account_id, name=name, params=query, created_at=clock.now())).returning(SavedView.id)
    return SavedViewItem(rows[0]["id"], name, query)


async def delete_view(account_id: int, view_id: int) -> None:
    """Delete one of the person's own views; another's is one that does not exist."""
    deleted = await SavedView.delete().where(SavedView.id == view_id, SavedView.account == account_id).returning(SavedView.id)
    if not deleted:
        raise NotFound(N_("There is no such saved view."))
