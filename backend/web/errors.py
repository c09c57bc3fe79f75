"""Every error becomes a page (or an htmx fragment) a person can read, in their language."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.errors import FieldErrors, Forbidden, InvalidInput, Malformed, NotFound, Refusal, Unavailable, WrongState
from backend.i18n_markers import N_
from backend.web import i18n
from backend.web.fragments import wants_fragment

logger = logging.getLogger("minsheng")

MESSAGES = {
    400: N_("We could not understand what was sent. Please check the form and try again."),
    401: N_("Please sign in to see this page."),
    403: N_("You may not do this."),
    404: N_("We could not find this page."),
    405: N_("This page cannot be used that way."),
    409: N_("This cannot be done now."),
    413: N_("What you sent is too large. Each photo may be at most 25 MB."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side and nothing was saved. Please try again."),
}


# Each kind of the domain's refusals (``backend.errors``) as HTTP: the one place a refusal
# becomes a status number, for the pages, the JSON API and Open311 alike.
STATUS: dict[type[Refusal], int] = {
    NotFound: 404,
    Forbidden: 403,
    WrongState: 409,
    Malformed: 400,
    InvalidInput: 422,
    Unavailable: 503,
}


def status_of(refused: Refusal | FieldErrors | type[Refusal]) -> int:
    """The HTTP status of a refusal, of a form's errors (by their kind), or of a kind."""
    kind = refused if isinstance(refused, type) else getattr(refused, "kind", type(refused))
    return next(STATUS[each] for each in kind.__mro__ if each in STATUS)


def activate_language(request: Request) -> None:
    i18n.activate(i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")))


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def error_response(
    request: Request, status_code: int, message: str, headers: dict | None = None, **params: object
) -> Response:
    """``message`` is a message id; ``params`` fill its ``{placeholders}`` after translation."""
    headers = {"cache-control": "no-store", **(headers or {})}
    text = i18n.gettext(message).format(**params) if params else i18n.gettext(message)
    if wants_json(request):
        return Response({"status": status_code, "message": text}, status_code=status_code, headers=headers)
    if wants_fragment(request):
        # Into the page's alert region, never over the form the person is filling in.
        template = "partials/alert.html"
        headers.update({"hx-retarget": "#alerts", "hx-reswap": "innerHTML"})
    else:
        template = "error.html"
    return Template(
        template_name=template,
        context={"status_code": status_code, "message": text},
        status_code=status_code,
        headers=headers,
    )


def field_errors_response(request: Request, error: FieldErrors) -> Response:
    """A form's refusal that is no longer about what was typed (what it is about is gone, or in
    another state): its page, with the first message, at the status of its kind."""
    return error_response(request, status_of(error), next(iter(error.errors.values())))


def refusal_handler(request: Request, exc: Refusal) -> Response:
    """A refusal nobody caught on the way: a page (or fragment) with its message."""
    activate_language(request)
    return error_response(request, status_of(exc), exc.message)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    activate_language(request)
    if exc.status_code == 401:
        return _sign_in_first(request)
    status_code = exc.status_code if exc.status_code in MESSAGES else 400
    # The exception's headers belong to the answer: a 405's Allow (RFC 9110), say.
    return error_response(request, status_code, MESSAGES[status_code], headers=exc.headers)


def _sign_in_first(request: Request) -> Response:
    """Pages send the person to sign in and then back; anything else gets a plain 401."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?{urlencode({'next': target})}"
    if request.method == "GET" and not wants_json(request):
        if wants_fragment(request):
            return Response(None, status_code=204, headers={"hx-redirect": login, "cache-control": "no-store"})
        return Redirect(login, status_code=303, headers={"cache-control": "no-store"})
    return error_response(request, 401, MESSAGES[401])


def undecodable_input_handler(request: Request, exc: Exception) -> Response:
    """Form parts in no known charset, or not in the one they claim: the request is at fault."""
    if type(exc) is LookupError or isinstance(exc, UnicodeError):
        activate_language(request)
        return error_response(request, 400, MESSAGES[400])
    return server_error_handler(request, exc)


def server_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    activate_language(request)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, MESSAGES[500])
