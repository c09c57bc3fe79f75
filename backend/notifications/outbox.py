"""The outbox: the messages a change sends are rows written in the transaction of the change,
by the listener on the timeline's entries (wired in ``backend.listeners``). They commit or roll
back with it, so a message is never lost between commit and send, nor sent for a change that
did not happen; ``delivery`` sends them after commit.
"""

from __future__ import annotations

import operator
from datetime import datetime
from functools import reduce
from zoneinfo import ZoneInfo
from typing import Callable

from backend import clock
from backend.cases.tables import TimelineEntry
from backend.db import after_commit, execute_many
from backend.events import CoSignInvited, EntryAppended
from backend.notifications import preferences
from backend.notifications.notices import (
    AUDIENCE_ROLES,
    FILER_NOTICES,
    FOLLOWER_NOTICES,
    FOLLOWER_PUBLISHED_NOTICES,
    PUBLISHED_NOTICES,
    PUBLISHING_REVIEWS,
    CO_SIGN_NOTICE,
    STAFF_NOTICES,
    STAFF_PUBLISHED_NOTICES,
    Audience,
    Notice,
)
from backend.notifications.tables import StaffSubscription, Subscription
from backend.representatives.tables import Suggestion
from backend.settings import get_settings
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


async def enqueue(rows: list[tuple[int | None, int | None, int | None, int | None, str, str]], now: datetime, due: list[datetime] | None = None) -> None:
    """Messages (case, subscription, staff subscription, entry, notice, channel), due now (or at
    ``due``, one time per row), in the current write transaction: they commit with what they
    tell of."""
    if not rows:
        return
    await execute_many(
        'INSERT INTO notification_message ("case", subscription, staff_subscription, entry, event, channel, status, attempts, due_at,'
        " error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?)",
        [(*row, PENDING, due[index] if due else now, now) for index, row in enumerate(rows)],
    )
    after_commit(nudge)


async def on_entries_appended(events: set[EntryAppended]) -> None:
    """Before commit, once per transaction: a message for each confirmed subscription of a
    case, for each of its entries that is a notice for the subscription's audience (its filer,
    or a follower); and for each device of the staff each entry is a notice for
    (``notices.STAFF_NOTICES``)."""
    entry_ids = [event.entry_id for event in events]
    await _tell_staff(entry_ids)
    notices = await _notices(entry_ids)
    if not notices:
        return
    subscriptions = await Subscription.select(Subscription.id, Subscription.case, Subscription.audience, Subscription.channel).where(
        Subscription.case.is_in(sorted({case_id for case_id, _, _, _ in notices})) & Subscription.verified_at.is_not_null()
    )
    by_case: dict[tuple[int, str], list[dict]] = {}
    for subscription in subscriptions:
        by_case.setdefault((subscription["case"], subscription["audience"]), []).append(subscription)
    await enqueue(
        [
            (case_id, subscription["id"], None, entry_id, notice, subscription["channel"])
            for case_id, entry_id, audience, notice in notices
            for subscription in by_case.get((case_id, audience), [])
        ],
        clock.now(),
    )


# The case's deadlines, each with when it was met: one not met yet may break quiet hours.
_DEADLINES = (
    TimelineEntry.case.sign_due_at, TimelineEntry.case.signed_at,
    TimelineEntry.case.answer_due_at, TimelineEntry.case.answered_at,
)


# Audiences of one person, named on the news itself (its key is the audience's value).
_ONE_PERSON = (Audience.case_leader, Audience.lead_representative, Audience.invited_representative)


def _in_audience(audience: Audience, device: dict, news: dict) -> bool:
    if audience == Audience.department:
        return device["role"] == StaffRole.handler.value and news["department"] is not None and device["department"] == news["department"]
    if audience in _ONE_PERSON:
        return device["account"] == news.get(audience.value)
    return device["role"] == AUDIENCE_ROLES[audience].value


async def _tell_staff(entry_ids: list[int]) -> None:
    """Each staff member the entry is a notice for hears of it on each of their devices."""
    rows = await TimelineEntry.select(
        TimelineEntry.id, TimelineEntry.case, TimelineEntry.action, TimelineEntry.review,
        TimelineEntry.refers_to.action.as_alias("draft_action"),
        TimelineEntry.case.department.as_alias("department"), TimelineEntry.case.leader.as_alias("case_leader"),
        *(column.as_alias(column._meta.name) for column in _DEADLINES),
    ).where(
        TimelineEntry.id.is_in(entry_ids) & TimelineEntry.action.is_in([*STAFF_NOTICES, *PUBLISHING_REVIEWS])
    ).order_by(TimelineEntry.id)
    news = []
    for row in rows:
        if row["action"] in STAFF_NOTICES:
            notice, audiences = STAFF_NOTICES[row["action"]]
        elif row["draft_action"] in STAFF_PUBLISHED_NOTICES:
            notice, audiences = STAFF_PUBLISHED_NOTICES[row["draft_action"]]
        else:
            continue
        # A department's text is news for the centre while it waits for review, not once a
        # moderator published their own edit of it (an entry of the same action).
        if notice == Notice.to_review and row["review"] != Review.pending.value:
            continue
        news.append({**row, "entry": row["id"], "notice": notice, "audiences": audiences, "deadlines": _running_deadlines(row)})
    if any(Audience.lead_representative in item["audiences"] for item in news):
        leads = await _lead_representatives(sorted({item["case"] for item in news}))
        for item in news:
            item[Audience.lead_representative.value] = leads.get(item["case"])
    await _to_devices(news)


