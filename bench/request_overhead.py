"""Benchmark: what the request observer (``backend.web.observability``: request id, metrics,
optional JSON log line) costs per request, in process, on the cheapest answers there are.

Each page is requested through the app's ASGI interface (no network, no server) ``--requests``
times with the observer around the handler and as many times without it, alternating in rounds
so that the machine's load falls on both alike; the table gives the microseconds a request
took either way and the difference. Pages: ``/healthz`` (nothing but the framework), ``/cases`` answered
from the worker's response cache (the public pages' fast path), and the same page as a 304 to an
``If-None-Match``. JSON logs: the same, with a log line per request written to /dev/null.
First, the observer alone: around an ASGI app that answers at once (no framework), where
nothing but its own work differs. Each figure is the best round's (the least disturbed by other
work on the machine).

Run from the repository root:
    .venv/bin/python bench/request_overhead.py [--requests 3000] [--rounds 5]
Files: /tmp/minsheng-request-overhead/ (made afresh; SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/minsheng-request-overhead")
sys.path[0] = str(ROOT)  # not bench/, whose calendar.py would hide the standard library's


def environment(log_format: str) -> None:
    os.environ.update(
        MINSHENG_DATA_DIR=str(WORK / "data"),
        MINSHENG_MEDIA_DIR=str(WORK / "media"),
        MINSHENG_DATABASE_URL=f"sqlite:///{WORK / 'data' / 'minsheng.sqlite3'}",
        MINSHENG_SCHEDULER_SECONDS="0",
        MINSHENG_LOG_FORMAT=log_format,
        PICCOLO_CONF="piccolo_conf",
    )


async def request(app, path: str, headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The response's headers."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost:8000"), *headers], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }
    answer: dict[bytes, bytes] = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer.update(message["headers"])

    await app(scope, receive, send)
    return answer


async def timed(app, path: str, headers, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await request(app, path, headers)
    return (time.perf_counter() - started) / count * 1e6


async def hello(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def observer_alone(log_format: str, count: int, rounds: int) -> tuple[float, float]:
    from backend import metrics
    from backend.web.observability import RequestObserver

    instruments = metrics.start(WORK / "data" / "metrics")
    observed = RequestObserver(hello, instruments.request, log_requests=log_format == "json")
    with_observer, without = [], []
    for _ in range(rounds):
        with_observer.append(await timed(observed, "/hello", [], count))
        without.append(await timed(hello, "/hello", [], count))
    return min(without), min(with_observer)


async def measure(log_format: str, count: int, rounds: int) -> list[tuple[str, float, float]]:
    environment(log_format)
    from backend.cli import _migrate
    from backend.settings import get_settings

    get_settings.cache_clear()
    await _migrate()
    from backend.app import create_app

    app = create_app()
    observed = app.asgi_handler
    bare = observed.app
    results = []
    async with app.lifespan():
        cached = [(b"accept-language", b"zh-CN")]
        tag = (await request(app, "/cases", cached))[b"etag"]  # rendered once: the rest come from the cache
        pages = [("/healthz", "/healthz", []), ("/cases (cached)", "/cases", cached), ("/cases (304)", "/cases", [*cached, (b"if-none-match", tag)])]
        for label, path, headers in pages:
            with_observer, without = [], []
            for _ in range(rounds):
                app.asgi_handler = observed
                with_observer.append(await timed(app, path, headers, count))
                app.asgi_handler = bare
                without.append(await timed(app, path, headers, count))
            app.asgi_handler = observed
            results.append((label, min(without), min(with_observer)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    os.chdir(ROOT)
    shutil.rmtree(WORK, ignore_errors=True)
    logging.getLogger("minsheng.requests").addHandler(logging.FileHandler(os.devnull))
    logging.getLogger("minsheng.requests").propagate = False
    print(f"{'logs':<6} {'page':<18} {'without µs':>11} {'with µs':>9} {'cost µs':>8}")
    for log_format in ("text", "json"):
        without, with_observer = asyncio.run(observer_alone(log_format, arguments.requests * 10, arguments.rounds))
        print(f"{log_format:<6} {'(observer alone)':<18} {without:>11.1f} {with_observer:>9.1f} {with_observer - without:>8.1f}")
    for log_format in ("text", "json"):
        for label, without, with_observer in asyncio.run(measure(log_format, arguments.requests, arguments.rounds)):
            print(f"{log_format:<6} {label:<18} {without:>11.1f} {with_observer:>9.1f} {with_observer - without:>8.1f}")


if __name__ == "__main__":
    main()
