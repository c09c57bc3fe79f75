"""Alerts of new public cases, for anyone without an account: in an area (a district includes
its streets and towns), of a category, or both; by email (confirmed by a link first) or push on
a device. Each subscriber gets one digest a day, of the cases made public that day: at most
``DIGEST_CAP`` of them, and a link to the full public list when there are more (an alert email
listing 177 cases helps nobody: FixMyStreet #5992).

The digests are the clock job ``assemble_digests``: it writes each subscriber's digest of the
day as a row of the alerts' outbox (``AlertMessage``, unique on subscription and day, written
with ``ON CONFLICT DO NOTHING``), so two workers running it at once write each digest once.
``deliver_alerts`` sends that outbox as ``delivery`` sends the cases' (the same claims, retries
and dead letters). Only public cases, and only their public text (number and title), ever.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from backend import clock
from backend.cases import browse
from backend.cases.tables import Case
from backend.db import execute_many, write_transaction
from backend.departments.tables import Area, Category
from backend.i18n_markers import N_
from backend.notifications import delivery, wordings
from backend.notifications.channels import EMAIL, PUSH, SENDERS, Failed, Outgoing, why_off
from backend.notifications.notices import Notice, default_line
from backend.notifications.outbox import DEAD, PENDING, SENT
from backend.notifications.subscriptions import SubscriptionError, email_address, mask, push_subscription, signed, verified_id
from backend.notifications.tables import AlertMessage, AlertSubscription
from backend.settings import Settings, get_settings
from backend.web import i18n

DIGEST_CAP = 20  # cases listed in one digest; the link has them all
ALERTS_PER_ADDRESS = 20  # more is someone filling another person's mailbox with address checks
UNCONFIRMED_DAYS = 7  # an address not confirmed by then is forgotten
DIGEST_HOUR = 7  # a day's digest goes out at 07:00 the next morning, in the platform's time zone
BATCH = 500
VERIFY, DIGEST = Notice.verify.value, Notice.alert_digest.value  # the kinds are notices: the admin pages name them so
EMPTY = "empty"  # a day without a new case: recorded (the job does not look again), never sent
VERIFY_PURPOSE, UNSUBSCRIBE_PURPOSE = "alert-verify", "alert-unsubscribe"  # never a case subscription's link


@dataclass(frozen=True)
class Topic:
    """What an alert is about: an area's slug, a category's slug, or both."""

    area: str = ""
    category: str = ""

    def case_filter(self, day: date | None = None) -> browse.CaseFilter:
        return browse.CaseFilter(area=self.area, category=self.category, published_from=day, published_to=day)

    def list_path(self, day: date | None = None) -> str:
        """The public list of its cases (of one day), as ``/cases`` filters it."""
        return "/cases?" + urlencode(self.case_filter(day).params())


@dataclass(frozen=True)
class Digest:
    numbers: tuple[str, ...]  # the cases listed, newest first
    total: int  # the day's public cases

    @property
    def more(self) -> bool:
        return self.total > len(self.numbers)


def digest_of(newest_first: list[str], total: int, cap: int = DIGEST_CAP) -> Digest:
    """The cases a digest lists: the newest ``cap``; the total says whether it links to more."""
    return Digest(tuple(newest_first[:cap]), max(total, len(newest_first[:cap])))


def digest_day(now: datetime, time_zone: ZoneInfo) -> date:
    """The day whose digest is assembled at ``now``: yesterday, in the platform's time zone."""
    return now.astimezone(time_zone).date() - timedelta(days=1)


def digest_due(day: date, time_zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(DIGEST_HOUR), time_zone)


# --- subscribing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    """What an alert's pages show of it: its topic, named, and the address masked."""

    id: int
    area_name: str
    area_name_en: str
    category_name: str
    category_name_en: str
    channel: str
    masked: str
    topic: Topic


async def topic_ids(topic: Topic) -> tuple[int | None, int | None]:
    """The area's and the category's ids; SubscriptionError naming the field that is wrong."""
    if not (topic.area or topic.category):
        raise SubscriptionError({"area": N_("Choose an area, a category, or both.")})
    try:
        browse.CaseFilter.from_params({"area": topic.area, "category": topic.category})
    except browse.BadFilter as error:
        raise SubscriptionError(error.errors) from None
    ids: list[int | None] = []
    for table, slug, field, message in (
        (Area, topic.area, "area", N_("Choose an area from the list.")),
        (Category, topic.category, "category", N_("Choose a category from the list.")),
    ):
        row = await table.select(table.id).where((table.slug == slug.lower()) & (table.active == True)).first() if slug else None  # noqa: E712
        if slug and row is None:
            raise SubscriptionError({field: message})
        ids.append(row["id"] if row else None)
    return ids[0], ids[1]


