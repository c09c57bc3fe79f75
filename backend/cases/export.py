"""Open data: the public cases as CSV, as the list's filters select them, streamed a page at a
time (keyset, like the list) so that an export of every case holds little in memory.

Only the public view of a case goes in, so no name, phone, follow token or source link can.
Text that a spreadsheet would run as a formula gets a leading apostrophe (``csv_export.cell``).
"""

from __future__ import annotations

import csv
import io
from typing import AsyncIterator

from backend.cases import browse
from backend.cases.services import CaseView
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
    """The CSV, in chunks; starts with a byte-order mark so that spreadsheets read the Chinese
    as UTF-8. Check the filter first (``browse.browse``): errors here come after the headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    count = 0
    async for case in browse.each_case(case_filter, sort):
        writer.writerow(_row(case, origin))
        count += 1
        if count % browse.PAGE_SIZE_MAX == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
