"""The one source of "now", so tests and the demo data can travel in time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone

_fixed: ContextVar[datetime | None] = ContextVar("fixed_now", default=None)


def now() -> datetime:
    return _fixed.get() or datetime.now(timezone.utc)


@contextmanager
def travel_to(moment: datetime) -> Iterator[None]:
    """Within this block, ``now()`` is ``moment`` (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("travel_to needs a timezone-aware moment")
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)


# The days a person may type into a filter or a query: wide enough for any record, and far from
# datetime's own ends, where a day more or a time zone's offset overflows.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def typed_day(day: date) -> date:
    """``day`` when it lies within FIRST_DAY‥LAST_DAY; ValueError otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(day)
    return day
