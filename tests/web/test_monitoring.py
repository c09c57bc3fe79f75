"""What operators ask the app: /metrics (for whom, and what it tells), /readyz (each part, and
what fails), request ids, and the JSON request log (which never carries a secret or a filer's
details)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend import clock, db, metrics
from backend.notifications import delivery
from backend.notifications.notices import Notice
from backend.jobs import JOBS
from backend.scheduler import run_jobs
from backend.settings import get_settings
from backend.web.observability import REQUESTS_LOGGER, JsonLines
from backend.web.security import redact
from tests.keys import api_key  # noqa: F401  (a fixture)
from tests.support import PROJECT_ROOT, REDIS_URL, LiveServer, free_port, jpeg, report_fields, submission_key

TOKEN = "metrics-token-" + "y" * 24


@pytest.fixture
async def app_with(monkeypatch, new_client):
    """The app of the test's settings plus these variables (an app of its own)."""

    async def make(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return (await new_client()).app

    yield make
    monkeypatch.undo()
    get_settings.cache_clear()


def client_of(app, address: str = "10.1.2.3") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://testserver.local")


async def read_metrics(app) -> dict[tuple[str, tuple], float]:
    async with client_of(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_not_offered_unless_a_setting_allows_someone(client):
    response = await client.get("/metrics")
    assert response.status_code == 404
    assert "minsheng_" not in response.text


async def test_metrics_answer_the_allowed_networks_and_the_token_only(app_with):
    app = await app_with(MINSHENG_METRICS_ALLOW="10.0.0.0/8, 2001:db8::/32", MINSHENG_METRICS_TOKEN=TOKEN)
    for address, headers, status in [
        ("10.1.2.3", {}, 200),
        ("2001:db8::7", {}, 200),
        ("192.0.2.1", {}, 403),
        ("192.0.2.1", {"authorization": f"Bearer {TOKEN}"}, 200),
        ("192.0.2.1", {"authorization": "Bearer wrong"}, 403),
        ("192.0.2.1", {"authorization": TOKEN}, 403),  # not as a bearer token
        ("testclient", {}, 403),  # no address at all
    ]:
        async with client_of(app, address) as client:
            response = await client.get("/metrics", headers=headers)
        assert response.status_code == status, (address, headers)
        assert ("minsheng_http_request_duration_seconds" in response.text) == (status == 200)


async def test_metrics_count_requests_by_route_filings_photos_jobs_and_deliveries(app_with, categories):
    app = await app_with(MINSHENG_METRICS_ALLOW="10.0.0.0/8")
    before = await read_metrics(app)
    async with client_of(app, "192.0.2.9") as citizen:
        form = await citizen.get("/report")
        upload = await citizen.post("/photos", files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))], headers={"hx-request": "true"})
        rejected = await citizen.post("/photos", files=[("photos", ("b.jpg", b"no photo" * 50, "image/jpeg"))], headers={"hx-request": "true"})
        assert rejected.status_code == 422
        keys = re.findall(r'name="photo_key" value="([^"]+)"', upload.text)
        filed = await citizen.post(
            "/report", data={**report_fields(categories["water"].id), "submission_key": submission_key(form.text), "photo_key": keys}
        )
        follow = filed.headers["location"].split("?")[0]
        assert (await citizen.get(follow)).status_code == 200
        assert (await citizen.get("/no/such/page/12345")).status_code == 404
        assert (await citizen.request("BREW", "/cases")).status_code == 405
    await run_jobs(JOBS[:1], clock.now() + timedelta(days=2), metrics.clock_job_ran)
    # A message whose subscription has ended fails for good, as delivery records it.
    ended = delivery.Claimed(0, Notice.accepted, "sms", 1, None, False, None)
    await delivery.send([ended], get_settings(), clock.now())
    after = await read_metrics(app)

    def grew(name: str, by: float = 1, **labels: str) -> None:
        assert value(after, name, **labels) - value(before, name, **labels) == by, (name, labels)

    request = "minsheng_http_request_duration_seconds_count"
    grew(request, route="/report", method="GET", status="200")
    grew(request, route="/report", method="POST", status="303")
    grew(request, route="/follow/{token}", method="GET", status="200")
    grew(request, route="unmatched", method="GET", status="404")
    grew(request, route="unmatched", method="other", status="405")  # a label never takes what a client sends
    grew("minsheng_filings_total")
    grew("minsheng_case_entries_total", action="submit")
    grew("minsheng_photos_processed_total", outcome="stored")
    grew("minsheng_photos_processed_total", outcome="rejected")
    grew("minsheng_photo_processing_seconds_count", by=2)
    grew("minsheng_clock_job_runs_total", job=JOBS[0].__name__, outcome="ok")
    grew("minsheng_notification_deliveries_total", channel="sms", result="dead")
    assert ("minsheng_live_streams", ()) in after
    # Routes are named by their templates: no follow token and no case number is ever a label.
    # (Label values only, and the unmatched path whole: a gauge's pid label may hold any digits.)
    label_values = [value for _, labels in after for _, value in labels]
    assert not [value for value in label_values if follow.removeprefix("/follow/") in value or "/no/such/page" in value]
    if db.engine().__class__.__name__ == "PostgresEngine":
        assert value(after, "minsheng_database_connections", state="max") >= 1