async def on_co_sign_invited(invitations: set[CoSignInvited]) -> None:
    """Before commit: the invited representative hears of the invitation on their devices."""
    notice, audiences = CO_SIGN_NOTICE
    await _to_devices([
        {"case": invited.case_id, "entry": None, "notice": notice, "audiences": audiences, "deadlines": [],
         "department": None, Audience.invited_representative.value: invited.account_id}
        for invited in sorted(invitations, key=lambda invited: (invited.case_id, invited.account_id))
    ])


async def _lead_representatives(case_ids: list[int]) -> dict[int, int]:
    rows = await Suggestion.select(Suggestion.case, Suggestion.lead).where(Suggestion.case.is_in(case_ids))
    return {row["case"]: row["lead"] for row in rows}


async def _to_devices(news: list[dict]) -> None:
    """A message for each confirmed device, email address and phone number (``StaffSubscription``)
    of each staff member each piece of news is for, unless they turned that notice off; in their
    quiet hours, on every channel, when they end, unless the case is due within the hour."""
    audiences = {audience for item in news for audience in item["audiences"]}
    account = StaffSubscription.account
    # Only the devices that may be told: the handlers of these departments, not every handler's.
    who = [account.role == AUDIENCE_ROLES[audience].value for audience in audiences & {Audience.moderators, Audience.leaders}]
    if departments := sorted({item["department"] for item in news if item["department"]} if Audience.department in audiences else set()):
        who.append((account.role == StaffRole.handler.value) & account.department.is_in(departments))
    if people := sorted({item[audience.value] for item in news for audience in _ONE_PERSON if item.get(audience.value)}):
        who.append(account.id.is_in(people))
    if not who:
        return
    devices = await StaffSubscription.select(
        StaffSubscription.id, StaffSubscription.channel, StaffSubscription.account,
        account.role.as_alias("role"), account.department.as_alias("department"),
    ).where(
        reduce(operator.or_, who) & (account.active == True) & StaffSubscription.verified_at.is_not_null()  # noqa: E712  (a column, not a truth value)
    )
    if not devices:
        return
    choices = await preferences.choices_of_accounts(sorted({device["account"] for device in devices}))
    now, time_zone = clock.now(), ZoneInfo(get_settings().time_zone)
    rows, due = [], []
    for item in news:
        for device in devices:
            chosen = choices.get(device["account"], preferences.Choices())
            if item["notice"] in chosen.muted or not any(_in_audience(audience, device, item) for audience in item["audiences"]):
                continue
            rows.append((item["case"], None, device["id"], item["entry"], item["notice"].value, device["channel"]))
            due.append(preferences.due_at(chosen, now, time_zone, item["deadlines"]))
    await enqueue(rows, now, due)


def _running_deadlines(entry: dict) -> list:
    return [
        entry["sign_due_at"] if entry["signed_at"] is None else None,
        entry["answer_due_at"] if entry["answered_at"] is None else None,
    ]


# What each audience of a case hears of: by the entry's action, and for a published text by the
# action of the department's text.
_BY_AUDIENCE = ((Audience.filer, FILER_NOTICES, PUBLISHED_NOTICES), (Audience.follower, FOLLOWER_NOTICES, FOLLOWER_PUBLISHED_NOTICES))


async def _notices(entry_ids: list[int]) -> list[tuple[int, int, str, str]]:
    """(case, entry whose text the notice tells, audience, notice) for those entries that are
    notices. A published text is the department's draft, or the moderator's edit of it."""
    entries = await TimelineEntry.select(
        TimelineEntry.id, TimelineEntry.case, TimelineEntry.action, TimelineEntry.refers_to,
        TimelineEntry.refers_to.action.as_alias("draft_action"),
    ).where(TimelineEntry.id.is_in(entry_ids)).order_by(TimelineEntry.id)
    notices = []
    for entry in entries:
        published = None
        for audience, by_action, by_published in _BY_AUDIENCE:
            if entry["action"] in by_action:
                notices.append((entry["case"], entry["id"], audience.value, by_action[entry["action"]].value))
            elif entry["action"] in PUBLISHING_REVIEWS and entry["draft_action"] in by_published:
                published = published or await _published_text(entry)
                notices.append((entry["case"], published, audience.value, by_published[entry["draft_action"]].value))
    return notices


async def _published_text(review: dict) -> int:
    """The text a moderator's review published: their edit of the department's, or that one."""
    edit = await TimelineEntry.select(TimelineEntry.id).where(
        (TimelineEntry.refers_to == review["refers_to"])
        & (TimelineEntry.action == review["draft_action"])
        & (TimelineEntry.review == Review.approved.value)
    ).first()
    return edit["id"] if edit else review["refers_to"]
