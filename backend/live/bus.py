"""The bus between worker processes: Litestar's channels plugin on the broker the deployment
has. It carries only which case changed and the timeline entry that changed it; what a viewer
may see is read from the database by each stream.

- Redis pub/sub when ``MINSHENG_REDIS_URL`` is set;
- PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL;
- in memory otherwise (SQLite): one process hears only itself, so the hub also polls the
  timeline table (``POLL_SECONDS``), which carries entries across the workers of one SQLite
  file and from other processes (the ``minsheng`` command) within a second.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from backend.events import EntryAppended
from backend.settings import Settings

CHANNEL = "minsheng_timeline"  # a valid PostgreSQL identifier, as LISTEN needs


@dataclass(frozen=True)
class Change:
    """A timeline entry committed on a case."""

    case_id: int
    entry_id: int

    def encode(self) -> bytes:
        return json.dumps({"case": self.case_id, "entry": self.entry_id}).encode()

    @staticmethod
    def decode(data: bytes) -> Change | None:
        try:
            message = json.loads(data)
            return Change(int(message["case"]), int(message["entry"]))
        except (ValueError, TypeError, KeyError):
            return None


def channels_backend(settings: Settings) -> ChannelsBackend:
    if settings.redis_url:
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url), key_prefix=settings.redis_namespace)
    if settings.is_postgres:
        return AsyncPgChannelsBackend(dsn=settings.database_url)
    return MemoryChannelsBackend()


def poll_seconds(settings: Settings) -> float:
    """How often the hub reads the timeline for entries the bus did not bring: every second in
    memory (the only way across processes); rarely with a broker, for what one dropped."""
    return 15.0 if settings.redis_url or settings.is_postgres else 1.0


# The buses of the apps running in this process (one, except in tests): where ``announce_entry``
# publishes, each on its own event loop.
_buses: dict[ChannelsPlugin, asyncio.AbstractEventLoop] = {}


def attach(plugin: ChannelsPlugin) -> None:
    _buses[plugin] = asyncio.get_running_loop()


def detach(plugin: ChannelsPlugin) -> None:
    _buses.pop(plugin, None)


def announce_entry(appended: EntryAppended) -> None:
    """Listener (after commit): tell every worker's streams of the entry. Without a running app
    (the ``minsheng`` command, tests of the services) it publishes nothing: the hubs' polling
    and every stream's catch-up from the database still find the entry."""
    data = Change(appended.case_id, appended.entry_id).encode()
    for plugin, loop in list(_buses.items()):
        # Thread-safe: in tests an app runs on another event loop than its callers.
        loop.call_soon_threadsafe(_publish, plugin, data)


def _publish(plugin: ChannelsPlugin, data: bytes) -> None:
    try:
        plugin.publish(data, CHANNEL)
    except RuntimeError:
        pass  # the app has stopped meanwhile


@asynccontextmanager
async def publishing(settings: Settings) -> AsyncIterator[None]:
    """Announce the entries this process commits, without serving anything: for a process that
    acts on cases beside the servers (the live benchmark, the tests)."""
    plugin = ChannelsPlugin(backend=channels_backend(settings), channels=[CHANNEL])
    async with plugin:
        attach(plugin)
        try:
            yield
        finally:
            detach(plugin)
            await asyncio.sleep(0)  # lets the announcements already scheduled reach the plugin
