"""The in-app scheduler: a background task in each worker process that runs the registered jobs
(``backend.jobs``) every ``settings.scheduler_seconds``, so the embedded default needs no cron.

Every worker runs it, so each job must be idempotent and safe to run in several processes at
once (``cases.supervision`` says how the clock jobs are). A failing job is logged and the others
still run; the next tick tries again. On shutdown the loop stops at once between ticks, and a
job still running gets a short grace before it is cancelled (its transaction rolls back, and
the next start does the work).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from backend import clock

Job = Callable[[datetime], Awaitable[int]]  # given now; returns how much it did
# Told of each run: the job's name, its time in seconds, and what it did (None: it failed).
Observer = Callable[[str, float, "int | None"], None]
STOP_GRACE_SECONDS = 2.0
logger = logging.getLogger(__name__)


async def run_jobs(jobs: Sequence[Job], now: datetime, observe: Observer | None = None) -> dict[str, int]:
    """One tick: each job in order, at the same ``now``."""
    done = {}
    for job in jobs:
        started = time.perf_counter()
        try:
            done[job.__name__] = await job(now)
        except Exception:
            logger.exception("scheduled job %s failed", job.__name__)
        if observe is not None:
            observe(job.__name__, time.perf_counter() - started, done.get(job.__name__))
    return done


class Scheduler:
    def __init__(self, jobs: Sequence[Job], interval_seconds: float, observe: Observer | None = None):
        self.jobs = jobs
        self.interval_seconds = interval_seconds
        self.observe = observe
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="minsheng-scheduler")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)  # cancels it when the grace is up
        except TimeoutError:
            logger.warning("scheduled jobs cancelled at shutdown")
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await run_jobs(self.jobs, clock.now(), self.observe)
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval_seconds)
            except TimeoutError:
                pass
