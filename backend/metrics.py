"""What operators measure (``/metrics``, ``backend.monitoring``), counted by every worker process.

prometheus_client's multiprocess mode: each process writes its values into memory-mapped files
of one directory (``settings.metrics_directory``), and whichever worker answers ``/metrics``
adds up the files of all of them. The live gauges (open streams, the connection pool) of a
worker that died are dropped when a worker starts and at each reading, while the counters of a
dead worker stay counted (a counter never goes back).

The domain is measured by listening to its events (``backend.listeners``): filings and every
timeline entry, photos processed, notifications delivered. The app measures requests, the
scheduler its jobs, the live hub its streams, and ``monitoring`` samples the pool. Nothing is
counted in a process that never called ``start`` (the commands, the tests of services).
``minsheng serve`` removes the files of ended processes before it starts the workers.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values

from backend.events import EntryAppended, NotificationDelivered, PhotoProcessed

# Requests: a cached public page takes about a millisecond, a filing with photos seconds.
REQUEST_SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
PHOTO_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16)
JOB_SECONDS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60)
# The timeline entry a filing begins with (the lifecycle's ``submit`` row).
FILING = "submit"
# Methods outside these are counted together: a label never takes whatever a client sends.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Instruments:
    def __init__(self) -> None:
        self.requests = Histogram(
            "minsheng_http_request_duration_seconds",
            "Requests by route template, method and status, with the time to answer them.",
            ["route", "method", "status"],
            buckets=REQUEST_SECONDS,
            registry=None,
        )
        self.filings = Counter("minsheng_filings", "Cases filed (by citizens, staff recording a call, representatives).", registry=None)
        self.entries = Counter("minsheng_case_entries", "Timeline entries written, by action.", ["action"], registry=None)
        self.photos = Counter("minsheng_photos_processed", "Photos uploaded, by outcome (stored or rejected).", ["outcome"], registry=None)
        self.photo_seconds = Histogram(
            "minsheng_photo_processing_seconds", "Time to check, shrink and store one uploaded photo.", buckets=PHOTO_SECONDS, registry=None
        )
        self.live_streams = Gauge(
            "minsheng_live_streams", "Live timeline streams open, over all workers.", registry=None, multiprocess_mode="livesum"
        )
        self.job_runs = Counter("minsheng_clock_job_runs", "Clock-job runs, by job and outcome (ok or failed).", ["job", "outcome"], registry=None)
        self.job_done = Counter(
            "minsheng_clock_job_items",
            "What the clock jobs did, by job: flags and supervisions set, cases closed or erased, messages sent…",
            ["job"],
            registry=None,
        )
        self.job_seconds = Histogram("minsheng_clock_job_seconds", "Time of one clock-job run.", ["job"], buckets=JOB_SECONDS, registry=None)
        self.deliveries = Counter(
            "minsheng_notification_deliveries",
            "Notifications handed to a channel, by channel and result (sent, retry, dead).",
            ["channel", "result"],
            registry=None,
        )
        self.pool = Gauge(
            "minsheng_database_connections",
            "PostgreSQL connections of the workers' pools, by state (in_use, idle, max).",
            ["state"],
            registry=None,
            multiprocess_mode="livesum",
        )
        # Per (route, method, status): the histogram's child, looked up once (requests are hot).
        self._request_children: dict[tuple[str, str, int], Histogram] = {}

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "other", status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(*key[:2], str(status))
        child.observe(seconds)


_instruments: Instruments | None = None
_directory: Path | None = None


def start(directory: Path) -> Instruments:
    """Counting on, in this process, into ``directory`` (the first one given: the in-process
    tests make several apps in one process, which count together)."""
    global _instruments, _directory
    if _instruments is None:
        directory.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        # prometheus_client chose its kind of values when it was imported, maybe before the
        # directory was known: choose again, so that every value goes to the files.
        values.ValueClass = values.get_value_class()
        _directory = directory
        forget_dead_workers()
        _instruments = Instruments()
    return _instruments


def stop() -> None:
    """This worker is ending: its live gauges leave the sums at once."""
    if _directory is not None:
        multiprocess.mark_process_dead(os.getpid(), str(_directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        pass
    return True


def _pid(path: Path) -> int:
    return int(path.stem.rpartition("_")[2])  # counter_1234.db, gauge_livesum_1234.db


def forget_dead_workers() -> None:
    """Drops the live gauges of worker processes that are gone (killed, or restarted by uvicorn)."""
    if _directory is None:
        return
    for path in _directory.glob("gauge_live*_*.db"):
        if not _alive(_pid(path)):
            multiprocess.mark_process_dead(_pid(path), str(_directory))


def forget_ended_processes(directory: Path) -> None:
    """Before the workers start (``minsheng serve``): what every ended process counted goes;
    the files of processes still running (another server on the same data directory) stay."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*_*.db"):
        if not _alive(_pid(path)):
            path.unlink(missing_ok=True)


def exposition() -> bytes:
    """Every worker's metrics, added up, in Prometheus's text format (reads files: in a thread)."""
    assert _directory is not None, "metrics.start was called"
    forget_dead_workers()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(_directory))
    return generate_latest(registry)


def instruments() -> Instruments | None:
    return _instruments


# -- the listeners of the domain's events (after commit: only what happened is counted) -------


def on_entry_appended(appended: EntryAppended) -> None:
    if _instruments is not None:
        _instruments.entries.labels(appended.action).inc()
        if appended.action == FILING:
            _instruments.filings.inc()


def on_photo_processed(processed: PhotoProcessed) -> None:
    if _instruments is not None:
        _instruments.photos.labels("stored" if processed.stored else "rejected").inc()
        _instruments.photo_seconds.observe(processed.seconds)


def on_notification_delivered(delivered: NotificationDelivered) -> None:
    if _instruments is not None:
        _instruments.deliveries.labels(delivered.channel, delivered.result).inc()


# -- what the app's own machinery reports ------------------------------------------------------


def clock_job_ran(job: str, seconds: float, done: int | None) -> None:
    """``done``: what the job returned; None: it failed."""
    if _instruments is not None:
        _instruments.job_runs.labels(job, "failed" if done is None else "ok").inc()
        _instruments.job_seconds.labels(job).observe(seconds)
        if done:
            _instruments.job_done.labels(job).inc(done)


def live_streams(count: int) -> None:
    if _instruments is not None:
        _instruments.live_streams.set(count)


def pool_use(in_use: int, idle: int, largest: int) -> None:
    if _instruments is not None:
        for state, value in (("in_use", in_use), ("idle", idle), ("max", largest)):
            _instruments.pool.labels(state).set(value)
