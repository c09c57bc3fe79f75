"""Subscriptions to a case, made without an account: the filer's, on the follow page, and a
follower's, on a public case's page (they hear of its answer and its closing).

An email address gets one message first, with a link to confirm it; nothing else is sent to
it before. A phone number is a mainland mobile number, with the filer's explicit consent. A
push subscription is this browser's. Each subscription has a signed link that ends it, which
works without any session; nothing here says whether an address follows any other case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

from backend import clock
from backend.cases.services import case_of_follow_token, public_case_id
from backend.cases.tables import Case
from backend.db import write_transaction
from backend.errors import FieldErrors, NotFound
from backend.events import CaseMerged, MergeUndone, PersonalDataErased
from backend.i18n_markers import N_
from backend.notifications.channels import EMAIL, PUSH, SMS
from backend.notifications.notices import Audience, Notice
from backend.notifications.outbox import PENDING, SENDING, enqueue
from backend.notifications.tables import Message, MovedSubscription, StaffSubscription, Subscription
from backend.settings import get_settings

EMAIL_ADDRESS = re.compile(r"^[^@\s\"<>,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # mainland China's mobile numbers
SUBSCRIPTIONS_PER_CASE = 10  # a follow link is one person's: more is someone misusing it


class SubscriptionError(FieldErrors):
    pass


@dataclass(frozen=True)
class SubscriptionView:
    """What the follow page and staff see of a subscription: the address masked."""

    id: int
    channel: str
    masked: str
    verified: bool
    created_at: datetime


def mask(channel: str, address: str) -> str:
    """Enough to recognise one's own address, not to learn someone else's."""
    if channel == EMAIL:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    if channel == SMS:
        return f"{address[:3]}****{address[-4:]}"
    return urlsplit(address).hostname or "?"  # the push service, never the endpoint


def normal_phone(typed: str) -> str | None:
    """A mainland mobile number as typed (spaces, dashes, +86), or None."""
    digits = re.sub(r"[\s\-()]", "", typed)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    return digits if MOBILE.fullmatch(digits) else None


# --- signed links ----------------------------------------------------------------------------


def _signature(purpose: str, subscription_id: int) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"{purpose}:{subscription_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def signed(purpose: str, subscription_id: int) -> str:
    return f"{subscription_id}.{_signature(purpose, subscription_id)}"


def verified_id(purpose: str, token: str) -> int | None:
    number, _, signature = token.partition(".")
    if not number.isascii() or not number.isdigit() or len(number) > 10 or not signature.isascii():
        return None
    return int(number) if hmac.compare_digest(signature, _signature(purpose, int(number))) else None


def unsubscribe_link(subscription_id: int) -> str:
    return f"{get_settings().origin}/notifications/unsubscribe/{signed('unsubscribe', subscription_id)}"


def verify_link(subscription_id: int) -> str:
    return f"{get_settings().origin}/notifications/verify/{signed('verify', subscription_id)}"


def _fernet() -> Fernet:
    key = hashlib.sha256(b"notifications:follow-link:" + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def sealed_follow_link(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def follow_link(sealed: str) -> str:
    """The case's follow page, from what the subscription kept; the home page if it cannot be
    read (the secret key changed)."""
    try:
        return f"{get_settings().origin}/follow/{_fernet().decrypt(sealed.encode()).decode()}"
    except InvalidToken:
        return get_settings().origin + "/"


# --- subscribing -----------------------------------------------------------------------------


async def _case_id(token: str) -> int:
    case = await case_of_follow_token(token)
    if case is None:
        raise NotFound(N_("There is no such case."))
    return case["id"]


async def _add(
    case_id: int, channel: str, address: str, language: str, *, verified: bool, push_keys: str = "", token: str = ""
) -> int:
    """The subscription, once per address, case and audience (subscribing again changes
    nothing): the filer's with their follow ``token``, else a follower's."""
    audience = Audience.filer if token else Audience.follower
    now = clock.now()
    async with write_transaction():
        existing = await Subscription.select(Subscription.id).where(
            (Subscription.case == case_id) & (Subscription.audience == audience.value)
            & (Subscription.channel == channel) & (Subscription.address == address)
        ).first()
        if existing:
            return existing["id"]
        filers = (Subscription.case == case_id) & (Subscription.audience == Audience.filer.value)
        if token and await Subscription.count().where(filers) >= SUBSCRIPTIONS_PER_CASE:
            raise SubscriptionError({"form": N_("This case has as many subscriptions as it may have. Remove one first.")})
        rows = await Subscription.insert(
            Subscription(
                case=case_id,
                audience=audience.value,
                channel=channel,
                address=address,
                push_keys=push_keys,
                language=language,
                follow_link=sealed_follow_link(token) if token else "",
                verified_at=now if verified else None,
                created_at=now,
            )
        ).returning(Subscription.id)
        subscription_id = rows[0]["id"]
        if channel == EMAIL:
            await enqueue([(case_id, subscription_id, None, None, Notice.verify.value, EMAIL)], now)
        return subscription_id


def email_address(typed: str) -> str:
    address = typed.strip()
    if not address:
        raise SubscriptionError({"email": N_("Enter your email address.")})
    if len(address) > 254 or not EMAIL_ADDRESS.fullmatch(address):
        raise SubscriptionError({"email": N_("Enter an email address like name@example.com.")})
    return address.lower()


async def subscribe_email(token: str, typed: str, language: str) -> int:
    return await _add(await _case_id(token), EMAIL, email_address(typed), language, verified=False, token=token)


def phone_number(typed: str, consent: bool, refused: str) -> str:
    """The mobile number typed, normalised, with the explicit consent to text messages
    (``refused``: what to say if the box is not ticked). Raises SubscriptionError."""
    errors = {}
    phone = normal_phone(typed)
    if not typed.strip():
        errors["phone"] = N_("Enter your mobile phone number.")
    elif phone is None:
        errors["phone"] = N_("Enter a mainland mobile number of 11 digits, like 138 0013 8000.")
    if not consent:
        errors["consent"] = refused
    if errors:
        raise SubscriptionError(errors)
    return phone


async def subscribe_sms(token: str, typed: str, consent: bool, language: str) -> int:
    phone = phone_number(typed, consent, N_("Tick the box to agree to receive text messages about this case."))
    return await _add(await _case_id(token), SMS, phone, language, verified=True, token=token)


def push_subscription(subscription_json: str) -> tuple[str, str]:
    """(endpoint, keys as JSON) of a browser's PushSubscription, as its ``toJSON()`` gives it."""
    unusable = SubscriptionError({"push": N_("This browser gave no push subscription that can be used.")})
    try:
        given = json.loads(subscription_json)
        endpoint, keys = given["endpoint"], given["keys"]
        push_keys = json.dumps({"p256dh": str(keys["p256dh"]), "auth": str(keys["auth"])})
    except (ValueError, TypeError, KeyError):
        raise unusable from None
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme != "https" and not _local(endpoint) or len(endpoint) > 1000:
        raise unusable
    return endpoint, push_keys


