"""What operators ask the app: ``/metrics`` (Prometheus's text format, for the addresses or the
token the settings allow, else nobody) and ``/readyz`` (can this worker serve: the database, the
media store and the broker each answer). ``/healthz`` (``web.pages``) stays the cheap check that
the process is up."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import secrets
from pathlib import Path

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Response
from piccolo.engine.postgres import PostgresEngine

from backend import db, metrics
from backend.photos.storage import media_store
from backend.settings import Settings, get_settings

logger = logging.getLogger(__name__)
CHECK_SECONDS = 3.0  # a part that has not answered by then is not ready
POOL_SAMPLE_SECONDS = 5.0
# Prometheus's text format (Litestar adds the charset, UTF-8); the names are all of the classic kind.
TEXT_FORMAT = "text/plain; version=0.0.4"


def may_read_metrics(request: Request, settings: Settings) -> bool:
    """From an allowed network, or with the token (``Authorization: Bearer <token>``)."""
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), settings.metrics_token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_networks)


def sample_pool() -> None:
    """This worker's PostgreSQL pool, as the gauges show it (SQLite has no pool to speak of)."""
    engine = db.engine()
    pool = getattr(engine, "pool", None) if isinstance(engine, PostgresEngine) else None
    if pool:
        size, idle = pool.get_size(), pool.get_idle_size()
        metrics.pool_use(size - idle, idle, pool.get_max_size())


class PoolSampler:
    """Each worker refreshes its pool gauges every few seconds (whichever worker answers
    ``/metrics`` can read only its own pool)."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="minsheng-pool-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            sample_pool()
            await asyncio.sleep(POOL_SAMPLE_SECONDS)


# What the readiness check stores in an object store: always the same object (content addressed),
# so that checking adds nothing to the bucket.
STORE_PROBE = b"minsheng readiness probe"


def _probe_media(settings: Settings) -> None:
    """Writes a small file into the media directory, reads it back and removes it; on an object
    store, stores the probe object and reads it back."""
    if settings.media_store != "local":
        store = media_store()
        if store.read(store.put(STORE_PROBE, suffix=".probe"), suffix=".probe") != STORE_PROBE:
            raise OSError("the probe object read back differs")
        return
    media_dir = settings.media_dir
    content = secrets.token_bytes(16)
    probe = media_dir / f".ready-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(content)
        if probe.read_bytes() != content:
            raise OSError("the probe read back differs")
    finally:
        probe.unlink(missing_ok=True)


async def _broker(settings: Settings) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=CHECK_SECONDS)
    try:
        await redis.ping()
    finally:
        await redis.aclose()


async def readiness(settings: Settings) -> dict[str, str]:
    """Each part's state: "ok", "unreachable" or "failing" (and "none": no broker configured,
    the workers share live news through the database)."""

    async def check(name: str, probe) -> tuple[str, str]:
        try:
            await asyncio.wait_for(probe, CHECK_SECONDS)
        except Exception as error:  # whatever it is, this part is not ready; the log says why
            logger.warning("readiness: %s failed: %s", name, type(error).__name__)
            return name, "failing"
        return name, "ok"

    checks = [
        check("database", db.ping()),
        check("media", anyio.to_thread.run_sync(_probe_media, settings)),
    ]
    if settings.redis_url:
        checks.append(check("broker", _broker(settings)))
    parts = dict(await asyncio.gather(*checks))
    parts.setdefault("broker", "none")
    return parts


class MonitoringController(Controller):
    include_in_schema = False

    @get("/metrics", cache=False)
    async def metrics(self, request: Request) -> Response:
        settings = get_settings()
        if not settings.metrics_networks and not settings.metrics_token:
            raise NotFoundException()  # not offered at all
        if not may_read_metrics(request, settings):
            raise PermissionDeniedException()
        sample_pool()
        body = await anyio.to_thread.run_sync(metrics.exposition)
        return Response(body, media_type=TEXT_FORMAT, headers={"cache-control": "no-store"})

    @get("/readyz", cache=False)
    async def readyz(self) -> Response:
        parts = await readiness(get_settings())
        ready = all(state in ("ok", "none") for state in parts.values())
        return Response({"status": "ready" if ready else "unavailable", **parts}, status_code=200 if ready else 503)
