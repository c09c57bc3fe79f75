"""An acknowledged case is never lost: the real server, many concurrent filers, SIGKILL mid-way.

A case counts as acknowledged when its filer got the 303 to the follow page. After each kill
the server is restarted and every case acknowledged so far must be there, with its photo
files intact on disk (sha256 of the bytes equals the content address).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from backend.photos import storage
from tests.support import LiveServer, jpeg, report_fields, submission_key

pytestmark = pytest.mark.slow

CLIENTS = 8
ROUNDS = 3
SOAK_ROUNDS = 20
ACKS_PER_ROUND = 15


@dataclass(frozen=True)
class Acknowledged:
    follow_path: str
    display_sha256: str
    thumb_sha256: str


def file_one(url: str, category_id: int, n: int) -> Acknowledged | None:
    try:
        with httpx.Client(base_url=url, timeout=15) as client:
            form = client.get("/report")
            upload = client.post(
                "/photos",
                files={"photos": (f"{n}.jpg", jpeg(width=480, height=360, colour=(n % 256, (n * 7) % 256, 90)), "image/jpeg")},
                headers={"hx-request": "true"},
            )
            keys = re.findall(r'name="photo_key" value="([^"]+)"', upload.text)
            response = client.post(
                "/report",
                data={
                    **report_fields(category_id, title=f"并发测试诉求 {n}"),
                    "submission_key": submission_key(form.text),
                    "photo_key": keys,
                },
            )
        if response.status_code != 303:
            return None
        follow_path = response.headers["location"].split("?")[0]
        with httpx.Client(base_url=url, timeout=15) as client:
            page = client.get(follow_path).text
        display, thumb = re.search(r'href="/media/([0-9a-f]{64})\.jpg"', page), re.search(r'src="/media/([0-9a-f]{64})\.jpg"', page)
        return Acknowledged(follow_path, display.group(1), thumb.group(1))
    except (httpx.HTTPError, AttributeError, AssertionError):
        return None  # the server died under this filer: nothing was acknowledged


def survive_sigkills(rounds: int, categories, settings) -> None:
    """``rounds`` times: file from CLIENTS filers at once until ACKS_PER_ROUND more are
    acknowledged, SIGKILL the server mid-way, start it again and check every case acknowledged
    so far; the restarted server is the next round's."""
    acknowledged: list[Acknowledged] = []
    counter = itertools.count()
    server = LiveServer().start()
    try:
        for _ in range(rounds):
            target = len(acknowledged) + ACKS_PER_ROUND
            enough = threading.Event()
            lock = threading.Lock()

            def filer(server=server, target=target, enough=enough, lock=lock) -> None:
                while not enough.is_set():
                    ack = file_one(server.url, categories["water"].id, next(counter))
                    if ack and not enough.is_set():
                        with lock:
                            acknowledged.append(ack)
                            if len(acknowledged) >= target:
                                enough.set()
                                server.kill()  # mid-way: the other filers are still sending

            with ThreadPoolExecutor(CLIENTS) as pool:
                for _ in range(CLIENTS):
                    pool.submit(filer)
                assert enough.wait(120), "filers made progress"
            server.kill()

            server = LiveServer().start()
            for ack in acknowledged:
                page = httpx.get(server.url + ack.follow_path, timeout=10)
                assert page.status_code == 200, f"acknowledged case lost: {ack.follow_path}"
                for sha256 in (ack.display_sha256, ack.thumb_sha256):
                    assert f"/media/{sha256}.jpg" in page.text
                    content = storage.path_for(settings.media_dir, sha256).read_bytes()
                    assert hashlib.sha256(content).hexdigest() == sha256
    finally:
        server.stop()
    assert len(acknowledged) >= rounds * ACKS_PER_ROUND


def test_acknowledged_cases_survive_sigkill(categories, settings):
    survive_sigkills(ROUNDS, categories, settings)


@pytest.mark.soak
def test_acknowledged_cases_survive_twenty_sigkills(categories, settings):
    """The soak (``scripts/test --soak``, not in CI): the same, for SOAK_ROUNDS rounds."""
    survive_sigkills(SOAK_ROUNDS, categories, settings)


def test_oversized_request_gets_413_before_the_body_is_sent(live_server, categories):
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /photos HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10000000000\r\n"
            b"HX-Request: true\r\n\r\n"
        )
        received = b""
        while b"</li>" not in received and (chunk := connection.recv(65536)):
            received += chunk
    answer = received.decode()
    assert answer.startswith("HTTP/1.1 413")
    assert '<li class="photo-error" role="alert">' in answer and "25 MB" in answer
