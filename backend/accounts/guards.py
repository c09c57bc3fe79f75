"""The web side of signing in: the session middleware, role guards, and each role's home.

Every staff route declares the roles it admits with ``opt=admits(...)``; ``role_guard`` checks
them on the server for every request and refuses routes that declare none (fail closed).
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.accounts.passkeys import RelyingParty
from backend.vocabulary import StaffRole
from backend.accounts.sessions import COOKIE_NAME, Sessions, SignedIn
from backend.i18n_markers import N_
from backend.settings import Settings, get_settings
from backend.errors import Forbidden
from backend.web.state import SIGNED_IN

HOME_PATHS = {
    StaffRole.admin: "/admin/accounts",
    StaffRole.moderator: "/moderation",
    StaffRole.handler: "/department",
    StaffRole.leader: "/leader",
    StaffRole.representative: "/representatives",
}
STATE_KEY = SIGNED_IN


def home_path(role: str) -> str:
    return HOME_PATHS[StaffRole(role)]


def relying_party(settings: Settings) -> RelyingParty:
    return RelyingParty(id=settings.rp_id, name="Minsheng 民生", origin=settings.origin)


def session_cookie(token: str, sessions: Sessions, secure: bool) -> Cookie:
    """Only for this site's pages (HttpOnly, SameSite=Lax), and only over https when it is served so."""
    return Cookie(
        key=COOKIE_NAME, value=token, path="/", max_age=sessions.cookie_max_age(), httponly=True, samesite="lax", secure=secure
    )


def expired_session_cookie() -> Cookie:
    return Cookie(
        key=COOKIE_NAME, value="", path="/", max_age=0, httponly=True, samesite="lax", secure=get_settings().secure_cookies
    )


def signed_in(connection: ASGIConnection) -> SignedIn | None:
    return connection.scope.get("state", {}).get(STATE_KEY)


def sessions_of(connection: ASGIConnection) -> Sessions:
    return connection.app.state.sessions


class SessionMiddleware(ASGIMiddleware):
    """Resolves the session cookie once per request; clears a cookie that no longer works."""

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return scope["path"].startswith(("/static/", "/media/"))  # files: the same for everyone

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection = ASGIConnection(scope)
        token = connection.cookies.get(COOKIE_NAME)
        # A live stream reconnects by itself: not a sign that someone is at the page.
        touch = not scope["path"].endswith("/events")
        session = await sessions_of(connection).resolve(token, touch=touch) if token else None
        scope.setdefault("state", {})[STATE_KEY] = session
        if not token or session is not None:
            await next_app(scope, receive, send)
            return

        async def send_clearing_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if not any(value.startswith(f"{COOKIE_NAME}=") for value in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", expired_session_cookie().to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_clearing_cookie)


class SignInRequired(NotAuthorizedException):
    pass


def admits(*roles: StaffRole) -> dict:
    return {"roles": frozenset(roles)}


async def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    roles = handler.opt.get("roles")
    if not roles:
        raise PermissionDeniedException("route declares no roles")
    session = signed_in(connection)
    if session is None:
        raise SignInRequired()
    if StaffRole(session.account.role) not in roles:
        raise PermissionDeniedException()


STAFF_NOT_CITIZEN = N_(
    "You are signed in with an official account, and a follow link is for the person who filed the case: "
    "no one acts for them. Sign out to use it."
)


async def citizens_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """What a follow link lets its holder do, for the citizen alone: never from a signed-in
    session, so that no department rates its own answer or otherwise acts as the filer."""
    if signed_in(connection) is not None:
        raise Forbidden(STAFF_NOT_CITIZEN)


def current(connection: ASGIConnection) -> SignedIn:
    """The session of a guarded route (the guard has made sure there is one)."""
    session = signed_in(connection)
    if session is None:
        raise SignInRequired()
    return session
