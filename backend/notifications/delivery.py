"""Sending the outbox (``outbox``) after commit: claimed in batches, sent through the channels,
retried with a doubling wait, dead after the last attempt.

Claiming is safe across workers: on PostgreSQL the due rows are locked with ``FOR UPDATE SKIP
LOCKED`` (a second worker takes other rows, never the same); SQLite's write transaction holds
the whole database. A claimed row is ``sending`` until its claim runs out: a worker killed
mid-send leaves it to be taken again then, so nothing committed is lost. A message is marked
sent as soon as its channel took it.

Two things deliver: this worker's ``Courier``, woken by the commit that wrote messages (the
nudge), and the clock job ``deliver_due`` (``backend.jobs``), which sends what is left: retries
that came due, and what a stopped or killed worker did not send.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend import clock
from backend.db import engine, write_transaction
from backend.notifications import outbox, wordings
from backend.notifications.channels import SENDERS, Failed, Outgoing, why_off
from backend.notifications.notices import STAFF_LINK, STAFF_LINKS, Audience, Facts, Notice, wording
from backend.notifications.outbox import DEAD, PENDING, SENDING, SENT
from backend.notifications.subscriptions import follow_link, staff_unsubscribe_link, staff_verify_link, unsubscribe_link, verify_link
from backend.notifications.tables import AlertMessage, Message, StaffSubscription, Subscription
from backend.events import NotificationDelivered, emit
from backend.settings import Settings, get_settings
from backend.vocabulary import Status

BATCH = 500
LANES = 16  # connections per channel at once
CLAIM_MINUTES = 10  # longer than a batch takes: a claim older than this was a worker's that died
LONGEST_WAIT = timedelta(hours=6)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    id: int
    notice: Notice
    channel: str
    attempts: int
    subscription_id: int | None
    staff: bool  # the subscription is a staff member's device
    outgoing: Outgoing | None  # None: the subscription ended


async def claim(now: datetime, limit: int = BATCH, table: type[Message] | type[AlertMessage] = Message) -> list[int]:
    """Takes up to ``limit`` due messages for this worker, atomically: of the outbox, or of the
    alerts' (``alerts``), which has the same states."""
    due = ((table.status == PENDING) & (table.due_at <= now)) | ((table.status == SENDING) & (table.claimed_until < now))
    async with write_transaction():
        query = table.select(table.id).where(due).order_by(table.id).limit(limit)
        if engine().engine_type == "postgres":
            query = query.lock_rows(skip_locked=True)
        ids = [row["id"] for row in await query]
        if ids:
            await table.update(
                {table.status: SENDING, table.claimed_until: now + timedelta(minutes=CLAIM_MINUTES), table.attempts: table.attempts + 1}
            ).where(table.id.is_in(ids))
    return ids


def after_failure(attempts: int, failed: Failed, settings: Settings, now: datetime) -> tuple[str, datetime]:
    """A failed message's next state and when it is due: dead after the last attempt (or at
    once if trying again cannot help), else pending after a doubling wait."""
    dead = failed.permanent or attempts >= settings.notify_attempts
    wait = min(timedelta(seconds=settings.notify_retry_seconds * 2 ** (attempts - 1)), LONGEST_WAIT)
    return (DEAD if dead else PENDING), now + wait


async def _claimed(ids: list[int]) -> list[Claimed]:
    rows = await Message.select(
        Message.id, Message.case, Message.event, Message.channel, Message.attempts, Message.subscription, Message.staff_subscription,
        Message.entry.body.as_alias("text"),
        Message.case.number.as_alias("number"),
        Message.case.status.as_alias("case_status"),
        Message.case.department.name.as_alias("department"),
        Message.case.department.name_en.as_alias("department_en"),
        Message.subscription.address.as_alias("address"),
        Message.subscription.push_keys.as_alias("push_keys"),
        Message.subscription.language.as_alias("language"),
        Message.subscription.follow_link.as_alias("follow_link"),
        Message.subscription.audience.as_alias("audience"),
        Message.staff_subscription.address.as_alias("staff_address"),
        Message.staff_subscription.push_keys.as_alias("staff_push_keys"),
        Message.staff_subscription.language.as_alias("staff_language"),
    ).where(Message.id.is_in(ids)).order_by(Message.id)
    edited = await wordings.in_force()  # a small table, read once a batch
    return [_claimed_one(row, edited) for row in rows]


def _claimed_one(row: dict, edited: wordings.Wordings) -> Claimed:
    notice = Notice(row["event"])
    staff = row["staff_subscription"] is not None
    subscription_id = row["staff_subscription"] if staff else row["subscription"]
    if subscription_id is None:
        return Claimed(row["id"], notice, row["channel"], row["attempts"], None, False, None)
    settings = get_settings()
    language = row["staff_language"] if staff else row["language"]
    # A draft's is not a number yet; a staff email's check is of no case.
    number = "" if row["case_status"] in (Status.draft.value, None) else row["number"]
    if notice == Notice.staff_verify:
        link, unsubscribe = staff_verify_link(subscription_id), staff_unsubscribe_link(subscription_id)
    elif staff:
        page = STAFF_LINKS.get(notice, STAFF_LINK).format(case_id=row["case"], number=number)
        link, unsubscribe = settings.origin + page, staff_unsubscribe_link(subscription_id)
    elif row["audience"] == Audience.follower.value and notice != Notice.verify:
        link, unsubscribe = f"{settings.origin}/cases/{row['number']}", unsubscribe_link(subscription_id)  # the public page
    else:
        link, unsubscribe = _filer_link(notice, subscription_id, row["follow_link"]), unsubscribe_link(subscription_id)
    department = (row["department_en"] or row["department"]) if language == "en" else row["department"]
    facts = Facts(number, department or "", row["text"] or "", link)
    words = wording(notice, facts, language, unsubscribe, edited.of(notice, row["channel"], language))
    address, push_keys = (row["staff_address"], row["staff_push_keys"]) if staff else (row["address"], row["push_keys"])
    outgoing = Outgoing(address, words.subject, words.line, words.body, link, push_keys, unsubscribe)
    return Claimed(row["id"], notice, row["channel"], row["attempts"], subscription_id, staff, outgoing)


