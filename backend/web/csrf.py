"""Cross-site request forgery, refused by where the browser says a request comes from.

As Go 1.25's ``net/http.CrossOriginProtection``: an unsafe request (not GET, HEAD or OPTIONS)
passes when the browser marks it ``Sec-Fetch-Site: same-origin`` (or ``none``: typed by the
person); any other value is another site. Without that header (browsers before 2023, or a
page served over plain http to a host other than localhost) the ``Origin`` header must name
this host; without either the request is not a browser's (curl, an API client), and no page
can make a browser send it so. Origins in ``Settings.trusted_origins`` (and the public origin
itself) pass whatever the headers say: a site of ours on another host, or a proxy that changes
the Host.

No token: nothing per visitor is in a page, so anonymous pages can be shared by any cache. None
is needed either. The browsers that send neither header on a POST (Firefox before 70, 2019)
honour SameSite=Lax, which keeps the session cookie out of other sites' forms; what needs no
session (filing, "me too", a rating through its secret link) anyone may do directly anyway.

The JSON API and Open311 keep their own rule: a request with a valid API key skips this check
(a page cannot make a browser send a key), and an unsafe one without a key is refused by
``backend.api.auth`` before it gets here.
"""

from __future__ import annotations

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.errors import Forbidden
from backend.i18n_markers import N_
from backend.web.state import API_KEY_HOLDER

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A route's opt for what any site may send (Go's "insecure bypass pattern"): only what a secret in
# its URL authorises and what can only stop something, such as a one-click unsubscribe (RFC 8058),
# which a mail client posts from wherever it runs.
ANY_SITE = "any_site"
SAME_ORIGIN = frozenset({"same-origin", "none"})
CROSS_SITE_REFUSED = N_(
    "This was sent from another website, so nothing was done. Open the page on this site and try again."
)


def is_cross_site(method: str, headers: Headers, trusted_origins: frozenset[str]) -> bool:
    """Whether an unsafe request comes from another site (a request of a safe method never does)."""
    if method in SAFE_METHODS:
        return False
    origin = headers.get("origin")
    if origin in trusted_origins:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site:
        return fetch_site not in SAME_ORIGIN
    if origin is None:
        return False  # not a browser's request (see above)
    # The host only, as Go does: the scheme of the request is not known here; HSTS covers it.
    # An Origin is scheme://host[:port] and nothing more ("null" from a sandbox is no host).
    _, separator, host = origin.partition("://")
    return not separator or host.lower() != headers.get("host", "").lower()


class CrossOriginProtection(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, trusted_origins: frozenset[str]) -> None:
        self.trusted_origins = trusted_origins

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        route_handler = scope.get("route_handler")
        any_site = route_handler is not None and route_handler.opt.get(ANY_SITE, False)
        if not any_site and scope.get("state", {}).get(API_KEY_HOLDER) is None and is_cross_site(
            scope["method"], Headers.from_scope(scope), self.trusted_origins
        ):
            raise Forbidden(CROSS_SITE_REFUSED)
        await next_app(scope, receive, send)
