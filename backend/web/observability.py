"""Every request, seen once from outside the app: its request id (echoed as ``X-Request-ID``),
its time to the metrics, and, with ``MINSHENG_LOG_FORMAT=json``, one JSON line in the log.

It wraps the app's whole ASGI handler, outside the routing, so that what no route matched (a 404
of a scanner) and what failed (a 500) are seen too; routes are named by their template
(``/follow/{token}``), never by the path a client sent, and the path logged is redacted
(``security.redact``): no follow token or API key reaches a log. Nothing else of the request
is logged: no query (searches carry names), no address, no body, no header.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import time
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Callable

from litestar.logging.config import LoggingConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.web.security import redact

HEADER = b"x-request-id"
# An id a proxy gave the request is kept when it looks like one (uuids, hex, the usual ids).
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{8,64}")
REQUESTS_LOGGER = "minsheng.requests"
# The request being answered, for every line logged while answering it.
request_id: ContextVar[str] = ContextVar("request_id", default="")

Observe = Callable[[str, str, int, float], None]  # route template, method, status, seconds
_logger = logging.getLogger(REQUESTS_LOGGER)


class _Ids:
    """Request ids unique across workers and restarts without a random draw per request (a
    measurable share of the cost of a cached page): a random prefix per process, then a count."""

    def __init__(self) -> None:
        self.prefix = secrets.token_hex(5)
        self.count = itertools.count(1)

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self.count):x}"


new_id = _Ids()


class RequestObserver:
    def __init__(self, app: ASGIApp, observe: Observe, log_requests: bool) -> None:
        self.app = app
        self.observe = observe
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = next((value for name, value in scope["headers"] if name == HEADER), None)
        rid = given.decode() if given is not None and _SANE_ID.fullmatch(given) else new_id()
        token = request_id.set(rid) if self.log_requests else None
        status = 500  # unless a response starts: the server answers an exception with a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            self.observe(route, scope["method"], status, seconds)
            if self.log_requests:
                _logger.info(
                    "%s %s %s",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "http": {
                            "method": scope["method"],
                            "path": redact(scope["path"]),
                            "route": route,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 3),
                        }
                    },
                )
                request_id.reset(token)


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message (redacted as paths are),
    the request's fields for the request log, and an exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if rid := request_id.get():
            line["request_id"] = rid
        line["message"] = redact(record.getMessage())
        if http := getattr(record, "http", None):
            line.update(http)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def json_logging() -> LoggingConfig:
    """The app's logging in JSON lines (Litestar sets up the logging of each worker it starts in)."""
    return LoggingConfig(formatters={"standard": {"()": JsonLines}})


def json_log_config() -> dict:
    """uvicorn's ``log_config`` for JSON lines on standard error, for what it logs before and
    beside the app (its access log is off: the request log above replaces it)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
