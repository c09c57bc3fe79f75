"""Security headers on every response, secrets kept out of access logs, and limits per address
on anonymous writes."""

from __future__ import annotations

import logging
import re

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import Message, Scope

from backend.settings import Settings
from backend.web.state import SIGNED_IN, client_address

# Paths that carry a secret: a follow link's token (pages, the API, Open311's tokens), an
# invitation's, and the signed links in notifications. Access logs get the path with it masked.
SECRET_IN_PATH = re.compile(r"(/(?:follow|tokens|invitations|notifications/verify|notifications/unsubscribe|alerts/verify|alerts/unsubscribe)/)[^/?#\s]+")
# Open311 takes its key as a parameter, as its specification says.
SECRET_IN_QUERY = re.compile(r"((?:^|[?&])api_key=)[^&#\s]*")


def redact(path: str) -> str:
    """A path (with its query, if any) as logs may show it."""
    return SECRET_IN_QUERY.sub(r"\1…", SECRET_IN_PATH.sub(r"\1…", path))


class SecretPathFilter(logging.Filter):
    """Masks secrets in the paths uvicorn's access log prints (its record's third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redact(record.args[2]), *record.args[3:])
        return True


_SECRET_PATH_FILTER = SecretPathFilter()


def keep_secrets_out_of_access_logs() -> None:
    """Once per process (adding the same filter again changes nothing)."""
    logging.getLogger("uvicorn.access").addFilter(_SECRET_PATH_FILTER)


# What no cache may keep: pages rendered for one person.
PRIVATE = "private, no-store"

# A route names its own count per address in its opt: ``opt={ADDRESS_LIMIT: "photos"}``.
ADDRESS_LIMIT = "address_limit"


def address_limit(settings: Settings) -> RateLimitConfig:
    """Writes anyone may make without signing in (photo uploads, "me too"), limited per address
    and per kind of write: the API's mechanism and store (shared by the workers), for the routes
    that name their count in ``opt``."""

    def limited(request: Request) -> bool:
        return ADDRESS_LIMIT in request.route_handler.opt and request.scope.get("state", {}).get(SIGNED_IN) is None

    def identifier(request: Request) -> str:
        return f"{request.route_handler.opt[ADDRESS_LIMIT]}:address:{client_address(request)}"

    return RateLimitConfig(
        rate_limit=("minute", settings.address_writes_per_minute), identifier_for_request=identifier, check_throttle_handler=limited
    )


def content_security_policy(image_source: str = "") -> str:
    """``image_source``: one more place images may come from (the map's tiles)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            " ".join(filter(None, ["img-src 'self' data: blob:", image_source])),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def security_headers(secure: bool, image_source: str = ""):
    policy = content_security_policy(image_source)

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers.setdefault("content-security-policy", policy)
        if scope.get("state", {}).get(SIGNED_IN) is not None:
            # Rendered for someone signed in (their navigation, their queues): no cache keeps it.
            headers["cache-control"] = PRIVATE
        headers["x-content-type-options"] = "nosniff"
        # Follow links carry a secret: never send a page's URL to another site.
        headers["referrer-policy"] = "no-referrer"
        headers["x-frame-options"] = "DENY"
        headers["permissions-policy"] = "geolocation=(self), camera=(self), microphone=()"
        headers["cross-origin-opener-policy"] = "same-origin"
        if secure:
            headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    return before_send
