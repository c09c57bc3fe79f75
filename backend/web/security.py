"""Security headers on every response, and limits per address on anonymous writes."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import Message, Scope

from backend.accounts.guards import client_address, signed_in
from backend.settings import Settings

# A route names its own count per address in its opt: ``opt={ADDRESS_LIMIT: "photos"}``.
ADDRESS_LIMIT = "address_limit"


def address_limit(settings: Settings) -> RateLimitConfig:
    """Writes anyone may make without signing in (photo uploads, "me too"), limited per address
    and per kind of write: the API's mechanism and store (shared by the workers), for the routes
    that name their count in ``opt``."""

    def limited(request: Request) -> bool:
        return ADDRESS_LIMIT in request.route_handler.opt and signed_in(request) is None

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
        headers["x-content-type-options"] = "nosniff"
        # Follow links carry a secret: never send a page's URL to another site.
        headers["referrer-policy"] = "no-referrer"
        headers["x-frame-options"] = "DENY"
        headers["permissions-policy"] = "geolocation=(self), camera=(self), microphone=()"
        headers["cross-origin-opener-policy"] = "same-origin"
        if secure:
            headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    return before_send
