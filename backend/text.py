"""Text as people type it, made safe to store."""

from __future__ import annotations

import re
import unicodedata


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Drop control characters (PostgreSQL refuses NUL), normalise, trim."""
    value = unicodedata.normalize("NFC", value)
    allowed = "\n\t" if multiline else ""
    value = "".join(ch for ch in value if ch in allowed or unicodedata.category(ch)[0] != "C")
    if multiline:
        value = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))
    return value.strip()


# What a row id may be wherever it comes from (a body, a path, a query): out of range (negative,
# or past a 32-bit INTEGER column, which PostgreSQL would refuse with an error) is the client's
# error, not the database's.
ROW_ID_RANGE = {"ge": 1, "le": 2**31 - 1}
_ROW_ID = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits only ("²".isdigit() is true), INTEGER-sized


def row_id(value: str) -> int | None:
    """An id typed or chosen in a form, or None when it is not one."""
    return int(value) if _ROW_ID.fullmatch(value) else None
