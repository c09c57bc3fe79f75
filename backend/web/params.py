"""Parameter types shared by the controllers: what a URL may carry is checked here, once, before
any of it reaches a query (what a body may carry: ``backend.cases.actions``)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from backend.text import ROW_ID_RANGE
from backend.vocabulary import CASE_NUMBER

# Row ids from a URL: out of range (negative, or past a 32-bit INTEGER column, which PostgreSQL
# would refuse with an error) is a client error, not a database error. In a body: RowIdField.
RowId = Annotated[int, PathParameter(**ROW_ID_RANGE)]
RowIdQuery = Annotated[int | None, QueryParameter(**ROW_ID_RANGE)]

# A case's number in a path: anything else (other digits than ASCII, more of them) names no
# case and is refused before a query is made.
CaseNumber = Annotated[
    str, PathParameter(pattern=CASE_NUMBER.pattern, description="A case number, such as 2026-000123.")
]
