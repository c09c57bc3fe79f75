"""Passkey ceremonies (WebAuthn, through py_webauthn) and the passkeys of an account.

Challenges live in the database: issued with an expiry equal to the ceremony timeout, bound to
an account where the ceremony is for one, and deleted by the one response that uses them, so a
replayed or late response finds nothing. Every refusal looks the same to the person signing in,
so that nothing tells whether an account or a passkey exists; the real reason goes to the
audit log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import webauthn
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction
from backend.accounts.services import AccountError, AccountView, OpenInvitation, get_account, use_invitation
from backend.accounts.tables import Account, Passkey, WebAuthnChallenge
from backend.db import lock_row, write_transaction
from backend.i18n_markers import N_
from backend.text import clean_text
from backend.errors import NotFound, WrongState

CEREMONY_TIMEOUT = timedelta(minutes=5)
PASSKEY_NAME_MAX = 60
MAX_RESPONSE_BYTES = 64 * 1024
REFUSED = N_("This passkey could not be used. Try again, or use another passkey.")
INVITATION_GONE = N_("This invitation link cannot be used any more. Ask an administrator for a new one.")


class Purpose(str, enum.Enum):
    enrol = "enrol"  # the first passkey, from an invitation
    add = "add"  # another device, from the passkeys page
    sign_in = "sign_in"
    confirm = "confirm"  # a fresh check before a sensitive change


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


class PasskeyRefused(Exception):
    """Shown to the person as ``message``; ``reason`` is for the audit log only."""

    def __init__(self, reason: str, message: str = REFUSED):
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PasskeyView:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool


async def _issue_challenge(challenge: bytes, purpose: Purpose, account_id: int | None) -> None:
    now = clock.now()
    await WebAuthnChallenge.delete().where(WebAuthnChallenge.expires_at <= now)
    await WebAuthnChallenge.insert(
        WebAuthnChallenge(
            challenge=bytes_to_base64url(challenge),
            purpose=purpose.value,
            account=account_id,
            expires_at=now + CEREMONY_TIMEOUT,
        )
    )


async def _consume_challenge(client_data_json: bytes, purpose: Purpose, account_id: int | None) -> bytes:
    """The challenge the response answers, if it was issued for this and is still unused."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused(f"unreadable client data: {error}") from None
    conditions = [
        WebAuthnChallenge.challenge == bytes_to_base64url(challenge),
        WebAuthnChallenge.purpose == purpose.value,
        WebAuthnChallenge.expires_at > clock.now(),
    ]
    if account_id is not None:
        conditions.append(WebAuthnChallenge.account == account_id)
    used = await WebAuthnChallenge.delete().where(*conditions).returning(WebAuthnChallenge.id)
    if not used:
        raise PasskeyRefused("unknown, used or expired challenge")
    return challenge


def _parse(credential_json: str, parser):
    if len(credential_json) > MAX_RESPONSE_BYTES:
        raise PasskeyRefused("response too large")
    try:
        return parser(credential_json)
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise PasskeyRefused(f"malformed response: {error}") from None


async def _descriptors(account_id: int) -> list[PublicKeyCredentialDescriptor]:
    rows = await Passkey.select(Passkey.credential_id, Passkey.transports).where(Passkey.account == account_id)
    return [
        PublicKeyCredentialDescriptor(
            id=webauthn.base64url_to_bytes(row["credential_id"]),
            transports=[AuthenticatorTransport(t) for t in row["transports"].split(",") if t in _TRANSPORTS],
        )
        for row in rows
    ]


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


async def registration_options(rp: RelyingParty, account: AccountView, purpose: Purpose) -> str:
    """Options for navigator.credentials.create(), as JSON: a discoverable credential, verified user."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=account.user_handle.encode(),
        user_name=account.name,
        user_display_name=account.name,
        timeout=int(CEREMONY_TIMEOUT.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=await _descriptors(account.id),
    )
    await _issue_challenge(options.challenge, purpose, account.id)
    return webauthn.options_to_json(options)


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int
    transports: str
    backed_up: bool


async def verify_registration(rp: RelyingParty, account: AccountView, credential_json: str, purpose: Purpose) -> NewPasskey:
    """Check a new credential against its challenge (used up either way). Raises PasskeyRefused."""
    credential = _parse(credential_json, parse_registration_credential_json)
    challenge = await _consume_challenge(credential.response.client_data_json, purpose, account.id)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused(f"registration not verified: {error}") from None
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=",".join(t.value for t in (credential.response.transports or []))[:200],
        backed_up=verified.credential_backed_up,
    )


async def _store(account_id: int, passkey: NewPasskey, name: str) -> int:
    if await Passkey.exists().where(Passkey.credential_id == passkey.credential_id):
        raise PasskeyRefused("credential already registered")
    rows = await Passkey.insert(
        Passkey(
            account=account_id,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            name=clean_text(name)[:PASSKEY_NAME_MAX],
            transports=passkey.transports,
            backed_up=passkey.backed_up,
            created_at=clock.now(),
        )
    ).returning(Passkey.id)
    return rows[0]["id"]


async def enrol(
    rp: RelyingParty, invitation: OpenInvitation, credential_json: str, *, passkey_name: str = "", client_address: str = ""
) -> AccountView:
    """The invited person's passkey: kept, and the invitation used up, together or not at all."""
    account = invitation.account
    passkey = await verify_registration(rp, account, credential_json, Purpose.enrol)
    async with write_transaction():
        if not await use_invitation(invitation.id):
            raise PasskeyRefused("invitation used or revoked meanwhile", INVITATION_GONE)
        await _store(account.id, passkey, passkey_name)
        await audit.record(AuditAction.enrolled, actor=account.who, subject=account.who, client_address=client_address)
    return account


