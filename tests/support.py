"""Helpers shared by the tests: real photos of every kind, form posting, a live server."""

from __future__ import annotations

import functools
import io
import os
import random
import queue
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def TABLES_IN_DELETE_ORDER():
    from backend.accounts.tables import Account, ApiKey, AuditEvent, Invitation, Passkey, WebAuthnChallenge
    from backend.cases.tables import (
        Callback,
        Case,
        CaseAnswer,
        CaseContribution,
        CaseMerge,
        CaseNumberCounter,
        CaseSearch,
        CoHandler,
        DepartmentFigure,
        MovedSupport,
        EscalationStep,
        Rating,
        RatingDispute,
        SavedView,
        Support,
        TimelineEntry,
        TopicCount,
    )
    from backend.deadlines.tables import CalendarDay, DeadlineLimit, DeadlineWarning, ScheduleYear
    from backend.departments.tables import Area, Category, CategoryQuestion, Department
    from backend.knowledge.tables import KnowledgeEntry, KnowledgeRevision, KnowledgeSearch, ReplyTemplate
    from backend.notifications.tables import AlertMessage, AlertSubscription, Message, MovedSubscription, NoticeWording, StaffNoticeChoice, StaffSubscription, Subscription
    from backend.photos.tables import Photo
    from backend.representatives.tables import Attachment, CoSigner, Suggestion
    from backend.routing.tables import RoutingRule, RoutingRuleCoHandler, RuleRouting

    return [
        AlertMessage,
        AlertSubscription,
        Message,
        MovedSubscription,
        Subscription,
        StaffSubscription,
        StaffNoticeChoice,
        NoticeWording,
        RuleRouting,
        RoutingRuleCoHandler,
        RoutingRule,
        Photo,
        CaseContribution,
        DepartmentFigure,
        TopicCount,
        RatingDispute,
        Callback,
        Rating,
        TimelineEntry,
        CoHandler,
        CaseAnswer,
        CaseSearch,
        MovedSupport,
        CaseMerge,
        Support,
        SavedView,
        Attachment,
        CoSigner,
        Suggestion,
        Case,
        KnowledgeRevision,
        KnowledgeSearch,
        KnowledgeEntry,
        ReplyTemplate,
        Area,
        CaseNumberCounter,
        CalendarDay,
        ScheduleYear,
        DeadlineLimit,
        DeadlineWarning,
        EscalationStep,
        AuditEvent,
        ApiKey,
        WebAuthnChallenge,
        Invitation,
        Passkey,
        Account,
        CategoryQuestion,
        Category,
        Department,
    ]


async def empty_tables() -> None:
    """Deletes every row the app writes, in one transaction (one commit, one fsync), so that each
    test starts from the migrated, empty schema. One query first finds the tables that have rows:
    a test writes a handful of the fifty, and a DELETE through the ORM costs about 0.3 ms of CPU
    even on an empty table."""
    from backend.db import engine

    db = engine()
    tables = TABLES_IN_DELETE_ORDER()
    probe = " UNION ALL ".join(
        f"SELECT '{table._meta.tablename}' AS name WHERE EXISTS (SELECT 1 FROM {table._meta.tablename})" for table in tables
    )
    with_rows = {row["name"] for row in await tables[0].raw(probe)}
    async with db.transaction():
        for table in tables:
            if table._meta.tablename in with_rows:
                await table.delete(force=True)


def jpeg(width=1200, height=900, colour=(200, 80, 40), gps=None, orientation=None, quality=90) -> bytes:
    """A JPEG with some texture, different at every call as every real photo is; optional EXIF
    GPS (lat, lon) and orientation."""
    image = Image.blend(_texture(width, height), Image.new("RGB", (width, height), colour), 0.6)
    patch = min(8, width, height)
    image.paste(
        Image.frombytes("RGB", (patch, patch), os.urandom(3 * patch * patch)),
        (random.randrange(width - patch + 1), random.randrange(height - patch + 1)),
    )
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: metadata that must not survive
    if orientation:
        exif[0x0112] = orientation
    if gps:
        lat, lon = gps
        exif[0x8825] = {
            1: "N" if lat >= 0 else "S",
            2: _dms(abs(lat)),
            3: "E" if lon >= 0 else "W",
            4: _dms(abs(lon)),
        }
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()


