"""The installable app: web app manifest, service worker and offline page.

The service worker precaches the app shell (the static files every public page uses, the home
page, the report form and the offline page) under a version made of their content hashes, so a
release that changes any of them replaces the whole cache. Pages come from the network first.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from litestar import Controller, get
from litestar.response import Response, Template

from backend.web import i18n
from backend.web.templating import TEMPLATE_DIR, static_url

THEME_COLOUR = "#0172ad"
# What every public page loads, and what filing offline needs.
SHELL_FILES = [
    "vendor/pico.min.css",
    "css/app.css",
    "vendor/htmx.min.js",
    "vendor/htmx-ext-sse.min.js",
    "js/minsheng.js",
    "js/outbox-store.js",
    "js/outbox.js",
    "js/photo-form.js",
    "js/questions.js",
    "vendor/exifr.min.js",
    "icon.svg",
    "icons/icon-192.png",
    "icons/apple-touch-icon.png",
]
# Pages kept for use without a connection; refreshed whenever they are fetched online.
OFFLINE_PAGE = "/offline"
SHELL_PAGES = ["/", "/report", OFFLINE_PAGE]
NO_CACHE = {"cache-control": "no-cache"}


@lru_cache(maxsize=1)
def shell() -> tuple[str, list[str]]:
    """The cache version and the URLs to precache."""
    urls = [static_url(name) for name in SHELL_FILES]
    digest = hashlib.sha256("\n".join(urls).encode())
    for template in ("sw.js", "offline.html", "base.html", "report.html", "home.html"):
        digest.update((TEMPLATE_DIR / template).read_bytes())
    return digest.hexdigest()[:16], urls + SHELL_PAGES


def manifest() -> dict:
    return {
        "id": "/",
        "name": i18n.gettext("Minsheng: report a problem, follow it until it is fixed"),
        "short_name": i18n.gettext("Minsheng"),
        "description": i18n.gettext(
            "Report problems where you live to the department that fixes them, and follow each case in public until it is answered."
        ),
        "lang": i18n.html_lang(),
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "categories": ["government", "utilities"],
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
        "shortcuts": [{"name": i18n.gettext("Report a problem"), "url": "/report"}],
    }


class AppShellController(Controller):
    include_in_schema = False

    @get("/manifest.webmanifest")
    async def web_app_manifest(self) -> Response:
        # In the visitor's language: the cookie or Accept-Language chose it.
        return Response(
            manifest(),
            media_type="application/manifest+json",
            headers={**NO_CACHE, "vary": "Cookie, Accept-Language"},
        )

    @get("/sw.js")
    async def service_worker(self) -> Template:
        version, urls = shell()
        return Template(
            template_name="sw.js",
            context={
                "version": version,
                "precache": urls,
                "shell_pages": SHELL_PAGES,
                "offline_page": OFFLINE_PAGE,
                "outbox_store": static_url("js/outbox-store.js"),
                "icon": static_url("icons/icon-192.png"),
            },
            media_type="text/javascript",
            headers=NO_CACHE,
        )

    @get(OFFLINE_PAGE)
    async def offline(self) -> Template:
        return Template(template_name="offline.html")
