"""One worker process's side of live progress: its open streams, and what wakes them.

Streams of one case and one audience (the public, or the filer) share a ``CaseFeed``: each
change is read from the database and rendered once per language, whatever the number of
streams, and the same bytes go to all of them. Staff streams re-read their own queue.

Event ids are the ids of the entries that revealed something (``TimelineItem.revealed_by``),
which grow in commit order within a case. A stream remembers the last id it sent and skips
anything not above it, so a reconnect with ``Last-Event-ID`` (or the page's own cursor) gets
what it missed from the database, in order, exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import threading
from collections import deque
from typing import AsyncIterator, Awaitable, Callable

from jinja2 import Environment
from litestar.channels import ChannelsPlugin

from backend import metrics
from backend.cases import services
from backend.cases.lifecycle import ANSWER_ACTIONS
from backend.cases.services import CaseView, TimelineItem
from backend.live import bus
from backend.vocabulary import Status
from backend.web import i18n

log = logging.getLogger(__name__)

RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after the stream ends
BACKLOG = 200  # events waiting for a slow reader; beyond, its stream ends and it catches up on reconnecting
STAFF_COALESCE_SECONDS = 0.3  # a burst of changes (a clock job's run) re-renders a queue once
HEARTBEAT = b": keep-alive\n\n"  # a comment line: proxies see traffic, browsers ignore it
RETRY = f"retry: {RETRY_MILLISECONDS}\n\n".encode()
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sse_event(data: str, event: str, event_id: int | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


class Listener:
    """One open stream's mailbox."""

    __slots__ = ("language", "ends_at", "pending", "ready", "closed", "changed", "quiet", "heartbeat_due")

    def __init__(self, language: str, ends_at: float):
        self.language = language
        self.ends_at = ends_at  # on the event loop's clock
        self.pending: deque[tuple[int, bytes]] = deque()
        self.ready = asyncio.Event()
        self.closed = False
        self.changed = True  # staff streams: something changed since the queue was rendered
        self.quiet = True  # sent nothing since the last tick of the hub's clock
        self.heartbeat_due = False

    def deliver(self, event_id: int, data: bytes) -> None:
        if len(self.pending) >= BACKLOG:
            self.closed = True  # a reader this far behind reconnects and catches up from the database
        else:
            self.pending.append((event_id, data))
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()


class CaseFeed:
    """The streams of one case for one audience in this process."""

    def __init__(self, hub: LiveHub, case_id: int, for_filer: bool):
        self.hub = hub
        self.case_id = case_id
        self.for_filer = for_filer
        self.listeners: set[Listener] = set()
        self.cursor = 0
        self.changed = asyncio.Event()
        self.started = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            view = await services.live_case(self.case_id, self.for_filer)
        except Exception:  # the database is away: the streams end, and their browsers come back
            log.exception("live feed of case %s", self.case_id)
            self.hub.feeds.pop((self.case_id, self.for_filer), None)
            for listener in self.listeners:
                listener.close()
            self.started.set()
            return
        self.cursor = view.live_cursor if view else 0
        self.started.set()
        while True:
            await self.changed.wait()
            self.changed.clear()
            if not self.listeners:
                return
            try:
                await self._send_news()
            except Exception:  # the database is away: try again on the next change or poll
                log.exception("live feed of case %s", self.case_id)

    async def _send_news(self) -> None:
        view = await services.live_case(self.case_id, self.for_filer)
        fresh = view.revealed_after(self.cursor) if view else []
        if not fresh:
            return
        by_language: dict[str, list[bytes]] = {}
        for listener in list(self.listeners):
            if listener.language not in by_language:
                by_language[listener.language] = [self.hub.entry_event(view, item, listener.language, self.for_filer) for item in fresh]
            for item, data in zip(fresh, by_language[listener.language]):
                listener.deliver(item.revealed_by, data)
        self.cursor = fresh[-1].revealed_by