async def subscribe_push(token: str, subscription_json: str, language: str) -> int:
    endpoint, push_keys = push_subscription(subscription_json)
    return await _add(await _case_id(token), PUSH, endpoint, language, verified=True, push_keys=push_keys, token=token)


async def _public_case_id(number: str) -> int:
    case_id = await public_case_id(number)
    if case_id is None:
        raise NotFound(N_("There is no such case."))
    return case_id


async def follow_by_email(number: str, typed: str, language: str) -> int:
    """A follower of the public case ``number``, by email (confirmed by the link first)."""
    return await _add(await _public_case_id(number), EMAIL, email_address(typed), language, verified=False)


async def follow_by_push(number: str, subscription_json: str, language: str) -> int:
    endpoint, push_keys = push_subscription(subscription_json)
    return await _add(await _public_case_id(number), PUSH, endpoint, language, verified=True, push_keys=push_keys)


def _local(endpoint: str) -> bool:
    """Push services are https; a test's push service on this machine may be plain http."""
    return urlsplit(endpoint).hostname == "127.0.0.1" and get_settings().origin.startswith("http://localhost")


async def verify_email(token: str) -> bool:
    subscription_id = verified_id("verify", token)
    if subscription_id is None:
        return False
    await Subscription.update({Subscription.verified_at: clock.now()}).where(
        (Subscription.id == subscription_id) & Subscription.verified_at.is_null()
    )
    return await Subscription.exists().where(Subscription.id == subscription_id)


async def unsubscribe(token: str) -> bool:
    """Ends the subscription the signed link is for; true if the link was good (whether or
    not it had ended already)."""
    subscription_id = verified_id("unsubscribe", token)
    if subscription_id is None:
        return False
    await end(subscription_id)
    return True


async def end(subscription_id: int) -> None:
    """Its messages not yet sent go with it."""
    async with write_transaction():
        await Message.delete().where((Message.subscription == subscription_id) & Message.status.is_in([PENDING, SENDING]))
        await Subscription.delete().where(Subscription.id == subscription_id)


