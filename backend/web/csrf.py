"""CSRF for the one form that checks its own token: the report form.

Litestar's middleware guards every other unsafe request. The report form opts out of it and
checks here instead, with the same token format, so that a stale page does not end in a bare
403 but in the form again, with everything the person typed and a fresh token.
"""

from __future__ import annotations

from dataclasses import dataclass
from hmac import compare_digest

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie, FormMultiDict
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from backend.settings import Settings
from backend.web.state import API_KEY_HOLDER

COOKIE_NAME = "csrftoken"
HEADER_NAME = "x-csrftoken"
FORM_FIELD = "_csrf_token"


def config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=COOKIE_NAME,
        header_name=HEADER_NAME,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        # Year-long cacheable files must never carry a Set-Cookie with someone's token.
        exclude=["/static", "/media"],
    )


class KeyAwareCSRFMiddleware(CSRFMiddleware):
    """Litestar's CSRF check, skipped for exactly the requests that authenticated with a valid
    API key (``backend.api.auth``): a page cannot make a browser send one. Everything else,
    sessions included, is checked as before."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("state", {}).get(API_KEY_HOLDER) is not None:
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _secret_part(token: str, secret: str) -> str | None:
    if not token.isascii():  # compare_digest refuses non-ASCII text: such a token is just wrong
        return None
    token_secret, token_hash = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    if len(token_secret) != CSRF_SECRET_LENGTH or not token_hash:
        return None
    return token_secret if compare_digest(token_hash, generate_csrf_hash(token_secret, secret)) else None


@dataclass(frozen=True)
class CsrfCheck:
    ok: bool
    new_cookie: Cookie | None  # set it on the response when the browser had no valid token


def check_form(request: Request, form: FormMultiDict, settings: Settings) -> CsrfCheck:
    """Verify the token; either way leave a valid token in the request for re-rendering."""
    state = ScopeState.from_scope(request.scope)
    cookie = request.cookies.get(COOKIE_NAME) or ""
    sent = request.headers.get(HEADER_NAME) or form.get(FORM_FIELD) or ""
    cookie_secret = _secret_part(cookie, settings.secret_key)
    if isinstance(sent, str) and cookie_secret and compare_digest(_secret_part(sent, settings.secret_key) or "", cookie_secret):
        state.csrf_token = sent
        return CsrfCheck(True, None)
    if cookie_secret:
        state.csrf_token = cookie
        return CsrfCheck(False, None)
    state.csrf_token = generate_csrf_token(settings.secret_key)
    return CsrfCheck(
        False,
        Cookie(
            key=COOKIE_NAME,
            value=state.csrf_token,
            path="/",
            secure=settings.secure_cookies,
            httponly=True,
            samesite="lax",
        ),
    )
