"""Published updates of public cases, for mySociety's ``servicerequestupdates`` extension: each
timeline entry the public sees, at the moment it became public (a department's text when a
moderator approved it), with the case's status in effect after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.vocabulary import Review, ReviewDecision, Status, Visibility
from backend.cases.tables import TimelineEntry
from backend.photos import services as photos
from backend.photos.services import PhotoView

APPROVAL = f"review_{ReviewDecision.approve.value}"


@dataclass(frozen=True)
class Update:
    id: int
    case_number: str
    status: str  # a Status, after the update
    published_at: datetime
    body: str
    photos: list[PhotoView]


_COLUMNS = (
    TimelineEntry.id,
    TimelineEntry.case.as_alias("case_id"),
    TimelineEntry.case.number.as_alias("case_number"),
    TimelineEntry.created_at,
    TimelineEntry.body,
    TimelineEntry.refers_to,
    TimelineEntry.review,
)


async def published_updates(since: datetime, until: datetime, limit: int) -> list[Update]:
    """Updates made public in [since, until], oldest first, at most ``limit``."""
    public_case = TimelineEntry.case.published_at.is_not_null()
    window = (TimelineEntry.created_at >= since) & (TimelineEntry.created_at <= until)
    # Public at once: entries needing no review, and moderators' edited versions (approved when written).
    direct = await TimelineEntry.select(*_COLUMNS).where(
        window,
        public_case,
        TimelineEntry.visibility == Visibility.public.value,
        TimelineEntry.review.is_in([Review.none.value, Review.approved.value]),
        (TimelineEntry.review == Review.none.value) | TimelineEntry.refers_to.is_not_null(),
    ).order_by(TimelineEntry.created_at).limit(limit)
    # Published as written: public from the moderator's approval on.
    approvals = await TimelineEntry.select(TimelineEntry.refers_to, TimelineEntry.created_at).where(
        window, public_case, TimelineEntry.action == APPROVAL
    ).order_by(TimelineEntry.created_at).limit(limit)
    approved_at = {row["refers_to"]: row["created_at"] for row in approvals}
    approved = await TimelineEntry.select(*_COLUMNS).where(
        TimelineEntry.id.is_in(list(approved_at) or [0]), TimelineEntry.visibility == Visibility.public.value
    )
    rows = [{**row, "published_at": row["created_at"]} for row in direct]
    rows += [{**row, "published_at": approved_at[row["id"]]} for row in approved]
    rows.sort(key=lambda row: (row["published_at"], row["id"]))
    rows = rows[:limit]
    # An edited version shows the photos of the department's original.
    owner = {row["id"]: row["refers_to"] if row["review"] == Review.approved.value and row["refers_to"] else row["id"] for row in rows}
    entry_photos = await photos.photos_of_entries(sorted(set(owner.values())))
    statuses = await _status_changes({row["case_id"] for row in rows})
    return [
        Update(
            id=row["id"],
            case_number=row["case_number"],
            status=_status_at(statuses.get(row["case_id"], []), row["published_at"]),
            published_at=row["published_at"],
            body=row["body"],
            photos=entry_photos.get(owner[row["id"]], []),
        )
        for row in rows
    ]


async def _status_changes(case_ids: set[int]) -> dict[int, list[tuple[datetime, str]]]:
    """Each case's changes of status, in order: (when, status after)."""
    if not case_ids:
        return {}
    rows = await TimelineEntry.select(TimelineEntry.case, TimelineEntry.created_at, TimelineEntry.status_after).where(
        TimelineEntry.case.is_in(list(case_ids)), TimelineEntry.status_after.is_not_null()
    ).order_by(TimelineEntry.id)
    changes: dict[int, list[tuple[datetime, str]]] = {}
    for row in rows:
        changes.setdefault(row["case"], []).append((row["created_at"], row["status_after"]))
    return changes


def _status_at(changes: list[tuple[datetime, str]], moment: datetime) -> str:
    """The status once everything up to ``moment`` was done: a moderator's approval changes
    the status in an entry of its own, written at the same moment as what it publishes."""
    status = Status.submitted.value
    for changed_at, after in changes:
        if changed_at > moment:
            break
        status = after
    return status