def _same(column, value: int | None):
    return column.is_null() if value is None else column == value


async def _add(topic: Topic, channel: str, address: str, language: str, *, verified: bool, push_keys: str = "") -> int:
    """The alert, once per topic and address (subscribing again changes nothing); an email
    address gets its check first."""
    area_id, category_id = await topic_ids(topic)
    now = clock.now()
    async with write_transaction():
        existing = await AlertSubscription.select(AlertSubscription.id).where(
            _same(AlertSubscription.area, area_id) & _same(AlertSubscription.category, category_id)
            & (AlertSubscription.channel == channel) & (AlertSubscription.address == address)
        ).first()
        if existing:
            return existing["id"]
        if await AlertSubscription.count().where(AlertSubscription.address == address) >= ALERTS_PER_ADDRESS:
            raise SubscriptionError({channel: N_("This address has as many alerts as it may have. Stop one first.")})
        rows = await AlertSubscription.insert(
            AlertSubscription(
                area=area_id, category=category_id, channel=channel, address=address, push_keys=push_keys, language=language,
                verified_at=now if verified else None, created_at=now,
            )
        ).returning(AlertSubscription.id)
        alert_id = rows[0]["id"]
        if not verified:
            await AlertMessage.insert(AlertMessage(subscription=alert_id, kind=VERIFY, status=PENDING, due_at=now, created_at=now))
        return alert_id


async def subscribe_email(topic: Topic, typed: str, language: str) -> int:
    return await _add(topic, EMAIL, email_address(typed), language, verified=False)


async def subscribe_push(topic: Topic, subscription_json: str, language: str) -> int:
    endpoint, push_keys = push_subscription(subscription_json)
    return await _add(topic, PUSH, endpoint, language, verified=True, push_keys=push_keys)


def verify_link(alert_id: int) -> str:
    return f"{get_settings().origin}/alerts/verify/{signed(VERIFY_PURPOSE, alert_id)}"


def unsubscribe_link(alert_id: int) -> str:
    return f"{get_settings().origin}/alerts/unsubscribe/{signed(UNSUBSCRIBE_PURPOSE, alert_id)}"


async def verify(token: str) -> bool:
    alert_id = verified_id(VERIFY_PURPOSE, token)
    if alert_id is None:
        return False
    await AlertSubscription.update({AlertSubscription.verified_at: clock.now()}).where(
        (AlertSubscription.id == alert_id) & AlertSubscription.verified_at.is_null()
    )
    return await AlertSubscription.exists().where(AlertSubscription.id == alert_id)


async def of_link(token: str) -> AlertView | None:
    """The alert a signed unsubscribe link is for; None if the link is bad or it has ended."""
    alert_id = verified_id(UNSUBSCRIBE_PURPOSE, token)
    if alert_id is None:
        return None
    return (await _views([alert_id]) or [None])[0]


async def unsubscribe(token: str) -> bool:
    """Ends the alert, its messages not sent yet with it; true if the link was good (whether or
    not it had ended already)."""
    alert_id = verified_id(UNSUBSCRIBE_PURPOSE, token)
    if alert_id is None:
        return False
    await AlertSubscription.delete().where(AlertSubscription.id == alert_id)  # its messages go with it (cascade)
    return True


async def _views(alert_ids: list[int]) -> list[AlertView]:
    s = AlertSubscription
    rows = await s.select(
        s.id, s.channel, s.address,
        s.area.slug.as_alias("area"), s.area.name.as_alias("area_name"), s.area.name_en.as_alias("area_name_en"),
        s.category.slug.as_alias("category"), s.category.name.as_alias("category_name"),
        s.category.name_en.as_alias("category_name_en"),
    ).where(s.id.is_in(alert_ids)).order_by(s.id)
    return [
        AlertView(
            row["id"], row["area_name"] or "", row["area_name_en"] or "", row["category_name"] or "", row["category_name_en"] or "",
            row["channel"], mask(row["channel"], row["address"]), Topic(row["area"] or "", row["category"] or ""),
        )
        for row in rows
    ]


async def forget_old(now: datetime) -> int:
    """The clock job: an email address nobody confirmed within ``UNCONFIRMED_DAYS`` is not kept
    (someone typed another person's, or a typo); the messages done (sent, dead, or an empty
    day's) go after the delivery log's period, like the cases' (``log.forget_old_deliveries``).
    Returns how many rows went."""
    unconfirmed = await AlertSubscription.delete().where(
        AlertSubscription.verified_at.is_null() & (AlertSubscription.created_at < now - timedelta(days=UNCONFIRMED_DAYS))
    ).returning(AlertSubscription.id)
    done = await AlertMessage.delete().where(
        AlertMessage.status.is_in([SENT, DEAD, EMPTY]), AlertMessage.created_at < now - timedelta(days=get_settings().delivery_log_days)
    ).returning(AlertMessage.id)
    return len(unconfirmed) + len(done)


