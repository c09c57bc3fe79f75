"""Parameter types shared by the controllers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

# Row ids from a URL: out of range (negative, or past a 32-bit INTEGER column, which
# PostgreSQL would refuse with an error) is a client error, not a database error.
_ROW_ID_RANGE = {"ge": 1, "le": 2**31 - 1}
RowId = Annotated[int, PathParameter(**_ROW_ID_RANGE)]
RowIdQuery = Annotated[int | None, QueryParameter(**_ROW_ID_RANGE)]
