"""Domain events: what the services say has happened, and the listeners that act on it.

The services emit events and know nothing of who listens (the search index, the figures, the
live timeline, later the notifications): a new side effect is a new listener, never another
call inside a service. Listeners are registered once, by ``backend.listeners.wire``, which
every entry point that changes cases calls (the app factory, ``minsheng seed-demo``, the tests).

A listener runs at one of two moments of the write transaction that emitted the event:

- ``Phase.before_commit``: inside it, just before it commits, once per transaction with every
  event of its kind (a set): work that must commit or roll back with the change, done once for
  all its cases (the figures, the search words);
- ``Phase.after_commit``: once it has committed, once per event: work that must never happen
  for a change that rolled back (announcing it to live pages, sending it).

Outside a write transaction each statement commits by itself, and both run at once.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import Callable

from backend.db import after_commit, before_commit


@dataclass(frozen=True)
class EntryAppended:
    """A timeline entry was written: every change to a case ends in one."""

    case_id: int
    entry_id: int
    action: str
    status_after: str | None = None  # the case's status after it, when the entry changed it


@dataclass(frozen=True)
class PublicTextChanged:
    """What the public reads of a case changed: it was published, or its text was redacted."""

    case_id: int


@dataclass(frozen=True)
class CaseSupported:
    """Someone said "me too" of a public case: its count changed."""

    case_id: int


@dataclass(frozen=True)
class CaseMerged:
    """A duplicate was merged into the case it repeats (``cases.merging``): what else follows
    the duplicate moves to the original, and is recorded against the merge to be undone."""

    merge_id: int
    duplicate_id: int
    original_id: int


@dataclass(frozen=True)
class MergeUndone:
    """A merge was undone: what moved with it goes back to the duplicate."""

    merge_id: int
    duplicate_id: int


@dataclass(frozen=True)
class OrganisationChanged:
    """A department, category or area was made or changed: the names and choices pages show."""


@dataclass(frozen=True)
class KnowledgeChanged:
    """An entry of the knowledge base was added or changed: its search words and the public
    answers it may be among."""

    entry_id: int


@dataclass(frozen=True)
class PersonalDataErased:
    """A case's filer's personal data was erased (``cases.retention``): whatever else keeps
    their details for the case (a notification subscription) lets them go too."""

    case_id: int


@dataclass(frozen=True)
class CoSignInvited:
    """The lead representative invited another representative to co-sign a draft suggestion."""

    case_id: int
    account_id: int


@dataclass(frozen=True, eq=False)  # calendars are not hashable: each event is its own
class WorkingCalendarChanged:
    """A year's official schedule arrived (``deadlines.services.import_schedule``): deadlines
    computed into that year on the calendar ``before`` are due elsewhere on ``after``."""

    year: int
    before: object  # deadlines.calendar.WorkingCalendar (events know no domain)
    after: object


@dataclass(frozen=True)
class RecordRebuilt:
    """Cases or their figures were written in bulk, past the workflow (``minsheng figures
    rebuild``, the demo's generated cases)."""


@dataclass(frozen=True, eq=False)  # each upload is its own, even of the same time
class PhotoProcessed:
    """An uploaded photo was checked and stored, or rejected (``photos.services``)."""

    seconds: float
    stored: bool


@dataclass(frozen=True, eq=False)
class NotificationDelivered:
    """A notification was handed to its channel (``result`` "sent"), or failed: to be tried
    again ("retry") or never ("dead")."""

    channel: str
    result: str


class Phase(enum.Enum):
    before_commit = "before_commit"
    after_commit = "after_commit"


_listeners: dict[type, list[tuple[Phase, Callable]]] = defaultdict(list)


def listen(event_type: type, listener: Callable, phase: Phase) -> None:
    """Register ``listener`` for events of ``event_type`` (once: registering again is a no-op)."""
    if (phase, listener) not in _listeners[event_type]:
        _listeners[event_type].append((phase, listener))


def listeners_of(event_type: type) -> list[tuple[Phase, Callable]]:
    return list(_listeners[event_type])


async def emit(*events: object) -> None:
    """Hand the events to their listeners, each at its moment of the current transaction."""
    for event in events:
        for phase, listener in _listeners[type(event)]:
            if phase is Phase.before_commit:
                await before_commit(listener, [event])
            else:
                after_commit(partial(listener, event))
