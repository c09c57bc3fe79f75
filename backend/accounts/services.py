"""Accounts and invitations: who may sign in, with which role, and for which department.

Plain Python over the tables; knows nothing of HTTP. Every change is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.vocabulary import StaffRole
from backend.accounts.roles import Body, Level
from backend.accounts.tables import Account, Invitation, Passkey
from backend.db import lock_row, write_transaction
from backend.departments.tables import Department
from backend.errors import FieldErrors, Malformed, NotFound, WrongState
from backend.i18n_markers import N_
from backend.text import clean_text, row_id

INVITATION_TTL = timedelta(hours=72)
NAME_MAX = 100
CONSTITUENCY_MAX = 100


class AccountError(FieldErrors):
    """The request can't be carried out."""

    default_kind = Malformed


@dataclass
class InvitationForm:
    """What an admin typed to invite someone; text until valid, so it can be shown again."""

    name: str = ""
    role: str = ""
    department_id: str = ""
    body: str = ""
    level: str = ""
    constituency: str = ""


@dataclass(frozen=True)
class IssuedInvitation:
    account_id: int
    name: str
    token: str  # shown once; only its hash is stored
    expires_at: datetime


@dataclass(frozen=True)
class AccountView:
    id: int
    name: str
    role: str
    department_id: int | None
    department_name: str | None
    department_name_en: str | None
    body: str | None
    level: str | None
    constituency: str
    active: bool
    session_epoch: int
    user_handle: str
    created_at: datetime
    passkey_count: int = 0
    invitation_expires_at: datetime | None = None  # an open invitation, if any

    @property
    def who(self) -> Who:
        return Who(self.id, self.name)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _validate(form: InvitationForm) -> dict:
    """The account's column values, or AccountError with a message per field."""
    errors: dict[str, str] = {}
    name = clean_text(form.name)
    if not name:
        errors["name"] = N_("Enter the person's name.")
    elif len(name) > NAME_MAX:
        errors["name"] = N_("The name is too long.")
    if form.role not in StaffRole.__members__:
        errors["role"] = N_("Choose a role.")
    values: dict = {"name": name, "role": form.role, "department": None, "body": None, "level": None, "constituency": ""}
    if form.role == StaffRole.handler:
        department_id = row_id(form.department_id)
        if department_id is None or not await Department.exists().where(Department.id == department_id):
            errors["department_id"] = N_("Choose the handler's department.")
        values["department"] = department_id
    if form.role == StaffRole.representative:
        if form.body not in Body.__members__:
            errors["body"] = N_("Choose the representative's body.")
        if form.level not in Level.__members__:
            errors["level"] = N_("Choose the representative's level.")
        constituency = clean_text(form.constituency)
        if not constituency:
            errors["constituency"] = N_("Enter the constituency.")
        elif len(constituency) > CONSTITUENCY_MAX:
            errors["constituency"] = N_("The constituency is too long.")
        values.update(body=form.body, level=form.level, constituency=constituency)
    if errors:
        raise AccountError(errors)
    return values


