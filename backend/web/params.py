"""Parameter types shared by the controllers: what a URL or a body may carry is checked here,
once, before any of it reaches a query."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter, QueryParameter

from backend.cases.filing import PHOTO_KEY_PATTERN
from backend.cases.services import CASE_NUMBER

# Row ids from a URL or a body: out of range (negative, or past a 32-bit INTEGER column, which
# PostgreSQL would refuse with an error) is a client error, not a database error.
_ROW_ID_RANGE = {"ge": 1, "le": 2**31 - 1}
RowId = Annotated[int, PathParameter(**_ROW_ID_RANGE)]
RowIdQuery = Annotated[int | None, QueryParameter(**_ROW_ID_RANGE)]
RowIdField = Annotated[int, msgspec.Meta(**_ROW_ID_RANGE)]

# A case's number in a path: anything else (other digits than ASCII, more of them) names no
# case and is refused before a query is made.
CaseNumber = Annotated[
    str, PathParameter(pattern=CASE_NUMBER.pattern, description="A case number, such as 2026-000123.")
]
# A photo's key in a body, as uploading made it.
PhotoKeyField = Annotated[str, msgspec.Meta(pattern=PHOTO_KEY_PATTERN.pattern)]
