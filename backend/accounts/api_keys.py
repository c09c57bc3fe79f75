"""API keys for machines (the 12345 hotline, city apps, other platforms): admins make, name,
scope and revoke them; a key is shown once and only its hash is kept.

A key is ``msk_`` and 43 random URL-safe characters (256 bits): recognisable in a leaked log or
a scanner's rules, and too long to guess, so an unsalted SHA-256 is all the storage needs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.accounts.tables import ApiKey
from backend.departments.tables import Department
from backend.errors import FieldErrors, NotFound, WrongState
from backend.i18n_markers import N_
from backend.text import clean_text, row_id
from backend.vocabulary import FILE, MODERATOR, READ, STAFF

PREFIX = "msk_"
KEY_PATTERN = re.compile(r"^msk_[A-Za-z0-9_-]{43}$")
NAME_MAX = 100
# Recording every use would write on every request: once a minute is enough to see a key is alive.
TOUCH_INTERVAL = timedelta(minutes=1)

class ApiKeyError(FieldErrors):
    """A key that can't be made or revoked as asked."""


@dataclass(frozen=True)
class KeyHolder:
    """Who a request is, when it came with a valid key."""

    id: int
    name: str
    scope: str  # read, file, moderator or staff
    department_id: int | None  # staff keys: the department they act for
    department_name: str

    def may(self, needed: str) -> bool:
        """Filing includes reading; staff keys read too, and act as their scope says."""
        return needed == READ or self.scope == needed


@dataclass(frozen=True)
class ApiKeyItem:
    id: int
    name: str
    scope: str
    created_by_name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    id: int
    name: str
    scope: str
    key: str  # shown once; never stored


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scope(scope: str) -> tuple[str, int | None] | None:
    """``read``, ``file``, ``moderator`` or ``staff:<department id>``; None if it is none of these."""
    kind, _, department = scope.partition(":")
    if kind == STAFF:
        department_id = row_id(department)
        return (STAFF, department_id) if department_id else None
    return (kind, None) if kind in (READ, FILE, MODERATOR) and not department else None


async def create_key(name: str, scope: str, *, actor: Who, client_address: str = "") -> IssuedKey:
    name, scope = clean_text(name), clean_text(scope)
    errors: dict[str, str] = {}
    if not 1 <= len(name) <= NAME_MAX:
        errors["name"] = N_("Name the key after who uses it (at most 100 characters).")
    parsed = parse_scope(scope)
    if parsed is None or (
        parsed[1] is not None and not await Department.exists().where(Department.id == parsed[1])
    ):
        errors["scope"] = N_("Choose what the key may do: read, file, moderator, or staff of a department.")
    if errors:
        raise ApiKeyError(errors)
    key = PREFIX + secrets.token_urlsafe(32)
    rows = await ApiKey.insert(
        ApiKey(
            name=name,
            scope=scope,
            key_hash=key_hash(key),
            created_by=actor.id,
            created_by_name=actor.name,
            created_at=clock.now(),
        )
    ).returning(ApiKey.id)
    await audit.record(
        AuditAction.api_key_created, actor=actor, detail=f"{name} ({scope})", client_address=client_address
    )
    return IssuedKey(rows[0]["id"], name, scope, key)


async def revoke_key(key_id: int, *, actor: Who, client_address: str = "") -> None:
    row = await ApiKey.select(ApiKey.name, ApiKey.scope, ApiKey.revoked_at).where(ApiKey.id == key_id).first()
    if row is None:
        raise ApiKeyError({"": N_("There is no such key.")}, NotFound)
    if row["revoked_at"] is not None:
        raise ApiKeyError({"": N_("This key is revoked already.")}, WrongState)
    await ApiKey.update({ApiKey.revoked_at: clock.now()}).where(ApiKey.id == key_id)
    await audit.record(
        AuditAction.api_key_revoked, actor=actor, detail=f"{row['name']} ({row['scope']})", client_address=client_address
    )


async def all_keys() -> list[ApiKeyItem]:
    """Live keys first, newest first."""
    rows = await ApiKey.select(
        ApiKey.id,
        ApiKey.name,
        ApiKey.scope,
        ApiKey.created_by_name,
        ApiKey.created_at,
        ApiKey.last_used_at,
        ApiKey.revoked_at,
    ).order_by(ApiKey.id, ascending=False)
    items = [ApiKeyItem(**row) for row in rows]
    return sorted(items, key=lambda item: item.revoked_at is not None)


async def holder_of(key: str) -> KeyHolder | None:
    """The holder of a live key, or None (malformed, unknown or revoked)."""
    if not KEY_PATTERN.match(key):
        return None
    row = await ApiKey.select(ApiKey.id, ApiKey.name, ApiKey.scope, ApiKey.last_used_at).where(
        ApiKey.key_hash == key_hash(key), ApiKey.revoked_at.is_null()
    ).first()
    parsed = parse_scope(row["scope"]) if row else None
    if row is None or parsed is None:
        return None
    now = clock.now()
    if row["last_used_at"] is None or now - row["last_used_at"] >= TOUCH_INTERVAL:
        await ApiKey.update({ApiKey.last_used_at: now}).where(ApiKey.id == row["id"])
    kind, department_id = parsed
    department_name = ""
    if department_id is not None:
        department = await Department.select(Department.name).where(Department.id == department_id).first()
        if department is None:
            return None
        department_name = department["name"]
    return KeyHolder(row["id"], row["name"], kind, department_id, department_name)