class LiveHub:
    def __init__(
        self,
        plugin: ChannelsPlugin,
        environment: Environment,
        *,
        poll_seconds: float,
        heartbeat_seconds: float,
        stream_seconds: float,
    ):
        self.plugin = plugin
        self.environment = environment
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.stream_seconds = stream_seconds
        self.feeds: dict[tuple[int, bool], CaseFeed] = {}
        self.listeners: set[Listener] = set()  # every open stream
        self.staff: set[Listener] = set()
        self.stopping = False
        self.seen = 0  # the latest entry the polling has looked at
        self._tasks: list[asyncio.Task] = []
        self._clock: asyncio.Task | None = None

    @property
    def stream_count(self) -> int:
        return len(self.listeners)

    # -- the process's life ------------------------------------------------------------------

    async def start(self) -> None:
        subscriber = await self.plugin.subscribe(bus.CHANNEL)
        self.seen = await services.latest_entry_id()
        self._tasks = [asyncio.create_task(self._receive(subscriber)), asyncio.create_task(self._poll())]
        bus.attach(self.plugin)
        self._end_streams_on_stop_signal()

    async def stop(self) -> None:
        bus.detach(self.plugin)
        self.end_streams()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._clock is not None:  # on the streams' event loop (in tests another than this)
            self._clock.get_loop().call_soon_threadsafe(self._clock.cancel)

    def end_streams(self) -> None:
        self.stopping = True
        for listener in list(self.listeners):
            listener.close()

    def _end_streams_on_stop_signal(self) -> None:
        """uvicorn lets open responses finish before it runs the app's shutdown, and cuts them
        only after its graceful timeout: so the streams end as soon as the stop signal comes,
        and the server stops at once. (uvicorn's own handler runs too, and is put back after.)"""
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach only the main thread (not an in-process test client's)
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def on_signal(signum, frame, previous=previous) -> None:
                loop.call_soon_threadsafe(self.end_streams)
                previous(signum, frame)

            signal.signal(number, on_signal)

    # -- what wakes the streams --------------------------------------------------------------

    async def _receive(self, subscriber) -> None:
        async for data in subscriber.iter_events():
            if change := bus.Change.decode(data):
                self.dispatch(change)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            if not (self.feeds or self.staff):
                continue
            try:
                changes = await services.cases_changed_since(self.seen)
            except Exception:
                log.exception("live polling")
                continue
            for case_id, entry_id in changes:
                self.dispatch(bus.Change(case_id, entry_id))

    def dispatch(self, change: bus.Change) -> None:
        self.seen = max(self.seen, change.entry_id)
        for for_filer in (False, True):
            if feed := self.feeds.get((change.case_id, for_filer)):
                feed.changed.set()
        for listener in self.staff:
            listener.changed = True
            listener.ready.set()

    # -- streams -----------------------------------------------------------------------------

    def _open(self, language: str) -> Listener:
        loop = asyncio.get_running_loop()
        listener = Listener(language, loop.time() + self.stream_seconds)
        self.listeners.add(listener)
        metrics.live_streams(self.stream_count)
        if self._clock is None:
            self._clock = loop.create_task(self._tick())  # where the streams run
        return listener

    def _close(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        self.staff.discard(listener)
        metrics.live_streams(self.stream_count)

    async def _tick(self) -> None:
        """One clock for all streams of the process: a heartbeat to each that sent nothing
        since the last tick, the end to each that has lived its time. (A timer per stream would
        be set again for each stream at each event, and would fall due for all at once.)"""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.heartbeat_seconds, self.stream_seconds))
            now = loop.time()
            for listener in list(self.listeners):
                if now >= listener.ends_at:
                    listener.close()
                elif listener.quiet:
                    listener.heartbeat_due = True
                    listener.ready.set()
                listener.quiet = True

    async def _woken(self, listener: Listener) -> bool:
        """Waits for news or a heartbeat; False when the stream should end: it has lived its
        time, fell too far behind, or the server stops."""
        await listener.ready.wait()
        listener.ready.clear()
        return not (listener.closed or self.stopping)

    def entry_event(self, case: CaseView, entry: TimelineItem, language: str, for_filer: bool = False) -> bytes:
        i18n.activate(language)
        # The answer just published, on its filer's page: the page shows the rating form first.
        answer_published = for_filer and entry.action in ANSWER_ACTIONS and case.status == Status.replied.value
        html = self.environment.get_template("partials/live_entry.html").render(case=case, entry=entry, answer_published=answer_published)
        return sse_event(html, "entry", entry.revealed_by)

    async def case_events(self, case_id: int, for_filer: bool, language: str, after: int | None) -> AsyncIterator[bytes]:
        """A case's timeline for the public or its filer: what was revealed after ``after``
        (the page's cursor or ``Last-Event-ID``), then each new entry as it is revealed."""
        key = (case_id, for_filer)
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = CaseFeed(self, case_id, for_filer)
        listener = self._open(language)
        feed.listeners.add(listener)
        try:
            await feed.started.wait()
            if listener.closed:
                return
            sent = feed.cursor
            # From here on nothing is missed: a client that has this line may act and expect news.
            yield RETRY
            if after is not None and after < sent:
                view = await services.live_case(case_id, for_filer)
                for item in view.revealed_after(after) if view else []:
                    yield self.entry_event(view, item, language, for_filer)
                sent = max(after, view.live_cursor if view else 0)
            elif after is not None:
                sent = after  # seen on another worker, whose feed was ahead of this one's
            while await self._woken(listener):
                if listener.heartbeat_due:
                    listener.heartbeat_due = False
                    yield HEARTBEAT
                while listener.pending:
                    event_id, data = listener.pending.popleft()
                    if event_id > sent:
                        sent = event_id
                        listener.quiet = False
                        yield data
        finally:
            self._close(listener)
            feed.listeners.discard(listener)
            if not feed.listeners and self.feeds.get(key) is feed:
                del self.feeds[key]
                feed.changed.set()  # its task sees nobody listens, and ends

    async def staff_events(self, language: str, render: Callable[[], Awaitable[list[bytes]]]) -> AsyncIterator[bytes]:
        """A staff queue: rendered afresh at once and after every change, sent when it differs
        from what this stream sent last (a reconnect starts afresh: the queue is a state)."""
        listener = self._open(language)
        self.staff.add(listener)
        listener.ready.set()
        last: list[bytes] = []
        try:
            yield RETRY
            while await self._woken(listener):
                if listener.heartbeat_due:
                    listener.heartbeat_due = False
                    yield HEARTBEAT
                if not listener.changed:
                    continue
                await asyncio.sleep(STAFF_COALESCE_SECONDS)
                listener.changed = False  # what changes from here on is rendered next time
                i18n.activate(language)
                events = await render()
                for data in events:
                    if data not in last:
                        listener.quiet = False
                        yield data
                last = events
        finally:
            self._close(listener)
