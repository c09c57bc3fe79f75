"""CSV downloads (open data) that spreadsheets open safely: text that a spreadsheet would run as
a formula (=, +, -, @, tab, carriage return first) is prefixed with an apostrophe (OWASP's
advice on CSV injection); numbers stay numbers; a UTF-8 byte order mark makes Excel read
Chinese correctly."""

from __future__ import annotations

import csv
import io

from litestar.response import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: list[str], rows: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return Response(
        content="\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
