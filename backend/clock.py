"""The one source of "now", so tests and the demo data can travel in time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

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