async def test_requests_carry_an_id_kept_from_a_proxy_when_it_is_sane(client):
    fresh = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{10}-[0-9a-f]+", fresh.headers["x-request-id"])
    assert (await client.get("/healthz")).headers["x-request-id"] != fresh.headers["x-request-id"]
    given = "b6f1e2c4-7a1d-4c3e-9d2f-0a1b2c3d4e5f"
    assert (await client.get("/cases", headers={"x-request-id": given})).headers["x-request-id"] == given
    for insane in ("x", "a" * 65, "两个字的编号abc".encode(), "id with spaces", "<script>alert(1)</script>"):
        echoed = (await client.get("/healthz", headers={"x-request-id": insane})).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{10}-[0-9a-f]+", echoed), insane
    assert (await client.get("/no/such/page")).headers["x-request-id"]


async def test_ready_when_every_part_answers(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "media": "ok", "broker": "none"}
    assert not [each for each in get_settings().media_dir.iterdir() if each.name.startswith(".ready-")]  # the probe is gone


async def test_not_ready_when_the_media_store_cannot_be_written(app_with, tmp_path):
    media = tmp_path / "media"
    app = await app_with(MINSHENG_MEDIA_DIR=str(media))
    # The volume went away and something else stands in its place.
    shutil.rmtree(media)
    media.write_text("not a directory")
    async with client_of(app) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "ok", "media": "failing", "broker": "none"}
        assert (await client.get("/healthz")).status_code == 200  # the process itself is up


class Relay:
    """A TCP relay on 127.0.0.1 to another address, in threads: the way to a database server
    that can be cut (every connection through it broken, and no new one taken) and mended."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> Relay:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:  # cut
                return
            far = socket.create_connection(self.target)
            self.sockets += [near, far]
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for each in (source, sink):
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already down

    def cut(self) -> None:
        if self.listener is None:
            return
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        self.listener = None
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets.clear()


@pytest.mark.slow
@pytest.mark.skipif(
    not get_settings().is_postgres,
    reason="an SQLite file cannot become unreachable under a running server: the connections it holds open keep reading it",
)
async def test_a_server_whose_database_becomes_unreachable_is_not_ready_but_alive(database):
    given = urlsplit(database)
    relay = Relay((given.hostname, given.port or 5432)).start()
    user = given.netloc.rpartition("@")[0]
    through_relay = urlunsplit(given._replace(netloc=f"{user}@127.0.0.1:{relay.port}" if user else f"127.0.0.1:{relay.port}"))
    server = await asyncio.to_thread(LiveServer(env={"MINSHENG_DATABASE_URL": through_relay}).start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            assert (await http.get("/readyz")).json() == {"status": "ready", "database": "ok", "media": "ok", "broker": "none"}
            relay.cut()
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json() == {"status": "unavailable", "database": "failing", "media": "ok", "broker": "none"}
            alive = await http.get("/healthz")
            assert alive.status_code == 200 and alive.json()["status"] == "ok"
            # The database is back: ready again, without a restart.
            relay.start()
            assert (await http.get("/readyz")).status_code == 200
    finally:
        relay.cut()
        await asyncio.to_thread(server.stop)


async def test_not_ready_when_the_broker_is_down(app_with, monkeypatch):
    app = await app_with(MINSHENG_REDIS_URL=REDIS_URL)
    async with client_of(app) as client:
        assert (await client.get("/readyz")).json() == {"status": "ready", "database": "ok", "media": "ok", "broker": "ok"}
        # Redis moved away after the start (nothing listens on port 1).
        monkeypatch.setenv("MINSHENG_REDIS_URL", "redis://127.0.0.1:1/0")
        get_settings.cache_clear()
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "media": "ok", "broker": "failing"}


class Lines(logging.Handler):
    """What a log handler with the JSON formatter writes (caplog's handler leaves with the
    logging set-up of an app made during the test)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLines())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def request_log():
    handler = Lines()
    logger = logging.getLogger(REQUESTS_LOGGER)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