async def _issue_invitation(account_id: int, created_by: int | None, ttl: timedelta) -> tuple[str, datetime]:
    """A new invitation; any open one for the account stops working."""
    now = clock.now()
    await Invitation.update({Invitation.revoked_at: now}).where(
        Invitation.account == account_id, Invitation.used_at.is_null(), Invitation.revoked_at.is_null()
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    await Invitation.insert(
        Invitation(account=account_id, token_hash=token_hash(token), created_by=created_by, created_at=now, expires_at=expires_at)
    )
    return token, expires_at


async def invite(
    form: InvitationForm, *, actor: Who, ttl: timedelta = INVITATION_TTL, client_address: str = ""
) -> IssuedInvitation:
    """Create an account and its one-time invitation. Raises AccountError."""
    values = await _validate(form)
    async with write_transaction():
        rows = await Account.insert(
            Account(
                **values,
                user_handle=secrets.token_urlsafe(32),
                active=True,
                session_epoch=0,
                created_at=clock.now(),
            )
        ).returning(Account.id)
        account_id = rows[0]["id"]
        token, expires_at = await _issue_invitation(account_id, actor.id, ttl)
        await audit.record(
            AuditAction.invited,
            actor=actor,
            subject=Who(account_id, values["name"]),
            detail=f"role={values['role']}",
            client_address=client_address,
        )
    return IssuedInvitation(account_id, values["name"], token, expires_at)


async def _account_row(account_id: int) -> dict | None:
    return await Account.select(Account.id, Account.name, Account.role, Account.active).where(Account.id == account_id).first()


async def reinvite(
    account_id: int, *, actor: Who, revoke_passkeys: bool, ttl: timedelta = INVITATION_TTL, client_address: str = ""
) -> IssuedInvitation:
    """A fresh invitation for someone who lost their devices (or never enrolled).

    ``revoke_passkeys`` removes every passkey the account has and ends its sessions: for a
    device that was lost or stolen rather than merely broken.
    """
    async with write_transaction():
        await lock_row(Account, account_id)  # one open invitation per account, even when two admins click
        row = await _account_row(account_id)
        if row is None:
            raise AccountError({"": N_("There is no such account.")}, NotFound)
        if not row["active"]:
            raise AccountError({"": N_("Enable the account before inviting the person again.")}, WrongState)
        if revoke_passkeys:
            await Passkey.delete().where(Passkey.account == account_id)
            await Account.update({Account.session_epoch: Account.session_epoch + 1}).where(Account.id == account_id)
        token, expires_at = await _issue_invitation(account_id, actor.id, ttl)
        subject = Who(account_id, row["name"])
        if revoke_passkeys:
            await audit.record(AuditAction.passkeys_revoked, actor=actor, subject=subject, client_address=client_address)
        await audit.record(AuditAction.reinvited, actor=actor, subject=subject, client_address=client_address)
    return IssuedInvitation(account_id, row["name"], token, expires_at)


async def set_active(account_id: int, active: bool, *, actor: Who, client_address: str = "") -> None:
    """Disable (ending every session at once, and any open invitation) or enable an account."""
    if actor.id == account_id and not active:
        raise AccountError({"": N_("You cannot disable your own account.")}, WrongState)
    async with write_transaction():
        row = await _account_row(account_id)
        if row is None:
            raise AccountError({"": N_("There is no such account.")}, NotFound)
        if row["active"] == active:
            return
        values: dict = {Account.active: active}
        if not active:
            values[Account.session_epoch] = Account.session_epoch + 1
            await Invitation.update({Invitation.revoked_at: clock.now()}).where(
                Invitation.account == account_id, Invitation.used_at.is_null(), Invitation.revoked_at.is_null()
            )
        await Account.update(values).where(Account.id == account_id)
        await audit.record(
            AuditAction.enabled if active else AuditAction.disabled,
            actor=actor,
            subject=Who(account_id, row["name"]),
            client_address=client_address,
        )


_ACCOUNT_COLUMNS = (
    Account.id,
    Account.name,
    Account.role,
    Account.department.as_alias("department_id"),
    Account.department.name.as_alias("department_name"),
    Account.department.name_en.as_alias("department_name_en"),
    Account.body,
    Account.level,
    Account.constituency,
    Account.active,
    Account.session_epoch,
    Account.user_handle,
    Account.created_at,
)


async def get_account(account_id: int) -> AccountView | None:
    row = await Account.select(*_ACCOUNT_COLUMNS).where(Account.id == account_id).first()
    return AccountView(**row) if row else None


async def all_accounts() -> list[AccountView]:
    """For the admin's list: with passkey counts and open invitations, in two queries more."""
    rows = await Account.select(*_ACCOUNT_COLUMNS).order_by(Account.active, ascending=False).order_by(Account.name)
    counts: dict[int, int] = {}
    for passkey in await Passkey.select(Passkey.account.as_alias("account_id")):
        counts[passkey["account_id"]] = counts.get(passkey["account_id"], 0) + 1
    now = clock.now()
    open_invitations = {
        row["account_id"]: row["expires_at"]
        for row in await Invitation.select(Invitation.account.as_alias("account_id"), Invitation.expires_at).where(
            Invitation.used_at.is_null(), Invitation.revoked_at.is_null(), Invitation.expires_at > now
        )
    }
    return [
        AccountView(**row, passkey_count=counts.get(row["id"], 0), invitation_expires_at=open_invitations.get(row["id"]))
        for row in rows
    ]


@dataclass(frozen=True)
class OpenInvitation:
    id: int
    account: AccountView
    expires_at: datetime


async def open_invitation(token: str) -> OpenInvitation | None:
    """The invitation if it can still be used: unknown, used, revoked, expired all look alike."""
    if not 20 <= len(token) <= 100 or not token.isascii():
        return None
    row = await Invitation.select(Invitation.id, Invitation.account.as_alias("account_id"), Invitation.expires_at).where(
        Invitation.token_hash == token_hash(token),
        Invitation.used_at.is_null(),
        Invitation.revoked_at.is_null(),
        Invitation.expires_at > clock.now(),
    ).first()
    if row is None:
        return None
    account = await get_account(row["account_id"])
    if account is None or not account.active:
        return None
    return OpenInvitation(row["id"], account, row["expires_at"])


async def use_invitation(invitation_id: int) -> bool:
    """Claim the invitation for one enrolment; False if another request claimed it first."""
    now = clock.now()
    claimed = (
        await Invitation.update({Invitation.used_at: now})
        .where(
            Invitation.id == invitation_id,
            Invitation.used_at.is_null(),
            Invitation.revoked_at.is_null(),
            Invitation.expires_at > now,
        )
        .returning(Invitation.id)
    )
    return bool(claimed)