async def on_personal_data_erased(erased: set[PersonalDataErased]) -> None:
    """Listener (before commit): a case whose filer's details were erased keeps no way to reach
    them: its subscriptions go, with their messages not yet sent."""
    case_ids = sorted({event.case_id for event in erased})
    gone = Subscription.select(Subscription.id).where(Subscription.case.is_in(case_ids))
    await Message.delete().where(Message.subscription.is_in(gone), Message.status.is_in([PENDING, SENDING]))
    await Subscription.delete().where(Subscription.case.is_in(case_ids))


async def end_for_case(token: str, subscription_id: int) -> None:
    """The follow page's own remove button: only a subscription of that case's filer."""
    case_id = await _case_id(token)
    theirs = (Subscription.id == subscription_id) & (Subscription.case == case_id) & (Subscription.audience == Audience.filer.value)
    if await Subscription.exists().where(theirs):
        await end(subscription_id)


async def of_case(case_id: int) -> list[SubscriptionView]:
    rows = await Subscription.select(
        Subscription.id, Subscription.channel, Subscription.address, Subscription.verified_at, Subscription.created_at
    ).where((Subscription.case == case_id) & (Subscription.audience == Audience.filer.value)).order_by(Subscription.id)
    return [
        SubscriptionView(row["id"], row["channel"], mask(row["channel"], row["address"]), row["verified_at"] is not None, row["created_at"])
        for row in rows
    ]


async def of_follow_token(token: str) -> list[SubscriptionView]:
    return await of_case(await _case_id(token))


# --- where staff members hear of their work -------------------------------------------------

STAFF_VERIFY_PURPOSE, STAFF_UNSUBSCRIBE_PURPOSE = "staff-verify", "staff-unsubscribe"  # never a case subscription's link, nor an alert's
STAFF_ADDRESSES = 10  # devices, addresses and numbers of one account: more is a mistake or misuse


def staff_verify_link(subscription_id: int) -> str:
    return f"{get_settings().origin}/notifications/staff-verify/{signed(STAFF_VERIFY_PURPOSE, subscription_id)}"


def staff_unsubscribe_link(subscription_id: int) -> str:
    """Stops one way a staff member hears of their work, signed in or not (an expired session,
    a mail client's one-click unsubscribe)."""
    return f"{get_settings().origin}/notifications/staff-unsubscribe/{signed(STAFF_UNSUBSCRIBE_PURPOSE, subscription_id)}"


async def _add_staff(account_id: int, channel: str, address: str, language: str, *, verified: bool, push_keys: str = "") -> int:
    """Once per account, channel and address (adding it again changes nothing); an email
    address gets its check first, as a filer's does."""
    now = clock.now()
    async with write_transaction():
        existing = await StaffSubscription.select(StaffSubscription.id).where(
            (StaffSubscription.account == account_id) & (StaffSubscription.channel == channel) & (StaffSubscription.address == address)
        ).first()
        if existing:
            return existing["id"]
        if await StaffSubscription.count().where(StaffSubscription.account == account_id) >= STAFF_ADDRESSES:
            raise SubscriptionError({channel: N_("You have as many ways of hearing of your work as you may have. Stop one first.")})
        rows = await StaffSubscription.insert(
            StaffSubscription(
                account=account_id, channel=channel, address=address, push_keys=push_keys, language=language,
                verified_at=now if verified else None, created_at=now,
            )
        ).returning(StaffSubscription.id)
        subscription_id = rows[0]["id"]
        if not verified:
            await enqueue([(None, None, subscription_id, None, Notice.staff_verify.value, EMAIL)], now)
        return subscription_id


async def add_staff_device(account_id: int, subscription_json: str, language: str) -> int:
    """This browser shows the news of the staff member's work."""
    endpoint, push_keys = push_subscription(subscription_json)
    return await _add_staff(account_id, PUSH, endpoint, language, verified=True, push_keys=push_keys)


async def add_staff_email(account_id: int, typed: str, language: str) -> int:
    return await _add_staff(account_id, EMAIL, email_address(typed), language, verified=False)


async def add_staff_phone(account_id: int, typed: str, consent: bool, language: str) -> int:
    phone = phone_number(typed, consent, N_("Tick the box to agree to receive text messages about your work."))
    return await _add_staff(account_id, SMS, phone, language, verified=True)


async def verify_staff_email(token: str) -> bool:
    subscription_id = verified_id(STAFF_VERIFY_PURPOSE, token)
    if subscription_id is None:
        return False
    await StaffSubscription.update({StaffSubscription.verified_at: clock.now()}).where(
        (StaffSubscription.id == subscription_id) & StaffSubscription.verified_at.is_null()
    )
    return await StaffSubscription.exists().where(StaffSubscription.id == subscription_id)


