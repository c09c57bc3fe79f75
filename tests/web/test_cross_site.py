"""Forms and requests sent from other sites (``backend.web.csrf``): every unsafe route of the app
refuses them, and lets through what the site's own pages, and clients that are not browsers, send."""

from __future__ import annotations

import pytest
from litestar.datastructures import Headers
from litestar.routes import HTTPRoute

from backend.web.csrf import ANY_SITE, SAFE_METHODS, is_cross_site
from tests.support import CROSS_SITE, OLD_BROWSER_CROSS_SITE

REFUSED = "This was sent from another website, so nothing was done."
API_PATHS = ("/api/", "/open311/")
# A value of the right form for each path parameter: the check comes before any lookup.
PARAMETER_VALUES = {"number": "2026-000001", "token": "t" * 43, "name": "requests.json", "key": "k" * 64}


# What any site may post (``csrf.ANY_SITE``): a secret in the URL authorises it, and it can only
# stop something. A new one must be added here on purpose.
ANY_SITE_ROUTES = {
    ("POST", "/notifications/unsubscribe/{signed:str}"),
    ("POST", "/notifications/staff-unsubscribe/{signed:str}"),  # staff email's one-click (RFC 8058)
    ("POST", "/alerts/unsubscribe/{signed:str}"),
}


def unsafe_routes(any_site: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every route handler of the app that is not GET, HEAD or OPTIONS (and
    that any site may post to, or not)."""
    from backend.app import create_app

    found = []
    for route in create_app(database_pool=False).routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path
        for name in route.path_parameters:
            path = path.replace(f"{{{name}:str}}", PARAMETER_VALUES.get(name, "1"))
        for method, handler in route.route_handler_map.items():
            if method not in SAFE_METHODS and bool(handler[0].opt.get(ANY_SITE)) == any_site:
                found.append((method, route.path if any_site else path))
    return sorted(found)


def test_only_the_chosen_routes_take_posts_from_any_site():
    assert set(unsafe_routes(any_site=True)) == ANY_SITE_ROUTES


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, str]]:
    found = unsafe_routes()
    assert len(found) > 50 and ("POST", "/report") in found and ("POST", "/admin/accounts") in found
    return found


@pytest.mark.parametrize("headers", [CROSS_SITE, OLD_BROWSER_CROSS_SITE], ids=["cross-site", "old-browser"])
async def test_every_unsafe_route_refuses_other_sites(client, routes, headers):
    for method, path in routes:
        response = await client.request(method, path, headers={**headers, "accept-language": "en"})
        if path.startswith(API_PATHS):
            # Their own rule, before this check: nothing unsafe without a valid API key.
            assert response.status_code in (401, 403), (method, path, response.status_code)
        else:
            assert response.status_code == 403 and REFUSED in response.text, (method, path, response.status_code)


@pytest.mark.parametrize(
    "headers",
    [{"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}, {"origin": "http://testserver.local"}, {}],
    ids=["same-origin", "typed-by-the-person", "old-browser-same-origin", "not-a-browser"],
)
async def test_every_unsafe_route_lets_this_sites_requests_through(person, routes, headers):
    admin = await person("admin")
    admin.client.headers.pop("sec-fetch-site")  # each request says what it says
    for method, path in routes:
        if path == "/logout":
            continue  # the session is needed for the next routes
        response = await admin.client.request(method, path, headers={**headers, "accept-language": "en"})
        assert REFUSED not in response.text and response.status_code < 500, (method, path, response.status_code)


def test_trusted_origins_pass_whatever_the_browser_says():
    trusted = frozenset({"https://minsheng.example.org", "https://m.minsheng.example.org"})
    proxied = Headers({"host": "127.0.0.1:8000", "origin": "https://minsheng.example.org", "sec-fetch-site": "same-origin"})
    assert not is_cross_site("POST", proxied, trusted)
    other_name = Headers({"host": "minsheng.example.org", "origin": "https://m.minsheng.example.org", "sec-fetch-site": "same-site"})
    assert not is_cross_site("POST", other_name, trusted)
    assert is_cross_site("POST", Headers({"host": "minsheng.example.org", **CROSS_SITE}), trusted)
    assert not is_cross_site("GET", Headers({"host": "minsheng.example.org", **CROSS_SITE}), trusted)  # reading changes nothing
