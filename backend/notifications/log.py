"""What staff see of the deliveries: each case's log, and for admins the failures and the
channels' health. Addresses only masked, and only where the job needs them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.i18n_markers import N_
from backend.notifications.channels import CHANNEL_LABELS, CHANNELS, why_off
from backend.notifications.notices import (
    FOLLOWER_NOTICES,
    FOLLOWER_PUBLISHED_NOTICES,
    NOTICE_LABELS,
    STAFF_NOTICES,
    Audience,
)
from backend.notifications.outbox import DEAD, PENDING, SENDING, SENT
from backend.notifications.subscriptions import mask
from backend.notifications.tables import AlertMessage, Message
from backend.settings import Settings, get_settings

FAILURES_SHOWN = 100
logger = logging.getLogger(__name__)
DELIVERY_LABELS = {"pending": N_("Waiting to be sent"), "sending": N_("Being sent"), "sent": N_("Sent"), "dead": N_("Failed")}


def delivery_labels() -> dict:
    """The words of the deliveries, for every template that shows them."""
    return {"notice_labels": NOTICE_LABELS, "channel_labels": CHANNEL_LABELS, "delivery_labels": DELIVERY_LABELS}


@dataclass(frozen=True)
class Delivery:
    notice: str
    channel: str
    status: str  # sent, pending (to retry if it has an error), sending, dead
    at: datetime  # when it was sent, else when it was written
    error: str
    to: str  # the address masked; empty once the subscription ended
    case_number: str = ""


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    off_because: str | None  # a message id; None: on
    sent: int  # in the last day
    waiting: int
    dead: int  # in the last day


def _delivery(row: dict) -> Delivery:
    address = row["address"]
    return Delivery(
        row["event"], row["channel"], row["status"], row["sent_at"] or row["created_at"], row["error"],
        mask(row["channel"], address) if address else "", row.get("number") or "",
    )


_COLUMNS = (
    Message.event, Message.channel, Message.status, Message.sent_at, Message.created_at, Message.error,
    Message.subscription.address.as_alias("address"),
)


# The notices of staff and followers: a subscription that ended leaves no audience to tell them by.
_NOT_THE_FILERS = sorted(
    {notice.value for notice, _ in STAFF_NOTICES.values()} | {*FOLLOWER_NOTICES.values(), *FOLLOWER_PUBLISHED_NOTICES.values()}
)


async def case_log(case_id: int, show_addresses: bool) -> list[Delivery]:
    """A case's messages to the filer, newest first. ``show_addresses``: whether this person may see even the
    masked address (those who may contact the filer)."""
    audience = Message.subscription.audience  # none once the subscription ended
    rows = await Message.select(*_COLUMNS).where(
        (Message.case == case_id)
        & Message.event.not_in(_NOT_THE_FILERS)
        & (audience.is_null() | (audience == Audience.filer.value))
    ).order_by(Message.id, ascending=False).limit(200)
    if not show_addresses:
        rows = [{**row, "address": None} for row in rows]
    return [_delivery(row) for row in rows]


async def failures() -> list[Delivery]:
    """The dead letters, newest first, and the messages waiting to be tried again: of the
    cases' outbox and of the alerts' (``alerts``, whose kind is their notice)."""
    failed = [
        _delivery({**row, "address": None})
        for table, more in ((Message, (Message.case.number.as_alias("number"),)), (AlertMessage, ()))
        for row in await table.select(*_columns(table), *more).where(
            (table.status == DEAD) | ((table.status == PENDING) & (table.error != ""))
        ).order_by(table.id, ascending=False).limit(FAILURES_SHOWN)
    ]
    return sorted(failed, key=lambda delivery: delivery.at, reverse=True)[:FAILURES_SHOWN]


def _columns(table: type[Message] | type[AlertMessage]) -> tuple:
    if table is Message:
        return _COLUMNS
    return (
        AlertMessage.kind.as_alias("event"), AlertMessage.subscription.channel.as_alias("channel"), AlertMessage.status,
        AlertMessage.sent_at, AlertMessage.created_at, AlertMessage.error,
    )


async def health(settings: Settings, now: datetime) -> list[ChannelHealth]:
    since = now - timedelta(days=1)
    result = []
    for channel in CHANNELS:
        counts = [0, 0, 0]
        # The cases' outbox, and the alerts' (``alerts``), whose channel is their subscription's.
        for table, of_channel in ((Message, Message.channel), (AlertMessage, AlertMessage.subscription.channel)):
            mine = of_channel == channel
            counts[0] += await table.count().where(mine & (table.status == SENT) & (table.sent_at >= since))
            counts[1] += await table.count().where(mine & table.status.is_in([PENDING, SENDING]))
            counts[2] += await table.count().where(mine & (table.status == DEAD) & (table.created_at >= since))
        result.append(ChannelHealth(channel, why_off(channel, settings), *counts))
    return result


async def forget_old_deliveries(now: datetime) -> int:
    """A clock job: delete the deliveries done (sent or failed for good) more than
    ``MINSHENG_DELIVERY_LOG_DAYS`` before ``now``; returns how many. What is still to be sent
    stays, however old."""
    cutoff = now - timedelta(days=get_settings().delivery_log_days)
    deleted = await Message.delete().where(Message.status.is_in([SENT, DEAD]), Message.created_at < cutoff).returning(Message.id)
    if deleted:
        logger.info("delivery log: deleted %d deliveries from before %s", len(deleted), cutoff.isoformat())
    return len(deleted)
