"""Browsing public cases: filters, sorts and keyset pages. Plain Python, no HTTP.

Every public list reads through here: the /cases page and its htmx fragment, the map's GeoJSON,
the Atom feeds, the CSV export, the JSON API and Open311 ``GET requests``.

API (kept stable for the adapters):

- ``CaseFilter.from_params(params)`` reads a filter from query parameters (any mapping of str
  to str; unknown keys are ignored) and raises ``BadFilter`` (a ``FieldErrors`` of kind
  Malformed: parameter name → translatable message) for a value it cannot use, never anything else.
  ``filter.params()`` gives the parameters back (only those set), for links that keep a view.
  The parameters:

  ====================  =====================================================================
  ``type``              complaint | consultation | suggestion
  ``category``          a category's slug
  ``department``        a department's slug (the lead department)
  ``area``              an area's slug; a district includes its streets and towns
  ``status``            open (being handled) | answered | closed (see ``STATUS_GROUPS``)
  ``from``, ``to``      public since / until, dates ``YYYY-MM-DD`` in the platform's time zone,
                        both included, within ``clock.FIRST_DAY``‥``clock.LAST_DAY``
  ``timeliness``        on_time (answered by its deadline) | overdue (answered late, or late now)
  ``q``                 text to search for (Chinese or English, see ``cases.search``)
  ====================  =====================================================================

- ``Sort``: ``newest`` (published_at), ``updated`` (updated_at), ``supported`` (support_count);
  ``parse_sort(value)`` reads one (empty → newest) or raises ``BadFilter``.
- ``await browse(filter, sort=Sort.newest, cursor=None, limit=20) -> CasePage``: ``cases`` are
  ``services.CaseView`` objects as the public may see them (no personal data; no timeline),
  ``next_cursor`` an opaque string for the next page, or None on the last. A cursor belongs to
  its sort: another sort's cursor, or a damaged one, raises ``BadFilter``. Pages are keyset
  pages (no OFFSET): the sort key and the id of the last case seen, so cases published while
  someone pages neither repeat a case nor skip one. (A case whose key changes meanwhile — it
  is updated, or supported — may move past the cursor: that is the nature of those two sorts.)
  An unknown slug raises ``BadFilter`` too. ``limit`` is kept within 1‥100.
- ``await count(filter)`` → how many public cases match.
- ``await each_case(filter, sort)`` yields every matching case in order, a page at a time (for
  exports and feeds that must not hold everything in memory).
- ``await locations(filter, limit)`` → the newest matching public cases that have a place, as
  light ``Location`` rows (for the map).
- ``await choices()`` → the categories, departments and areas a filter form offers.
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import AsyncIterator, Mapping
from zoneinfo import ZoneInfo

from piccolo.query import WhereRaw

from backend import clock
from backend.cases import search
from backend.vocabulary import STATUS_GROUPS, CaseType, StatusGroup
from backend.cases.services import _CASE_COLUMNS, CasePage, _case_views
from backend.cases.tables import Case
from backend.departments.services import CategoryItem, District, all_categories, area_tree
from backend.departments.tables import Area, Category, Department
from backend.errors import FieldErrors, Malformed
from backend.i18n_markers import N_
from backend.settings import get_settings
from backend.text import clean_text

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
QUERY_MAX = 100  # characters of a search query
SLUG_MAX = 60


class BadFilter(FieldErrors):
    """A filter, sort or cursor that can't be used: the request is wrong (Malformed)."""

    default_kind = Malformed


class Timeliness(str, enum.Enum):
    on_time = "on_time"
    overdue = "overdue"


TIMELINESS_LABELS = {Timeliness.on_time: N_("Answered by the deadline"), Timeliness.overdue: N_("Overdue")}


class Sort(str, enum.Enum):
    newest = "newest"
    updated = "updated"
    supported = "supported"


SORT_LABELS = {Sort.newest: N_("Newest"), Sort.updated: N_("Recently updated"), Sort.supported: N_("Most supported")}
_SORT_COLUMNS = {Sort.newest: Case.published_at, Sort.updated: Case.updated_at, Sort.supported: Case.support_count}

# Query parameter → CaseFilter field.
PARAMETERS = {
    "type": "case_type",
    "category": "category",
    "department": "department",
    "area": "area",
    "status": "status",
    "from": "published_from",
    "to": "published_to",
    "timeliness": "timeliness",
    "q": "query",
}