# --- the daily digests (a clock job) ----------------------------------------------------------


async def assemble_digests(now: datetime) -> int:
    """The clock job: each confirmed alert's digest of yesterday, written once (a day without a
    case is recorded as empty and sends nothing). Only alerts confirmed before the day ended:
    one made this morning waits for today's. Returns how many alerts it looked at (another
    worker may have written some of those digests first: they are written once all the same)."""
    time_zone = ZoneInfo(get_settings().time_zone)
    day = digest_day(now, time_zone)
    day_ends = datetime.combine(day + timedelta(days=1), time(), time_zone)
    written = 0
    # Read and counted outside any write transaction (it would hold SQLite's lock meanwhile);
    # the insert's conflict rule is what keeps a digest single.
    while True:
        done = AlertMessage.select(AlertMessage.subscription).where(AlertMessage.day == day)
        s = AlertSubscription
        rows = await s.select(s.id, s.area.slug.as_alias("area"), s.category.slug.as_alias("category")).where(
            s.verified_at.is_not_null() & (s.verified_at < day_ends) & s.id.not_in(done)
        ).order_by(s.id).limit(BATCH)
        if not rows:
            return written
        by_topic: dict[Topic, list[int]] = defaultdict(list)
        for row in rows:
            by_topic[Topic(row["area"] or "", row["category"] or "")].append(row["id"])
        digests = {topic: await _digest(topic, day) for topic in by_topic}
        due = digest_due(day, time_zone)
        await execute_many(
            "INSERT INTO alert_message (subscription, kind, day, numbers, total, status, attempts, due_at, error, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, ?, '', ?) ON CONFLICT (subscription, day) DO NOTHING",
            [
                (alert_id, DIGEST, day, " ".join(digest.numbers), digest.total, PENDING if digest.total else EMPTY, due, now)
                for topic, digest in digests.items()
                for alert_id in by_topic[topic]
            ],
        )
        written += len(rows)


async def _digest(topic: Topic, day: date) -> Digest:
    case_filter = topic.case_filter(day)
    page = await browse.browse(case_filter, browse.Sort.newest, limit=DIGEST_CAP)
    return digest_of([case.number for case in page.cases], await browse.count(case_filter))


# --- sending them ------------------------------------------------------------------------------


_SUBJECT = N_("New public cases: %(topic)s, %(day)s")
_MORE = N_("Only the newest %(shown)s are listed here. All %(count)s are in the public list: %(link)s")
_ALL = N_("The public list of these cases: %(link)s")
_UNSUBSCRIBE = N_("To stop these messages: %(link)s")
_VERIFY_SUBJECT = N_("Confirm your alert: %(topic)s")
_VERIFY = N_("Please confirm that you want a daily email of new public cases: %(topic)s. %(link)s")
_IN = N_("%(category)s in %(area)s")


def topic_words(area: str, category: str, language: str) -> str:
    """The alert's topic in words: "Water in Lianchi District", or either alone."""
    if area and category:
        return i18n.translations(language).ugettext(_IN) % {"category": category, "area": area}
    return area or category


def digest_wording(
    topic: str, day: date, listed: list[tuple[str, str]], total: int, list_link: str, unsubscribe: str, language: str,
    edited: str | None = None,
) -> tuple[str, str, str]:
    """(subject, line, body) of a digest: the ``listed`` cases (number, title), and the link to
    all ``total`` of them when there are more. Its line is the default, or the wording an admin
    ``edited`` (``wordings``)."""
    gettext = i18n.translations(language).ugettext
    values = {"topic": topic, "day": day.isoformat(), "count": total}
    line = wordings.render(edited, {**values, "link": list_link}) if edited else default_line(Notice.alert_digest, language) % values
    origin = get_settings().origin
    lines = [f"{number}  {title}\n{origin}/cases/{number}" for number, title in listed]
    more = gettext(_MORE) % {"shown": len(listed), "count": total, "link": list_link} if total > len(listed) else gettext(_ALL) % {"link": list_link}
    body = "\n\n".join([line, *lines, more, gettext(_UNSUBSCRIBE) % {"link": unsubscribe}]) + "\n"
    return gettext(_SUBJECT) % values, line, body


