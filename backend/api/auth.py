"""Machines authenticate to the JSON API and Open311 with an API key, never with a session.

``ApiKeyMiddleware`` reads the key of requests to API paths (``Authorization: Bearer …``, or
Open311's ``api_key`` parameter; the JSON API refuses a key in its URL) before the CSRF check,
which skips exactly the requests whose key is valid. An unsafe request to an API path without
a valid key is refused here, whatever cookies it carries: a browser's session never acts
through the API.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.accounts.api_keys import KeyHolder, holder_of
from backend.api.errors import ApiError
from backend.i18n_markers import N_
from backend.settings import Settings
from backend.web.state import API_KEY_HOLDER, client_address

API_PATHS = ("/api/", "/open311/")
OPEN311_PATH = "/open311/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATE_KEY = API_KEY_HOLDER
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

KEY_REQUIRED = N_("This needs an API key: send it as Authorization: Bearer <key>.")
KEY_INVALID = N_("This API key is not valid or has been revoked.")
SCOPE_REFUSED = N_("This API key may not do this.")
OPEN311_KEY_REQUIRED = N_("Send an api_key with this request.")
KEY_IN_URL = N_("Send the API key as Authorization: Bearer <key>, never in the URL.")


def holder(connection: ASGIConnection) -> KeyHolder | None:
    return connection.scope.get("state", {}).get(STATE_KEY)


def _bearer(authorization: str) -> str:
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _refusal(scope: Scope, status: int, code: str, message: str) -> ApiError:
    # Open311 answers a missing or wrong api_key with 403, as its specification says.
    if scope["path"].startswith(OPEN311_PATH):
        return ApiError(403, code, OPEN311_KEY_REQUIRED if code == "api_key_required" else message)
    return ApiError(status, code, message, headers={"www-authenticate": "Bearer"})


class ApiKeyMiddleware(ASGIMiddleware):
    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return not scope["path"].startswith(API_PATHS)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope, receive)
        open311 = scope["path"].startswith(OPEN311_PATH)
        # Only Open311's specification puts the key in the URL, where access logs keep it.
        if "api_key" in request.query_params and not open311:
            raise ApiError(400, "api_key_in_url", KEY_IN_URL)
        key = _bearer(request.headers.get("authorization", "")) or request.query_params.get("api_key", "")
        unsafe = scope["method"] not in SAFE_METHODS
        if not key and unsafe and open311 and request.content_type[0] in FORM_TYPES:
            # Open311 sends the key with the form; the parsed form stays with the request.
            value = (await request.form()).get("api_key", "")
            key = value if isinstance(value, str) else ""
        found = await holder_of(key) if key else None
        scope.setdefault("state", {})[STATE_KEY] = found
        if key and found is None:
            raise _refusal(scope, 401, "invalid_api_key", KEY_INVALID)
        if found is None and unsafe:
            raise _refusal(scope, 401, "api_key_required", KEY_REQUIRED)
        await next_app(scope, receive, send)


def requires(*scopes: str):
    """A guard: the request's key must allow one of ``scopes`` (read, file, moderator, staff)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        found = holder(connection)
        if found is None:
            raise _refusal(connection.scope, 401, "api_key_required", KEY_REQUIRED)
        if not any(found.may(scope) for scope in scopes):
            raise ApiError(403, "forbidden", SCOPE_REFUSED)

    return guard


def rate_limit(settings: Settings) -> RateLimitConfig:
    """Per key, or per address for requests without one. The counts live in the sessions'
    store (files shared by the workers, or Redis), so the limit holds across workers; with
    files, workers racing on the same key may let a few requests more through."""

    def identifier(request: Request) -> str:
        found = holder(request)
        return f"api-key:{found.id}" if found else f"address:{client_address(request)}"

    return RateLimitConfig(rate_limit=("minute", settings.api_requests_per_minute), identifier_for_request=identifier)
