"""The JSON API's errors: ``{"code": "...", "message": "..."}`` with a stable code for programs
and a message in the request's language (Accept-Language) for people; every route documents
the ones it may answer with."""

from __future__ import annotations

import logging

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from backend.errors import Refusal
from backend.i18n_markers import N_
from backend.web import i18n
from backend.web.errors import MESSAGES, activate_language, status_of

logger = logging.getLogger("minsheng")


class ErrorBody(msgspec.Struct):
    code: str
    message: str
    # A form's errors: field name → message (filing a case, say).
    fields: dict[str, str] = msgspec.field(default_factory=dict)


class ApiError(HTTPException):
    """An answer other than success, with its stable code; ``message`` is a message id."""

    def __init__(self, status_code: int, code: str, message: str, fields: dict[str, str] | None = None, headers=None):
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.fields = fields or {}


# The codes of answers that come from the framework rather than from an ApiError.
CODES = {
    400: "bad_request",
    401: "api_key_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}
BAD_PARAMETERS = N_("A parameter is missing or not valid.")

# What each documented status means in the schema (the message varies, the code does not).
_DESCRIPTIONS = {
    400: (
        "Bad parameters or body (bad_request); a filter naming an unknown category, department or area, a day"
        " outside 1970-01-01..2999-12-31, or a sort or cursor that cannot be used (bad_filter); an api_key in"
        " the URL instead of the Authorization header (api_key_in_url)."
    ),
    401: "No API key, or one that is unknown or revoked (api_key_required, invalid_api_key).",
    403: "The key's scope does not allow this, or the department does not handle the case (forbidden).",
    404: "No such resource (not_found).",
    409: "Not possible in the case's current state, or a submission_key already used for other content (conflict).",
    413: "The body is too large (too_large).",
    422: "What was sent is not valid; `fields` tells which (invalid).",
    429: "Too many requests for this key or address (rate_limited); see the RateLimit headers.",
    503: "The media store cannot be reached just now; nothing was stored, try again later (unavailable).",
}


def responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The error answers of a route, for the schema; 400 and 429 come with every route."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_DESCRIPTIONS[status], generate_examples=False)
        for status in sorted({400, 429, *statuses})
    }


def api_exception_handler(request: Request, exc: Exception) -> Response:
    activate_language(request)
    headers = {"cache-control": "no-store"}
    if isinstance(exc, ApiError):
        status, code, message, fields = exc.status_code, exc.code, exc.message, exc.fields
        headers.update(exc.headers or {})
    elif isinstance(exc, Refusal):  # the domain's refusals: 403 forbidden, 404 not_found, 409 conflict, 422 invalid
        status = status_of(exc)
        code, message, fields = CODES[status], exc.message, exc.fields
    elif isinstance(exc, HTTPException):
        status = exc.status_code if exc.status_code in CODES else 400
        code, message, fields = CODES[status], MESSAGES.get(status, MESSAGES[400]), {}
        if isinstance(exc, ValidationException):
            message = BAD_PARAMETERS
            fields = _validation_fields(exc)
        headers.update(exc.headers or {})
    elif type(exc) is LookupError or isinstance(exc, UnicodeError):  # text in no known charset
        status, code, message, fields = 400, CODES[400], MESSAGES[400], {}
    else:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        status, code, message, fields = 500, CODES[500], MESSAGES[500], {}
    body = ErrorBody(code, i18n.gettext(message), {name: i18n.gettext(text) for name, text in fields.items()})
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _validation_fields(exc: ValidationException) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict) and item.get("key"):
            fields[str(item["key"])] = BAD_PARAMETERS
    return fields


# Every kind the app's page handlers take (backend.app), so that none of theirs answers here.
EXCEPTION_HANDLERS = {
    kind: api_exception_handler for kind in (Refusal, HTTPException, UnicodeError, LookupError, TypeError, Exception)
}
