"""Security headers on every response."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def security_headers(secure: bool):
    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
        headers["x-content-type-options"] = "nosniff"
        # Follow links carry a secret: never send a page's URL to another site.
        headers["referrer-policy"] = "no-referrer"
        headers["x-frame-options"] = "DENY"
        headers["permissions-policy"] = "geolocation=(self), camera=(self), microphone=()"
        headers["cross-origin-opener-policy"] = "same-origin"
        if secure:
            headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    return before_send