@dataclass(frozen=True)
class CaseFilter:
    """Which public cases: every field left empty means "any"."""

    case_type: CaseType | None = None
    category: str = ""  # slug
    department: str = ""  # slug
    area: str = ""  # slug
    status: StatusGroup | None = None
    published_from: date | None = None
    published_to: date | None = None  # included
    timeliness: Timeliness | None = None
    query: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CaseFilter:
        values: dict = {}
        errors: dict[str, str] = {}
        for name, field_name in PARAMETERS.items():
            raw = clean_text(str(params.get(name) or ""))
            if not raw:
                continue
            try:
                values[field_name] = _PARSERS[field_name](raw)
            except ValueError:
                errors[name] = _MESSAGES[field_name]
        found = cls(**values)
        if found.published_from and found.published_to and found.published_from > found.published_to:
            errors["to"] = N_("The end of the date range is before its start.")
        if errors:
            raise BadFilter(errors)
        return found

    def params(self) -> dict[str, str]:
        """The query parameters of this filter (only those set), in a stable order."""
        by_field = {field_name: name for name, field_name in PARAMETERS.items()}
        out = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value:
                out[by_field[field.name]] = value.value if isinstance(value, enum.Enum) else str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.params())


def _slug(value: str) -> str:
    if len(value) > SLUG_MAX or not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in value):
        raise ValueError(value)
    return value.lower()


def _query(value: str) -> str:
    if len(value) > QUERY_MAX:
        raise ValueError(value)
    return value


def _day(value: str) -> date:
    return clock.typed_day(date.fromisoformat(value))


DAY_MESSAGE = N_("Give a date as YYYY-MM-DD, from 1970-01-01 to 2999-12-31.")
_PARSERS = {
    "case_type": CaseType,
    "category": _slug,
    "department": _slug,
    "area": _slug,
    "status": StatusGroup,
    "published_from": _day,
    "published_to": _day,
    "timeliness": Timeliness,
    "query": _query,
}
_MESSAGES = {
    "case_type": N_("Choose a type of case from the list."),
    "category": N_("Choose a category from the list."),
    "department": N_("Choose a department from the list."),
    "area": N_("Choose an area from the list."),
    "status": N_("Choose a status from the list."),
    "published_from": DAY_MESSAGE,
    "published_to": DAY_MESSAGE,
    "timeliness": N_("Choose on time or overdue."),
    "query": N_("The search text is too long (at most 100 characters)."),
}


def parse_sort(value: str | None) -> Sort:
    try:
        return Sort(value) if value else Sort.newest
    except ValueError:
        raise BadFilter({"sort": N_("Choose a sort order from the list.")}) from None


# Cursors: the sort, the last case's sort key and its id, base64url so that nobody relies on them.
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_BAD_CURSOR = N_("This list has changed or the link is damaged: start again from the first page.")


def _encode_cursor(sort: Sort, key, case_id: int) -> str:
    number = (key - _EPOCH) // _MICROSECOND if isinstance(key, datetime) else key
    return base64.urlsafe_b64encode(f"{sort.value}.{number}.{case_id}".encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str, sort: Sort) -> tuple[datetime | int, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        name, number, case_id = text.split(".")
        key, case_id = int(number), int(case_id)
        # Of this sort, and inside what its key is (datetime, or the INTEGER count) and INTEGER ids.
        highest = 2**31 if sort == Sort.supported else 10**17
        if name != sort.value or not (0 <= key < highest and 0 < case_id < 2**31):
            raise ValueError(cursor)
    except (ValueError, UnicodeError, OverflowError):
        raise BadFilter({"cursor": _BAD_CURSOR}) from None
    return (_EPOCH + key * _MICROSECOND if sort != Sort.supported else key), case_id


async def _id_of(table, slug: str, parameter: str) -> int:
    row = await table.select(table.id).where(table.slug == slug).first()
    if row is None:
        raise BadFilter({parameter: _MESSAGES[PARAMETERS[parameter]]})
    return row["id"]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(get_settings().time_zone))


async def _conditions(case_filter: CaseFilter) -> list:
    """The filter as where clauses on ``cases`` (public cases only, always)."""
    return [Case.published_at.is_not_null(), *await filter_conditions(case_filter)]


