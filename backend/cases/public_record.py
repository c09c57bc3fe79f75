"""The version of the public record: one counter that every change the public can see raises.

Anonymous public pages are the same for everyone until the record changes, so their ETags and
the response cache (``backend.web.caching``) are keyed by this version. It lives in the
database, raised in the very transaction of the change (a listener before commit of the events
that drive the live timeline), so every worker, on SQLite or PostgreSQL, reads the new version
as soon as the change itself is visible, and never a new version with the old content.
"""

from __future__ import annotations

import secrets

from backend.cases.tables import PublicRecordVersion

_RAISE = (
    "INSERT INTO public_record_version (id, generation, version) VALUES (1, {}, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = public_record_version.version + 1"
)


async def on_public_record_changed(_: set) -> None:
    """Listener (before commit) of every event that changes what the public reads: once per
    transaction however many there were. The row's lock orders concurrent writers on
    PostgreSQL, and SQLite's writers queue anyway."""
    await PublicRecordVersion.raw(_RAISE, secrets.token_hex(8))


async def version() -> str:
    """Where the public record is: ``generation-version`` (empty before its first change)."""
    rows = await PublicRecordVersion.raw("SELECT generation, version FROM public_record_version WHERE id = 1")
    return f"{rows[0]['generation']}-{rows[0]['version']}" if rows else ""