async def staff_devices(account_id: int) -> list[SubscriptionView]:
    rows = await StaffSubscription.select(
        StaffSubscription.id, StaffSubscription.channel, StaffSubscription.address, StaffSubscription.verified_at, StaffSubscription.created_at
    ).where(StaffSubscription.account == account_id).order_by(StaffSubscription.id)
    return [
        SubscriptionView(row["id"], row["channel"], mask(row["channel"], row["address"]), row["verified_at"] is not None, row["created_at"])
        for row in rows
    ]


async def remove_staff_device(account_id: int, device_id: int) -> None:
    """Only the account's own; its messages not yet sent go with it."""
    await _end_staff(device_id, StaffSubscription.account == account_id)


async def unsubscribe_staff(token: str) -> bool:
    """Ends what the signed link is for; true if the link was good (whether or not it had
    ended already)."""
    subscription_id = verified_id(STAFF_UNSUBSCRIBE_PURPOSE, token)
    if subscription_id is None:
        return False
    await _end_staff(subscription_id)
    return True


async def _end_staff(subscription_id: int, also=None) -> None:
    async with write_transaction():
        which = StaffSubscription.id == subscription_id
        which = which if also is None else which & also
        if await StaffSubscription.exists().where(which):
            await Message.delete().where((Message.staff_subscription == subscription_id) & Message.status.is_in([PENDING, SENDING]))
            await StaffSubscription.delete().where(which)


# --- a duplicate merged into the case it repeats (``cases.merging``) ---------------------------


def _same_address(row: dict) -> tuple[str, str]:
    return row["channel"], row["address"]


async def on_case_merged(merged: set[CaseMerged]) -> None:
    """Listener (before commit): the duplicate's followers follow the original instead, and its
    filer follows it too (a copy of each confirmed subscription of theirs, as a follower's; their
    own stays, for the notice of the merge and the follow link). An address that already
    follows the original is left as it is: nobody hears twice. Only a public original has
    followers (their messages link to its public page). Each change is kept against the merge."""
    now = clock.now()
    for event in sorted(merged, key=lambda event: event.merge_id):
        if not await Case.exists().where((Case.id == event.original_id) & Case.published_at.is_not_null()):
            continue
        columns = (Subscription.id, Subscription.audience, Subscription.channel, Subscription.address,
                   Subscription.push_keys, Subscription.language, Subscription.verified_at)
        followed = {
            _same_address(row)
            for row in await Subscription.select(Subscription.channel, Subscription.address).where(
                (Subscription.case == event.original_id) & (Subscription.audience == Audience.follower.value)
            )
        }
        for row in await Subscription.select(*columns).where(Subscription.case == event.duplicate_id).order_by(Subscription.id):
            if _same_address(row) in followed or row["verified_at"] is None and row["audience"] == Audience.filer.value:
                continue
            followed.add(_same_address(row))
            if row["audience"] == Audience.follower.value:
                await Subscription.update({Subscription.case: event.original_id}).where(Subscription.id == row["id"])
                moved, copied = row["id"], False
            else:
                copy = Subscription(
                    case=event.original_id, audience=Audience.follower.value, channel=row["channel"], address=row["address"],
                    push_keys=row["push_keys"], language=row["language"], verified_at=row["verified_at"], created_at=now,
                )
                moved, copied = (await Subscription.insert(copy).returning(Subscription.id))[0]["id"], True
            await MovedSubscription.insert(MovedSubscription(merge=event.merge_id, subscription=moved, copied=copied))


async def on_merge_undone(undone: set[MergeUndone]) -> None:
    """Listener (before commit): what the merge moved goes back to the duplicate; the filer's
    copies go, with their messages not yet sent."""
    for event in sorted(undone, key=lambda event: event.merge_id):
        rows = await MovedSubscription.select(MovedSubscription.subscription, MovedSubscription.copied).where(
            MovedSubscription.merge == event.merge_id
        )
        copies = [row["subscription"] for row in rows if row["copied"]]
        moved = [row["subscription"] for row in rows if not row["copied"]]
        await MovedSubscription.delete().where(MovedSubscription.merge == event.merge_id)
        if copies:
            await Message.delete().where(Message.subscription.is_in(copies), Message.status.is_in([PENDING, SENDING]))
            await Subscription.delete().where(Subscription.id.is_in(copies))
        if moved:
            await Subscription.update({Subscription.case: event.duplicate_id}).where(Subscription.id.is_in(moved))
