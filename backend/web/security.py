"""Security headers on every response."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

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
