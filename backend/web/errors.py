"""Every error becomes a page (or an htmx fragment) a person can read, in their language."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.i18n_markers import N_
from backend.web import i18n
from backend.web.fragments import wants_fragment

logger = logging.getLogger("minsheng")

MESSAGES = {
    400: N_("We could not understand what was sent. Please check the form and try again."),
    403: N_("You may not do this."),
    404: N_("We could not find this page."),
    405: N_("This page cannot be used that way."),
    413: N_("What you sent is too large. Each photo may be at most 25 MB."),
    500: N_("Something went wrong on our side and nothing was saved. Please try again."),
}
CSRF_EXPIRED = N_("This page has expired. Please try again.")


def activate_language(request: Request) -> None:
    i18n.activate(i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")))


def error_response(request: Request, status_code: int, message: str) -> Response:
    headers = {"cache-control": "no-store"}
    if wants_fragment(request):
        # Into the page's alert region, never over the form the person is filling in.
        template = "partials/alert.html"
        headers.update({"hx-retarget": "#alerts", "hx-reswap": "innerHTML"})
    else:
        template = "error.html"
    return Template(
        template_name=template,
        context={"status_code": status_code, "message": i18n.gettext(message)},
        status_code=status_code,
        headers=headers,
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    activate_language(request)
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_response(request, 403, CSRF_EXPIRED)
    status_code = exc.status_code if exc.status_code in MESSAGES else 400
    return error_response(request, status_code, MESSAGES[status_code])


def undecodable_input_handler(request: Request, exc: Exception) -> Response:
    """Form parts in no known charset, or not in the one they claim: the request is at fault.

    Litestar's CSRF check, too, fails this way on a non-ASCII token (compare_digest refuses it).
    """
    if type(exc) is LookupError or isinstance(exc, UnicodeError):
        activate_language(request)
        return error_response(request, 400, MESSAGES[400])
    if isinstance(exc, TypeError) and "non-ASCII" in str(exc):
        activate_language(request)
        return error_response(request, 403, CSRF_EXPIRED)
    return server_error_handler(request, exc)


def server_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    activate_language(request)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, MESSAGES[500])