def verify_wording(topic: str, link: str, unsubscribe: str, language: str) -> tuple[str, str, str]:
    gettext = i18n.translations(language).ugettext
    line = gettext(_VERIFY) % {"topic": topic, "link": link}
    return gettext(_VERIFY_SUBJECT) % {"topic": topic}, line, f"{line}\n\n{gettext(_UNSUBSCRIBE) % {'link': unsubscribe}}\n"


async def _outgoing(ids: list[int]) -> dict[int, tuple[str, Outgoing]]:
    """Each claimed message's channel and words. The cases are read again: one no longer public
    is left out (it was public when the digest was written)."""
    m = AlertMessage
    rows = await m.select(
        m.id, m.kind, m.day, m.numbers, m.total, m.subscription,
        m.subscription.channel.as_alias("channel"), m.subscription.address.as_alias("address"),
        m.subscription.push_keys.as_alias("push_keys"), m.subscription.language.as_alias("language"),
    ).where(m.id.is_in(ids))
    views = {view.id: view for view in await _views(sorted({row["subscription"] for row in rows}))}
    numbers = sorted({number for row in rows for number in row["numbers"].split()})
    titles = {
        row["number"]: row["title"]
        for row in await Case.select(Case.number, Case.title).where(Case.number.is_in(numbers) & Case.published_at.is_not_null())
    } if numbers else {}
    origin = get_settings().origin
    edited = await wordings.in_force()  # a small table, read once a batch
    out = {}
    for row in rows:
        view, language = views[row["subscription"]], row["language"]
        english = language == "en"
        topic = topic_words(
            (view.area_name_en or view.area_name) if english else view.area_name,
            (view.category_name_en or view.category_name) if english else view.category_name,
            language,
        )
        unsubscribe = unsubscribe_link(view.id)
        if row["kind"] == VERIFY:
            link = verify_link(view.id)
            subject, line, body = verify_wording(topic, link, unsubscribe, language)
        else:
            link = origin + view.topic.list_path(row["day"])
            listed = [(number, titles[number]) for number in row["numbers"].split() if number in titles]
            subject, line, body = digest_wording(
                topic, row["day"], listed, row["total"], link, unsubscribe, language, edited.of(Notice.alert_digest, row["channel"], language)
            )
        out[row["id"]] = (row["channel"], Outgoing(row["address"], subject, line, body, link, row["push_keys"], unsubscribe))
    return out


async def deliver_alerts(now: datetime, settings: Settings | None = None) -> int:
    """The clock job: sends the alerts' messages due at ``now``; returns how many it tried."""
    settings = settings or get_settings()
    tried = 0
    while ids := await delivery.claim(now, table=AlertMessage):
        await _send(ids, settings, now)
        tried += len(ids)
    return tried


async def _send(ids: list[int], settings: Settings, now: datetime) -> None:
    outgoing = await _outgoing(ids)
    sent: list[int] = []
    failures: dict[int, Failed] = {message_id: Failed("subscription ended", permanent=True) for message_id in ids if message_id not in outgoing}
    by_channel: dict[str, list[int]] = defaultdict(list)
    for message_id, (channel, _) in sorted(outgoing.items()):
        if why_off(channel, settings) is not None:
            failures[message_id] = Failed(f"{channel} is off")
        else:
            by_channel[channel].append(message_id)
    for channel, message_ids in by_channel.items():
        try:
            async with SENDERS[channel](settings) as send:
                for message_id in message_ids:
                    try:
                        await send(outgoing[message_id][1])
                        sent.append(message_id)
                    except Failed as failed:
                        failures[message_id] = failed
        except Failed as failed:  # no connection: what was not sent failed so
            failures.update({message_id: failed for message_id in message_ids if message_id not in sent and message_id not in failures})
    if sent:
        await AlertMessage.update(
            {AlertMessage.status: SENT, AlertMessage.sent_at: now, AlertMessage.claimed_until: None, AlertMessage.error: ""}
        ).where(AlertMessage.id.is_in(sent))
    attempts = {row["id"]: row for row in await AlertMessage.select(AlertMessage.id, AlertMessage.attempts, AlertMessage.subscription).where(
        AlertMessage.id.is_in(list(failures))
    )} if failures else {}
    for message_id, failed in failures.items():
        if message_id not in attempts:
            continue  # the subscription ended meanwhile: its messages went with it
        status, due_at = delivery.after_failure(attempts[message_id]["attempts"], failed, settings, now)
        async with write_transaction():
            await AlertMessage.update(
                {AlertMessage.status: status, AlertMessage.due_at: due_at, AlertMessage.claimed_until: None, AlertMessage.error: failed.reason}
            ).where(AlertMessage.id == message_id)
            if failed.gone:  # an expired push subscription: the alert ends
                await AlertSubscription.delete().where(AlertSubscription.id == attempts[message_id]["subscription"])