async def filter_conditions(case_filter: CaseFilter) -> list:
    """The filter as where clauses on ``cases``, of any case: the public list keeps to public
    cases, the staff search (``cases.staff_search``) to those the person may see."""
    where: list = []
    if case_filter.case_type:
        where.append(Case.case_type == case_filter.case_type.value)
    if case_filter.category:
        where.append(Case.category == await _id_of(Category, case_filter.category, "category"))
    if case_filter.department:
        where.append(Case.department == await _id_of(Department, case_filter.department, "department"))
    if case_filter.area:
        area_id = await _id_of(Area, case_filter.area, "area")
        streets = await Area.select(Area.id).where(Area.parent == area_id)
        where.append(Case.area.is_in([area_id, *(row["id"] for row in streets)]))
    if case_filter.status:
        where.append(Case.status.is_in([status.value for status in STATUS_GROUPS[case_filter.status]]))
    if case_filter.published_from:
        where.append(Case.published_at >= _start_of(case_filter.published_from))
    if case_filter.published_to:
        where.append(Case.published_at < _start_of(case_filter.published_to + timedelta(days=1)))
    if case_filter.timeliness == Timeliness.on_time:
        where.append(WhereRaw("cases.answered_at IS NOT NULL AND cases.answered_at <= cases.answer_due_at"))
    elif case_filter.timeliness == Timeliness.overdue:
        # Flagged by the clock jobs, or answered late before they looked.
        where.append(WhereRaw("(cases.answer_overdue_at IS NOT NULL OR cases.answered_at > cases.answer_due_at)"))
    if case_filter.query and (words := search.query_words(case_filter.query)):
        where.append(await search.matching(words))
    return where


async def browse(
    case_filter: CaseFilter, sort: Sort = Sort.newest, cursor: str | None = None, limit: int = PAGE_SIZE, where: tuple | list = ()
) -> CasePage:
    """One page of public cases (see the module's docstring). ``where``: further where clauses
    on ``Case`` for what an adapter asks beyond the filter (Open311's dates of filing, the
    representatives' own list)."""
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    column = _SORT_COLUMNS[sort]
    query = Case.select(*_CASE_COLUMNS)
    for condition in [*await _conditions(case_filter), *where]:
        query = query.where(condition)
    if cursor:
        key, case_id = _decode_cursor(cursor, sort)
        query = query.where((column < key) | ((column == key) & (Case.id < case_id)))
    rows = await query.order_by(column, ascending=False).order_by(Case.id, ascending=False).limit(limit + 1)
    more = len(rows) > limit
    views = await _case_views(rows[:limit], set())
    if not (more and views):
        return CasePage(views, None)
    last = views[-1]
    key = {Sort.newest: last.published_at, Sort.updated: last.updated_at, Sort.supported: last.support_count}[sort]
    return CasePage(views, _encode_cursor(sort, key, last.id))


async def count(case_filter: CaseFilter) -> int:
    """How many public cases match: an alert's digest lists a few and says how many there are."""
    query = Case.count()
    for condition in await _conditions(case_filter):
        query = query.where(condition)
    return await query


async def each_case(
    case_filter: CaseFilter, sort: Sort = Sort.newest, batch: int | None = None, where: tuple | list = ()
) -> AsyncIterator:
    """Every matching public case, in order, ``batch`` (a page, by default) at a time."""
    batch = batch or PAGE_SIZE_MAX
    cursor = None
    while True:
        page = await browse(case_filter, sort, cursor, batch, where)
        for case in page.cases:
            yield case
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@dataclass(frozen=True)
class Location:
    number: str
    title: str
    status: str
    latitude: float
    longitude: float


async def locations(case_filter: CaseFilter, limit: int = 1000) -> list[Location]:
    """The newest matching public cases that have a place, at most ``limit`` of them."""
    query = Case.select(Case.number, Case.title, Case.status, Case.latitude, Case.longitude).where(
        Case.latitude.is_not_null(), Case.longitude.is_not_null()
    )
    for condition in await _conditions(case_filter):
        query = query.where(condition)
    rows = await query.order_by(Case.published_at, ascending=False).order_by(Case.id, ascending=False).limit(limit)
    return [Location(**row) for row in rows]


@dataclass(frozen=True)
class Choices:
    """What a filter form offers: every category, department and area, with their slugs."""

    categories: list[CategoryItem]
    departments: list[dict]  # id, name, name_en, slug
    districts: list[District]


async def choices() -> Choices:
    departments = await Department.select(Department.id, Department.name, Department.name_en, Department.slug).order_by(
        Department.name
    )
    return Choices(await all_categories(), departments, await area_tree())
