"""One view serves the full page or, to htmx, the fragment it asked for."""

from litestar import Request


def wants_fragment(request: Request) -> bool:
    headers = request.headers
    # A history restore (back button after a cache miss) needs the whole page again.
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
