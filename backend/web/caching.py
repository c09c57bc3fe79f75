"""Anonymous public pages: the same for everyone until the public record changes, so any cache
may keep them, and this worker keeps what it rendered.

Every cache must ask again before it reuses a page (``public, max-age=0, must-revalidate``), so
no page is ever staler than the live timeline; the question costs one small query, and the
answer is a 304 while nothing changed. Each worker renders a page about once per version,
language and variant: its response cache below answers the rest.

The ETag is made before the page is rendered, from all a public page depends on: the version
of the public record (``cases.public_record``: read from the database, so it changes in every
worker the moment a change commits), the release (code, templates, catalogues, static files
and settings), the local date (the week's figures, the trends' days; the minute, for a window
that ends now), the language and whether htmx asks for a fragment. Read before rendering, the
version is never newer than the page it tags: at worst a page is newer than its tag, and is
fetched once more.

Routes opt in with ``opt=public_record(...)``, naming the cookies that make the page personal
(a case page shows whether this browser said "me too"). A session's cookie, an API key, such a
cookie: the page is private. Another method or another route: nothing is done here.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend import clock
from backend.settings import Settings
from backend.web import i18n
from backend.web.security import PRIVATE
from backend.web.state import API_KEY_HOLDER

PUBLIC_RECORD = "public_record"
CACHE_CONTROL = "public, max-age=0, must-revalidate"
# What besides the URL makes a public page what it is. Cookie: a session's pages are others
# (private, and never answered from a cache without asking, since max-age is 0).
VARY = ("Accept-Language", "Cookie", "HX-Request", "HX-History-Restore-Request")
CACHED_BYTES = 32 * 1024 * 1024  # this worker's response cache, all entries together
CACHED_ENTRY_BYTES = 1024 * 1024  # larger answers (a long feed) are rendered each time
_SOURCES = Path(__file__).resolve().parent.parent.parent


@dataclasses.dataclass(frozen=True)
class _PublicRoute:
    personal_cookies: frozenset[str]
    by_the_minute: bool


def public_record(*personal_cookies: str, by_the_minute: bool = False) -> dict:
    """A route's ``opt``: it shows the public record only, the same to everyone without these
    cookies. ``by_the_minute``: it also changes as time passes (a window ending now), not only
    from day to day."""
    return {PUBLIC_RECORD: _PublicRoute(frozenset(personal_cookies), by_the_minute)}


def release(settings: Settings) -> str:
    """What this installation renders with: its code, templates, catalogues and static files, and
    its settings (the secret key aside): a new release never answers 304 for an old page. Each
    host's own directories are left out too: the hosts behind one address render the same pages,
    so they agree on every tag, and a cache that asks another host gets its 304."""
    shared = dataclasses.replace(settings, secret_key="", data_dir=Path(), media_dir=Path(), metrics_dir=None)
    digest = hashlib.sha256(repr(shared).encode())
    for folder, pattern in (("backend", "**/*.py"), ("backend/locale", "**/*.po"), ("frontend", "**/*")):
        for path in sorted((_SOURCES / folder).glob(pattern)):
            if path.is_file():
                digest.update(path.relative_to(_SOURCES).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110's weak comparison: ``W/"x"`` and ``"x"`` name the same page."""
    if not if_none_match:
        return False
    return tag.removeprefix("W/") in {each.strip().removeprefix("W/") for each in if_none_match.split(",")}


@dataclasses.dataclass(frozen=True)
class _Kept:
    start: Message
    body: bytes


def _private(send: Send) -> Send:
    """A public route's page made for one person: no cache keeps it."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message)["cache-control"] = PRIVATE
        await send(message)

    return send_private


class PublicCaching(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, version: Callable[[], Awaitable[str]], settings: Settings, session_cookie: str) -> None:
        self.version = version
        self.session_cookie = session_cookie
        self.release = release(settings)
        self.zone = ZoneInfo(settings.time_zone)
        self.kept: OrderedDict[tuple, _Kept] = OrderedDict()
        self.kept_bytes = 0

    def _personal(self, connection: ASGIConnection, personal_cookies: frozenset[str]) -> bool:
        # A session's cookie, even one that no longer works: its answer clears it (a Set-Cookie).
        if self.session_cookie in connection.cookies or connection.scope.get("state", {}).get(API_KEY_HOLDER) is not None:
            return True
        return not personal_cookies.isdisjoint(connection.cookies)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        route: _PublicRoute | None = scope["route_handler"].opt.get(PUBLIC_RECORD)
        connection: ASGIConnection = ASGIConnection(scope)
        if route is None or scope["method"] not in ("GET", "HEAD"):
            await next_app(scope, receive, send)
            return
        if self._personal(connection, route.personal_cookies):
            await next_app(scope, receive, _private(send))
            return
        headers = connection.headers
        language = i18n.negotiate(connection.cookies.get(i18n.LANGUAGE_COOKIE), headers.get("accept-language"))
        fragment = headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
        now = clock.now().astimezone(self.zone)
        moment = f"{now:%Y-%m-%dT%H:%M}" if route.by_the_minute else f"{now:%Y-%m-%d}"
        variant = f"{self.release}-{await self.version()}-{moment}-{language}-{'fragment' if fragment else 'page'}"
        tag = f'W/"{hashlib.sha256(variant.encode()).hexdigest()[:24]}"'
        fresh = [(b"etag", tag.encode()), (b"cache-control", CACHE_CONTROL.encode())]
        if _matches(headers.get("if-none-match"), tag):
            vary = [(b"vary", ", ".join(VARY).encode())]
            await send({"type": "http.response.start", "status": 304, "headers": [*fresh, *vary]})
            await send({"type": "http.response.body", "body": b""})
            return
        # Compression happens inside this middleware: gzip and plain answers are kept apart.
        key = (tag, scope["method"], scope["raw_path"], scope["query_string"], "gzip" in headers.get("accept-encoding", ""))
        if (kept := self.kept.get(key)) is not None:
            self.kept.move_to_end(key)
            # A copy: the middlewares outside add their headers to the message they are given.
            await send({**kept.start, "headers": list(kept.start["headers"])})
            await send({"type": "http.response.body", "body": kept.body})
            return
        start: Message | None = None
        body: list[bytes] | None = []

        async def tag_and_keep(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                # Only a whole page as everyone gets it: no cookie set, no error, no redirect.
                if message["status"] == 200 and "set-cookie" not in response_headers:
                    for name, value in fresh:
                        response_headers[name.decode()] = value.decode()
                    present = {each.strip().lower() for value in response_headers.getall("vary", []) for each in value.split(",")}
                    for name in VARY:
                        if name.lower() not in present:
                            response_headers.extend_header_value("vary", name)
                    start = {**message, "headers": list(message["headers"])}  # as it is now: see above
                else:
                    body = None
            elif body is not None and start is not None:
                body.append(message.get("body", b""))
                size = sum(map(len, body))
                if size > CACHED_ENTRY_BYTES:
                    body = None
                elif not message.get("more_body", False):
                    self._keep(key, _Kept(start, b"".join(body)), size)
            await send(message)

        await next_app(scope, receive, tag_and_keep)

    def _keep(self, key: tuple, kept: _Kept, size: int) -> None:
        """The least recently used answers make room for the new one."""
        if key[1] != "GET":
            return  # a HEAD's answer has no body to give a GET
        self.kept[key] = kept
        self.kept_bytes += size
        while self.kept_bytes > CACHED_BYTES:
            _, dropped = self.kept.popitem(last=False)
            self.kept_bytes -= len(dropped.body)
