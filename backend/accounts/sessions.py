"""Server-side sessions and the sign-in throttle, kept in a key-value store.

The store is a directory of files for the embedded default (shared by every worker process),
or Redis when ``MINSHENG_REDIS_URL`` is set. The browser holds only a random token; the store
key is its hash, so neither the files nor Redis hold a usable token.

A session ends when it is idle too long, when it reaches its absolute age, on sign-out, or
when its account's ``session_epoch`` moves on (disabling, revoking passkeys): that check runs on
every request, so it takes effect at once in every process.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore

from backend import clock
from backend.accounts.services import AccountView, get_account
from backend.settings import Settings

COOKIE_NAME = "minsheng_session"
FRESH_CHECK_VALID = timedelta(minutes=5)
# Record activity at most this often: the idle timeout does not need per-request precision.
TOUCH_INTERVAL = timedelta(seconds=60)
SIGN_IN_FAILURE_LIMIT = 10
SIGN_IN_FAILURE_WINDOW = timedelta(minutes=15)
SIGN_IN_ATTEMPT_LIMIT = 60
SIGN_IN_ATTEMPT_WINDOW = timedelta(minutes=5)


class SessionFileStore(FileStore):
    """Litestar's file store, which writes each value to a temporary file and renames it into
    place: a worker killed in between leaves that temporary file half-written. Such a file is
    no value (``get`` sees none), and ``delete_expired`` removes it: the store's own reader
    raised on it, and the next start-up failed."""

    @staticmethod
    async def _load_from_path(path) -> StorageObject | None:
        try:
            return StorageObject.from_bytes(await path.read_bytes())
        except FileNotFoundError:
            return None
        except msgspec.DecodeError:
            await path.unlink(missing_ok=True)
            return None


def make_store(settings: Settings) -> Store:
    if settings.redis_url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=settings.redis_url, namespace=settings.redis_namespace)
    directory = settings.data_dir / "sessions"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return SessionFileStore(directory)


def _key(token: str) -> str:
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def _stamp(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, and when they last proved it with a passkey."""

    token: str
    account: AccountView
    created_at: float
    verified_at: float
    seen_at: float

    @property
    def fresh(self) -> bool:
        return clock.now().timestamp() - self.verified_at < FRESH_CHECK_VALID.total_seconds()


class Sessions:
    def __init__(self, store: Store, idle: timedelta, absolute: timedelta):
        self.store = store
        self.idle = idle
        self.absolute = absolute

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> Sessions:
        return cls(
            store or make_store(settings),
            timedelta(minutes=settings.session_idle_minutes),
            timedelta(hours=settings.session_max_hours),
        )

    async def begin(self, account: AccountView, replacing: str | None = None) -> str:
        """A new session (always a new token: no fixation); returns the token for the cookie."""
        if replacing:
            await self.end(replacing)
        token = secrets.token_urlsafe(32)
        now = _stamp(clock.now())
        await self._save(token, {"account_id": account.id, "epoch": account.session_epoch, "created_at": now, "verified_at": now, "seen_at": now})
        return token

    async def _save(self, token: str, record: dict) -> None:
        await self.store.set(_key(token), json.dumps(record), expires_in=int(self.idle.total_seconds()) + 60)

    async def resolve(self, token: str, touch: bool = True) -> SignedIn | None:
        """The session behind a cookie, if it is still valid; ends it otherwise. ``touch=False``
        for requests a page makes by itself (live streams reconnecting): they are not activity,
        so a page left open still reaches the idle timeout."""
        if not 20 <= len(token) <= 100 or not token.isascii():
            return None
        raw = await self.store.get(_key(token))
        if raw is None:
            return None
        record = json.loads(raw)
        now = _stamp(clock.now())
        if now - record["seen_at"] > self.idle.total_seconds() or now - record["created_at"] > self.absolute.total_seconds():
            await self.end(token)
            return None
        account = await get_account(record["account_id"])
        if account is None or not account.active or account.session_epoch != record["epoch"]:
            await self.end(token)
            return None
        if touch and now - record["seen_at"] > TOUCH_INTERVAL.total_seconds():
            record["seen_at"] = now
            await self._save(token, record)
        return SignedIn(token, account, record["created_at"], record["verified_at"], record["seen_at"])

    async def mark_verified(self, token: str) -> None:
        """The person just passed a fresh passkey check."""
        raw = await self.store.get(_key(token))
        if raw is not None:
            record = json.loads(raw)
            record["verified_at"] = record["seen_at"] = _stamp(clock.now())
            await self._save(token, record)

    async def end(self, token: str) -> None:
        await self.store.delete(_key(token))

    def cookie_max_age(self) -> int:
        return int(self.absolute.total_seconds())


class Throttle:
    """Counts events (failed sign-ins, say) per client address in a sliding window."""

    def __init__(self, store: Store, name: str, limit: int, window: timedelta):
        self.store = store
        self.name = name
        self.limit = limit
        self.window = window

    def _key(self, client: str) -> str:
        return f"throttle:{self.name}:" + hashlib.sha256(client.encode()).hexdigest()

    async def _events(self, client: str) -> list[float]:
        raw = await self.store.get(self._key(client))
        cutoff = _stamp(clock.now()) - self.window.total_seconds()
        return [t for t in json.loads(raw) if t > cutoff] if raw else []

    async def blocked_for(self, client: str) -> timedelta | None:
        """How long this client must wait, or None if it may go on now."""
        events = await self._events(client)
        if len(events) < self.limit:
            return None
        oldest_counted = sorted(events)[-self.limit]
        return timedelta(seconds=oldest_counted + self.window.total_seconds() - _stamp(clock.now()))

    async def record(self, client: str) -> None:
        events = (await self._events(client))[-(self.limit * 2) :]
        events.append(_stamp(clock.now()))
        await self.store.set(self._key(client), json.dumps(events), expires_in=int(self.window.total_seconds()) + 1)


def sign_in_failures(store: Store) -> Throttle:
    return Throttle(store, "sign-in-failures", SIGN_IN_FAILURE_LIMIT, SIGN_IN_FAILURE_WINDOW)


def sign_in_attempts(store: Store) -> Throttle:
    """Every sign-in ceremony stores a challenge: bound how fast anyone can ask for them."""
    return Throttle(store, "sign-in-attempts", SIGN_IN_ATTEMPT_LIMIT, SIGN_IN_ATTEMPT_WINDOW)
