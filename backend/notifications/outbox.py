"""The outbox: the messages a change sends are rows written in the transaction of the change,
by the listener on the timeline's entries (wired in ``backend.listeners``). They commit or roll
back with it, so a message is never lost between commit and send, nor sent for a change that
did not happen; ``delivery`` sends them after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from backend import clock
from backend.cases.tables import TimelineEntry
from backend.db import after_commit, execute_many
from backend.events import EntryAppended
from backend.notifications.notices import FILER_NOTICES, PUBLISHED_NOTICES, PUBLISHING_REVIEWS, STAFF_NOTICES
from backend.notifications.tables import StaffSubscription, Subscription
from backend.vocabulary import Review, StaffRole

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"

_couriers: list[Callable[[], None]] = []  # how to wake each courier running here (``delivery.Courier``)


def on_nudge(wake: Callable[[], None], listening: bool = True) -> None:
    (_couriers.append if listening else _couriers.remove)(wake)


def nudge() -> None:
    """After a commit that wrote messages: this worker's courier, if it runs, sends them now
    (the clock job sends whatever it leaves)."""
    for wake in _couriers:
        wake()


async def enqueue(rows: list[tuple[int, int | None, int | None, int | None, str, str]], now: datetime) -> None:
    """Messages (case, subscription, staff subscription, entry, notice, channel), due now, in the
    current write transaction: they commit with what they tell of."""
    if not rows:
        return
    await execute_many(
        'INSERT INTO notification_message ("case", subscription, staff_subscription, entry, event, channel, status, attempts, due_at,'
        " error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?)",
        [(*row, PENDING, now, now) for row in rows],
    )
    after_commit(nudge)


async def on_entries_appended(events: set[EntryAppended]) -> None:
    """Before commit, once per transaction: a message for each confirmed subscription of a
    case, for each of its entries that is a notice for the filer; and for each device of the
    handlers of the department a case was assigned to."""
    entry_ids = [event.entry_id for event in events]
    await _tell_the_handlers(entry_ids)
    notices = await _notices(entry_ids)
    if not notices:
        return
    subscriptions = await Subscription.select(Subscription.id, Subscription.case, Subscription.channel).where(
        Subscription.case.is_in(sorted({case_id for case_id, _, _ in notices})) & Subscription.verified_at.is_not_null()
    )
    by_case: dict[int, list[dict]] = {}
    for subscription in subscriptions:
        by_case.setdefault(subscription["case"], []).append(subscription)
    await enqueue(
        [
            (case_id, subscription["id"], None, entry_id, notice, subscription["channel"])
            for case_id, entry_id, notice in notices
            for subscription in by_case.get(case_id, [])
        ],
        clock.now(),
    )


async def _tell_the_handlers(entry_ids: list[int]) -> None:
    entries = await TimelineEntry.select(
        TimelineEntry.id, TimelineEntry.case, TimelineEntry.action, TimelineEntry.case.department.as_alias("department")
    ).where(TimelineEntry.id.is_in(entry_ids) & TimelineEntry.action.is_in(list(STAFF_NOTICES))).order_by(TimelineEntry.id)
    if not entries:
        return
    devices = await StaffSubscription.select(
        StaffSubscription.id, StaffSubscription.channel, StaffSubscription.account.department.as_alias("department")
    ).where(
        StaffSubscription.account.department.is_in(sorted({entry["department"] for entry in entries if entry["department"]}))
        & (StaffSubscription.account.role == StaffRole.handler.value)
        & (StaffSubscription.account.active == True)  # noqa: E712  (a column, not a truth value)
    )
    await enqueue(
        [
            (entry["case"], None, device["id"], entry["id"], STAFF_NOTICES[entry["action"]].value, device["channel"])
            for entry in entries
            for device in devices
            if device["department"] == entry["department"]
        ],
        clock.now(),
    )


async def _notices(entry_ids: list[int]) -> list[tuple[int, int, str]]:
    """(case, entry whose text the notice tells, notice) for those entries that are notices.
    A published text is the department's draft, or the moderator's edit of it."""
    entries = await TimelineEntry.select(
        TimelineEntry.id, TimelineEntry.case, TimelineEntry.action, TimelineEntry.refers_to,
        TimelineEntry.refers_to.action.as_alias("draft_action"),
    ).where(TimelineEntry.id.is_in(entry_ids)).order_by(TimelineEntry.id)
    notices = []
    for entry in entries:
        if entry["action"] in FILER_NOTICES:
            notices.append((entry["case"], entry["id"], FILER_NOTICES[entry["action"]].value))
        elif entry["action"] in PUBLISHING_REVIEWS and entry["draft_action"] in PUBLISHED_NOTICES:
            edit = await TimelineEntry.select(TimelineEntry.id).where(
                (TimelineEntry.refers_to == entry["refers_to"])
                & (TimelineEntry.action == entry["draft_action"])
                & (TimelineEntry.review == Review.approved.value)
            ).first()
            published = edit["id"] if edit else entry["refers_to"]
            notices.append((entry["case"], published, PUBLISHED_NOTICES[entry["draft_action"]].value))
    return notices