def _filer_link(notice: Notice, subscription_id: int, sealed_follow_link: str) -> str:
    if notice == Notice.verify:
        return verify_link(subscription_id)
    return follow_link(sealed_follow_link) + ("#rating" if notice == Notice.answered else "")


class Lanes:
    """The channels' connections of one delivery run, by lane: each opened for its first message
    and kept for the run's later batches (opened per batch, a run of 10,000 made nearly a
    thousand connections, each with its SMTP handshake). A lane whose connection failed is
    closed, and opened again for its next message."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._open: dict[tuple[str, bool, int], tuple] = {}

    async def send(self, key: tuple[str, bool, int], lane: list[Claimed], failures: dict[int, Failed], sent: list[int]) -> None:
        for index, message in enumerate(lane):
            try:
                send = await self._sender(key)
            except Failed as failed:  # no connection: the lane's messages not sent failed so
                failures.update({waiting.id: failed for waiting in lane[index:]})
                return
            try:
                await send(message.outgoing)
                sent.append(message.id)
            except Failed as failed:
                failures[message.id] = failed
                if not failed.permanent:  # the connection may be what failed: the next message opens another
                    await self._close(key)

    async def _sender(self, key: tuple[str, bool, int]):
        if key not in self._open:
            opening = SENDERS[key[0]](self.settings)
            self._open[key] = (opening, await opening.__aenter__())
        return self._open[key][1]

    async def _close(self, key: tuple[str, bool, int]) -> None:
        opening, _ = self._open.pop(key, (None, None))
        if opening is not None:
            try:
                await opening.__aexit__(None, None, None)
            except (Failed, OSError):
                pass  # closing a broken connection: nothing more to do

    async def close(self) -> None:
        for key in list(self._open):
            await self._close(key)


async def send(messages: list[Claimed], settings: Settings, now: datetime, lanes: Lanes | None = None) -> None:
    """Sends claimed messages (through the run's ``lanes``, or connections of their own), then
    records each outcome."""
    failures: dict[int, Failed] = {}
    sent: list[int] = []
    by_channel: dict[str, list[Claimed]] = defaultdict(list)
    for message in messages:
        if message.outgoing is None:
            failures[message.id] = Failed("subscription ended", permanent=True)
        elif why_off(message.channel, settings) is not None:
            failures[message.id] = Failed(f"{message.channel} is off")
        else:
            by_channel[message.channel].append(message)
    # A subscription's messages go in one lane, in order: "answered" never before "accepted".
    queued: dict[tuple[str, bool, int], list[Claimed]] = defaultdict(list)
    for channel, of_channel in by_channel.items():
        for message in of_channel:
            queued[(channel, message.staff, message.subscription_id % LANES)].append(message)
    own = lanes is None
    lanes = lanes or Lanes(settings)
    try:
        await asyncio.gather(*(lanes.send(key, lane, failures, sent) for key, lane in queued.items()))
    finally:
        if own:
            await lanes.close()
    if sent:
        await Message.update({Message.status: SENT, Message.sent_at: now, Message.claimed_until: None, Message.error: ""}).where(
            Message.id.is_in(sent)
        )
    by_id = {message.id: message for message in messages}
    await emit(*(NotificationDelivered(by_id[message_id].channel, "sent") for message_id in sent))
    for message_id, failed in failures.items():
        await _record_failure(by_id[message_id], failed, settings, now)


async def _record_failure(message: Claimed, failed: Failed, settings: Settings, now: datetime) -> None:
    status, due_at = after_failure(message.attempts, failed, settings, now)
    async with write_transaction():
        await Message.update(
            {Message.status: status, Message.due_at: due_at, Message.claimed_until: None, Message.error: failed.reason}
        ).where(Message.id == message.id)
        if failed.gone and message.subscription_id is not None:
            # An expired push subscription: it is removed; its messages stay in the log.
            table = StaffSubscription if message.staff else Subscription
            await table.delete().where(table.id == message.subscription_id)
    await emit(NotificationDelivered(message.channel, "dead" if status == DEAD else "retry"))
    logger.info("notification %s %s: %s", message.id, "dead" if status == DEAD else "to retry", failed.reason)


async def deliver_due(now: datetime, settings: Settings | None = None) -> int:
    """The clock job: sends every message due at ``now``; returns how many it tried."""
    settings = settings or get_settings()
    tried = 0
    lanes = Lanes(settings)
    try:
        while ids := await claim(now):
            await send(await _claimed(ids), settings, now, lanes)
            tried += len(ids)
    finally:
        await lanes.close()
    return tried


class Courier:
    """Sends, in this worker, what a commit just wrote: woken by ``outbox.nudge``."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        outbox.on_nudge(self._wake.set)
        self._task = asyncio.create_task(self._loop(), name="minsheng-courier")

    async def stop(self) -> None:
        outbox.on_nudge(self._wake.set, listening=False)
        if self._task is not None:
            self._task.cancel()  # a claim it held is taken again when it runs out
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await deliver_due(clock.now(), self.settings)
            except Exception:
                logger.exception("sending notifications failed; the clock job tries again")