async def test_json_request_log_names_routes_and_never_secrets_or_personal_data(app_with, request_log, categories, api_key):
    app = await app_with(MINSHENG_LOG_FORMAT="json")
    key = await api_key("file")
    async with client_of(app, "192.0.2.50") as citizen:
        form = await citizen.get("/report")
        fields = {**report_fields(categories["water"].id), "submission_key": submission_key(form.text)}
        filed = await citizen.post("/report", data=fields, headers={"x-request-id": "proxy-given-id-1"})
        follow = filed.headers["location"]
        token = follow.split("/")[2].split("?")[0]
        await citizen.get(follow)
        await citizen.get(f"/api/v1/follow/{token}")
        await citizen.get(f"/open311/v2/tokens/{token}.json")
        await citizen.get("/open311/v2/requests.json", params={"api_key": key, "q": "张女士"})
        await citizen.get("/api/v1/categories", headers={"authorization": f"Bearer {key}"})
        await citizen.get("/cases", params={"q": "13800138000"})
    lines = request_log
    assert len(lines) == 8
    logged = "\n".join(lines)
    for secret in (token, key, "张女士", "13800138000", "138 0013 8000", "192.0.2.50"):
        assert secret not in logged, secret
    entries = [json.loads(line) for line in lines]
    assert entries[1]["request_id"] == "proxy-given-id-1"
    assert entries[1]["route"] == "/report" and entries[1]["status"] == 303 and entries[1]["method"] == "POST"
    assert entries[2]["path"] == "/follow/…" and entries[2]["route"] == "/follow/{token}"
    assert {"time", "level", "logger", "message", "duration_ms"} <= set(entries[0])


def test_logged_paths_mask_follow_tokens_and_keys_in_queries():
    assert redact("/follow/abc_DEF-123/rating") == "/follow/…/rating"
    assert redact("/open311/v2/requests.json?api_key=msk_secret&page=2") == "/open311/v2/requests.json?api_key=…&page=2"
    assert redact("/open311/v2/tokens/abc.json") == "/open311/v2/tokens/…"
    assert redact("/cases/2026-000123") == "/cases/2026-000123"


@pytest.mark.slow
def test_two_workers_add_up_their_metrics_and_log_json_lines_without_secrets():
    """``minsheng serve`` as operators run it: the counts of whichever worker answered are
    added up, and standard error carries nothing but JSON lines, none with a follow token or a key."""
    server = LiveServer(workers=2, env={"MINSHENG_METRICS_ALLOW": "127.0.0.1/32", "MINSHENG_LOG_FORMAT": "json"}).start()
    token, key = "f" * 43, "msk_" + "k" * 40
    try:
        with httpx.Client(base_url=server.url.replace("localhost", "127.0.0.1"), timeout=30) as http:
            for _ in range(20):
                assert http.get("/healthz").status_code == 200
            assert http.get(f"/follow/{token}").status_code == 404
            assert http.get("/open311/v2/requests.json", params={"api_key": key}).status_code == 403  # no such key
            samples = {
                (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(http.get("/metrics").text)
                for sample in family.samples
            }
        # Every /healthz of the test, and those of the server's start, whichever worker answered.
        healthz = value(samples, "minsheng_http_request_duration_seconds_count", route="/healthz", method="GET", status="200")
        assert healthz >= 20
        assert value(samples, "minsheng_http_request_duration_seconds_count", route="/follow/{token}", method="GET", status="404") == 1
    finally:
        server.stop()
    lines = server.process.stderr.read().decode().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert [entry["path"] for entry in entries if entry.get("route") == "/follow/{token}"] == ["/follow/…"]
    assert [entry["status"] for entry in entries if entry.get("path", "").startswith("/open311/v2/requests")] == [403]
    assert token not in "\n".join(lines) and key not in "\n".join(lines)


def test_a_start_forgets_what_ended_processes_counted_and_keeps_the_running_ones(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead, alive = int(ended.stdout), os.getpid()
    for kind in ("counter", "histogram", "gauge_livesum"):
        for pid in (dead, alive):
            (tmp_path / f"{kind}_{pid}.db").write_bytes(b"")
    metrics.forget_ended_processes(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"{kind}_{alive}.db" for kind in ("counter", "gauge_livesum", "histogram")]


async def test_a_dead_workers_open_streams_leave_the_sum_and_its_counts_stay(app_with, settings):
    app = await app_with(MINSHENG_METRICS_ALLOW="10.0.0.0/8")
    before = await read_metrics(app)
    # Another worker of the same server counts a filing and holds three streams, then dies.
    code = (
        "import sys; from pathlib import Path; from backend import metrics; from backend.events import EntryAppended; "
        "metrics.start(Path(sys.argv[1])); metrics.live_streams(3); metrics.on_entry_appended(EntryAppended(1, 1, 'submit'))"
    )
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", code, str(settings.metrics_directory)], check=True, cwd=PROJECT_ROOT)
    after = await read_metrics(app)
    assert value(after, "minsheng_live_streams") == value(before, "minsheng_live_streams")
    assert value(after, "minsheng_filings_total") == value(before, "minsheng_filings_total") + 1