@functools.cache
def _texture(width: int, height: int) -> Image.Image:
    """Noise for a photo's texture, made once per size (making it took most of a photo's time)."""
    return Image.effect_noise((width, height), 40).convert("RGB")


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def map_tile() -> bytes:
    """A map tile's worth of PNG: light ground with a street grid, about OSM's weight."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(image)
    for offset in range(0, 256, 64):
        draw.line([(offset, 0), (offset, 255)], fill=(255, 255, 255), width=6)
        draw.line([(0, offset), (255, offset)], fill=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def start_tile_server() -> ThreadingHTTPServer:
    """Map tiles on 127.0.0.1, for the public map where OpenStreetMap's servers are out of reach
    (tests, benchmarks): every tile the same."""
    body = map_tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "public, max-age=604800")
            self.send_header("access-control-allow-origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # quiet
            pass

    class TileServer(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            """A page left before its tiles came (the browser hung up): nothing to report."""
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = TileServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def png(width=300, height=200, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (10, 200, 30, 128) if mode == "RGBA" else 0).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny valid PNG whose header claims ten billion pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * 100
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * 10)) + chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


# What a browser sends with a form another site's page submits here (backend.web.csrf): a
# browser of today, and one that predates Sec-Fetch-Site.
CROSS_SITE = {"sec-fetch-site": "cross-site", "origin": "http://evil.example"}
OLD_BROWSER_CROSS_SITE = {"origin": "http://evil.example"}


def submission_key(html: str) -> str:
    match = re.search(r'name="submission_key" value="([^"]*)"', html)
    assert match
    return match.group(1)


def report_fields(category_id: int, **overrides) -> dict[str, str]:
    fields = {
        "case_type": "complaint",
        "category_id": str(category_id),
        "title": "小区停电三四天",
        "description": "从周一开始停电，冰箱里的东西都坏了，电梯也停了。",
        "address": "文津花园小区3号楼",
        "latitude": "",
        "longitude": "",
        "filer_name": "张女士",
        "filer_phone": "138 0013 8000",
        "publication": "public",
    }
    fields.update(overrides)
    return fields


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The settings of the run's shared two-worker server (tests/conftest.py's ``live_servers``): an
# API limit low enough to reach in a few requests, for the test of the limit.
TWO_WORKERS = {"MINSHENG_API_REQUESTS_PER_MINUTE": "5"}
REDIS_URL = os.environ.get("MINSHENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The shared server on Redis, for sessions and the live bus (streams long enough for a test).
ON_REDIS = {"MINSHENG_REDIS_URL": REDIS_URL, "MINSHENG_LIVE_STREAM_SECONDS": "60"}


class LiveServer:
    """``minsheng serve`` as a real process, with this test run's settings."""

    def __init__(self, workers: int = 1, env: dict[str, str] | None = None):
        self.port = free_port()
        self.workers = workers
        self.env = env or {}
        self.url = f"http://localhost:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> LiveServer:
        env = {**os.environ, "MINSHENG_ORIGIN": self.url, **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # A start takes seconds on an idle machine; a machine busy with other test runs can take
        # half a minute (measured at load 10 on 2 cores), which is no failure of the app.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()  # never left running after the test that wanted it has failed
        raise RuntimeError("server did not come up in 120 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; what is not durable is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass(frozen=True)
class Event:
    id: str | None
    name: str
    data: str


class EventStream:
    """A Server-Sent Events client in a thread: what a browser's EventSource would receive."""

    def __init__(self, url: str, headers: dict[str, str] | None = None):
        self.url = url
        self.headers = {"accept": "text/event-stream", **(headers or {})}
        self.events: queue.Queue[Event] = queue.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self.status_code: int | None = None
        self.opened = threading.Event()
        self.listening = threading.Event()
        self.ended = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> EventStream:
        """Returns once the server has said how soon to reconnect: its streams say so first,
        once they are listening."""
        self._thread.start()
        assert self.opened.wait(10), f"{self.url} did not answer"
        if self.status_code == 200:
            assert self.listening.wait(10), f"{self.url} sent no retry: line"
        return self

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.status_code = response.status_code
                self.opened.set()
                fields: dict[str, list[str]] = {}
                for line in response.iter_lines():
                    if line == "":
                        if "data" in fields:
                            event_id = fields["id"][-1] if "id" in fields else None
                            self.events.put(Event(event_id, fields.get("event", ["message"])[-1], "\n".join(fields["data"])))
                        fields = {}
                    elif line.startswith(":"):
                        self.comments.append(line)
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "retry":
                            self.retry = int(value)
                            self.listening.set()
                        else:
                            fields.setdefault(name, []).append(value)
        except Exception:  # closed by the test, or by the server
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def next(self, timeout: float = 10) -> Event:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event from {self.url} within {timeout} s") from None

    def nothing_within(self, seconds: float) -> bool:
        try:
            event = self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected event from {self.url}: {event}")

    def close(self) -> None:
        """Hangs up, as a phone in a tunnel would (the reading thread wakes up at once)."""
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the server hung up first
        self._client.close()
        self._thread.join(5)


def streams_ended(server: LiveServer, timeout: float = 10) -> None:
    """Waits until the server holds no live stream open (a closed page's stream ends when the
    server notices the hang-up), so that no stream of one test lives on into the next."""
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(f"{server.url}/healthz", timeout=5).json()
        if health["live_streams"] == 0:
            return
        assert time.monotonic() < deadline, f"{health['live_streams']} live streams still open on {server.url}"
        time.sleep(0.05)