async def add(rp: RelyingParty, account: AccountView, credential_json: str, *, passkey_name: str = "", client_address: str = "") -> None:
    """Another device's passkey for a signed-in person (who has just confirmed it is them)."""
    passkey = await verify_registration(rp, account, credential_json, Purpose.add)
    async with write_transaction():
        passkey_id = await _store(account.id, passkey, passkey_name)
        await audit.record(
            AuditAction.passkey_added, actor=account.who, subject=account.who, detail=f"passkey {passkey_id}", client_address=client_address
        )


async def authentication_options(rp: RelyingParty, purpose: Purpose, account: AccountView | None = None) -> str:
    """Options for navigator.credentials.get(), as JSON.

    For signing in, no credentials are listed: the authenticator offers its discoverable ones,
    so nobody types a user name and the server reveals nothing about who has an account.
    """
    options = webauthn.generate_authentication_options(
        rp_id=rp.id,
        timeout=int(CEREMONY_TIMEOUT.total_seconds() * 1000),
        allow_credentials=await _descriptors(account.id) if account else [],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    await _issue_challenge(options.challenge, purpose, account.id if account else None)
    return webauthn.options_to_json(options)


async def finish_authentication(
    rp: RelyingParty, credential_json: str, purpose: Purpose, account: AccountView | None = None
) -> AccountView:
    """Verify an assertion; returns the account it proves. Raises PasskeyRefused.

    With ``account`` (a fresh check), the passkey must be one of that account's.
    """
    credential = _parse(credential_json, parse_authentication_credential_json)
    challenge = await _consume_challenge(credential.response.client_data_json, purpose, account.id if account else None)
    passkey = await Passkey.select(
        Passkey.id, Passkey.account.as_alias("account_id"), Passkey.public_key, Passkey.sign_count
    ).where(Passkey.credential_id == bytes_to_base64url(credential.raw_id)).first()
    if passkey is None:
        raise PasskeyRefused("unknown credential")
    owner = await get_account(passkey["account_id"])
    if owner is None or not owner.active:
        raise PasskeyRefused("account disabled")
    if account is not None and owner.id != account.id:
        raise PasskeyRefused("passkey of another account")
    user_handle = credential.response.user_handle
    if (user_handle is None and account is None) or (user_handle is not None and user_handle != owner.user_handle.encode()):
        raise PasskeyRefused("user handle does not match the account")
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=webauthn.base64url_to_bytes(passkey["public_key"]),
            credential_current_sign_count=passkey["sign_count"],
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRefused(f"assertion not verified: {error}") from None
    # Compare-and-set: two assertions racing with the same count cannot both pass.
    updated = (
        await Passkey.update(
            {Passkey.sign_count: verified.new_sign_count, Passkey.last_used_at: clock.now(), Passkey.backed_up: verified.credential_backed_up}
        )
        .where(Passkey.id == passkey["id"], Passkey.sign_count == passkey["sign_count"])
        .returning(Passkey.id)
    )
    if not updated:
        raise PasskeyRefused("sign count changed concurrently")
    return owner


async def passkeys_of(account_id: int) -> list[PasskeyView]:
    rows = (
        await Passkey.select(Passkey.id, Passkey.name, Passkey.created_at, Passkey.last_used_at, Passkey.backed_up)
        .where(Passkey.account == account_id)
        .order_by(Passkey.created_at)
        .order_by(Passkey.id)
    )
    return [PasskeyView(**row) for row in rows]


async def rename(account: AccountView, passkey_id: int, name: str, *, client_address: str = "") -> None:
    name = clean_text(name)
    if not name:
        raise AccountError({"name": N_("Enter a name for this passkey.")})
    if len(name) > PASSKEY_NAME_MAX:
        raise AccountError({"name": N_("The name is too long.")})
    updated = (
        await Passkey.update({Passkey.name: name})
        .where(Passkey.id == passkey_id, Passkey.account == account.id)
        .returning(Passkey.id)
    )
    if not updated:
        raise AccountError({"": N_("There is no such passkey.")}, NotFound)
    await audit.record(AuditAction.passkey_renamed, actor=account.who, subject=account.who, detail=name, client_address=client_address)


async def remove(account: AccountView, passkey_id: int, *, client_address: str = "") -> None:
    """Remove one of the account's passkeys, never the last: that would lock the person out.

    Every session of the account ends (the device that held the passkey may be signed in);
    the caller starts a new one for the person who asked.
    """
    async with write_transaction():
        await lock_row(Account, account.id)  # two removals at once must not both see "two left"
        ids = [row["id"] for row in await Passkey.select(Passkey.id).where(Passkey.account == account.id)]
        if passkey_id not in ids:
            raise AccountError({"": N_("There is no such passkey.")}, NotFound)
        if len(ids) == 1:
            raise AccountError({"": N_("This is your only passkey. Add another one before removing it.")}, WrongState)
        await Passkey.delete().where(Passkey.id == passkey_id)
        await Account.update({Account.session_epoch: Account.session_epoch + 1}).where(Account.id == account.id)
        await audit.record(AuditAction.passkey_removed, actor=account.who, subject=account.who, detail=f"passkey {passkey_id}", client_address=client_address)
