"""Open data: the public cases as CSV, as the list's filters select them, streamed a page at a
time (keyset, like the list) so that an export of every case holds little in memory; and for
staff, the cases of a staff search the same way.

Only the public view of a case goes in, so no name, phone, follow token or source link can.
Text that a spreadsheet would run as a formula gets a leading apostrophe (``csv_export.cell``).
"""

from __future__ import annotations

import csv
import io
from typing import AsyncIterator

from backend import clock
from backend.accounts.audit import Who
from backend.cases import browse, staff_search
from backend.cases.services import Actor, CaseView
from backend.web.csv_export import cell

COLUMNS = [
    "number",
    "type",
    "status",
    "category",
    "category_en",
    "department",
    "department_en",
    "district",
    "area",
    "title",
    "description",
    "address",
    "latitude",
    "longitude",
    "published_at",
    "updated_at",
    "answer_due_at",
    "answered_at",
    "support_count",
    "url",
]
def _time(value) -> str:
    return value.isoformat() if value else ""


def _row(case: CaseView, origin: str) -> list:
    answer = case.answer_deadline
    text = [
        case.number,
        case.case_type,
        case.status,
        case.category_name,
        case.category_name_en,
        case.department_name or "",
        case.department_name_en or "",
        case.district_name or case.area_name or "",  # a case filed for a whole district has no street
        case.area_name if case.district_name else "",
        case.title,
        case.description,
        case.address,
    ]
    return [
        *(cell(value) for value in text),
        "" if case.latitude is None else case.latitude,
        "" if case.longitude is None else case.longitude,
        _time(case.published_at),
        _time(case.updated_at),
        _time(answer.due_at if answer else None),
        _time(answer.met_at if answer else None),
        case.support_count,
        f"{origin}/cases/{case.number}",
    ]


async def public_cases_csv(case_filter: browse.CaseFilter, sort: browse.Sort, origin: str) -> AsyncIterator[bytes]:
    """The CSV, in chunks. Check the filter first (``browse.browse``): errors here come after the headers."""
    async for chunk in csv_chunks(COLUMNS, (_row(case, origin) async for case in browse.each_case(case_filter, sort))):
        yield chunk


# A staff search's cases (``staff_search``): what staff see in its table, with every deadline's
# state; never the filer's name or phone, nor the description (which may hold them before redaction).
STAFF_COLUMNS = [
    "number", "type", "status", "category", "department", "district", "area", "title", "address",
    "filed_at", "answer_due_at", "answered_at", "overdue_now", "supervised_at", "url",
]  # fmt: skip


def _staff_row(case: CaseView, origin: str, now) -> list:
    answer = case.answer_deadline
    text = [
        case.number,
        case.case_type,
        case.status,
        case.category_name,
        case.department_name or "",
        case.district_name or case.area_name or "",
        case.area_name if case.district_name else "",
        case.title,
        case.address,
    ]
    return [
        *(cell(value) for value in text),
        _time(case.created_at),
        _time(answer.due_at if answer else None),
        _time(answer.met_at if answer else None),
        "yes" if case.overdue_deadlines(now) else "",
        _time(case.supervised_at),
        f"{origin}/staff/cases/{case.number}",
    ]


async def staff_cases_csv(
    viewer: Actor, staff_filter: staff_search.StaffFilter, sort: staff_search.Sort, origin: str, who: Who
) -> AsyncIterator[bytes]:
    """The CSV of a staff search, in chunks. Check the filter first (``staff_search.search``)."""
    now = clock.now()
    rows = (_staff_row(case, origin, now) async for case in staff_search.each_case(viewer, staff_filter, sort, who))
    async for chunk in csv_chunks(STAFF_COLUMNS, rows):
        yield chunk


async def csv_chunks(columns: list[str], rows: AsyncIterator[list]) -> AsyncIterator[bytes]:
    """A CSV of ``rows`` under ``columns``, a chunk per hundred rows; starts with a byte-order
    mark so that spreadsheets read the Chinese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    count = 0
    async for row in rows:
        writer.writerow(row)
        count += 1
        if count % browse.PAGE_SIZE_MAX == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
