"""Sign-in, invitations, one's own passkeys, and the admin's accounts and audit log.

Thin adapters: the ceremonies, sessions and account rules live in ``passkeys``, ``sessions``
and ``services``. The passkey endpoints speak JSON to ``static/js/passkeys.js``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from math import ceil

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from typing import Annotated

from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template

from backend.accounts import audit, passkeys, services
from backend.accounts.audit import AUDIT_LABELS, AuditAction
from backend.accounts.guards import (
    admits,
    current,
    expired_session_cookie,
    home_path,
    relying_party,
    role_guard,
    session_cookie,
    sessions_of,
    signed_in,
)
from backend.accounts.passkeys import PasskeyRefused, Purpose
from backend.vocabulary import ROLE_LABELS, StaffRole
from backend.accounts.roles import BODY_LABELS, LEVEL_LABELS
from backend.accounts.services import AccountError, InvitationForm
from backend.accounts.sessions import Throttle, sign_in_attempts, sign_in_failures
from backend.departments.services import department_choices
from backend.i18n_markers import N_
from backend.settings import get_settings
from backend.web import i18n
from backend.web.errors import error_response, field_errors_response
from backend.web.forms import form_text, typed_form
from backend.web.pages import local_path
from backend.web.state import client_address
from backend.web.params import RowId, RowIdQuery
from backend.text import clean_text

CEREMONY_BODY_MAX = 64 * 1024
NEEDS_SCRIPT = N_("Passkeys need JavaScript. Turn it on for this site, or use another browser.")
NOT_FRESH = N_("Confirm it is you with your passkey first.")
TOO_MANY = N_("Too many sign-in attempts from your network. Try again in {minutes} minutes.")
EVERY_ROLE = tuple(StaffRole)
NO_STORE = {"cache-control": "no-store"}

AuditSearch = Annotated[str, QueryParameter(max_length=100)]  # a case number or a name


@dataclass(frozen=True)
class CeremonyResult:
    """What the passkey script posts: the authenticator's response, and a few words around it."""

    credential_json: str
    name: str  # for a new passkey
    next: str  # where sign-in should lead


async def _ceremony_result(request: Request) -> CeremonyResult | None:
    """The passkey script's JSON, or None if the request is not that (no script, say)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
    if not isinstance(data, dict) or not isinstance(data.get("credential", {}), dict):
        return None
    name, next_path = data.get("name", ""), data.get("next", "")
    return CeremonyResult(
        credential_json=json.dumps(data.get("credential", {})),
        name=name if isinstance(name, str) else "",
        next=next_path if isinstance(next_path, str) else "",
    )


def _json_options(options_json: str) -> Response:
    return Response(content=options_json.encode(), media_type="application/json", headers=NO_STORE)


def _account_error(request: Request, error: AccountError) -> Response:
    return field_errors_response(request, error)


async def _new_session_cookie(request: Request, account: services.AccountView) -> Cookie:
    """A new session for this person (ending the one the browser had): never a reused id, but
    for a browser already signed in as the same person (the autofill's ceremony and the button's
    both finished): its session stays, freshly verified, so no answer leaves it a dead cookie;
    unless the account's sessions were all ended meanwhile (a passkey removed): then a new one."""
    sessions = sessions_of(request)
    previous = signed_in(request)
    if previous is not None and previous.account.id == account.id and previous.account.session_epoch == account.session_epoch:
        await sessions.mark_verified(previous.token)
        token = previous.token
    else:
        token = await sessions.begin(account, replacing=previous.token if previous else None)
    return session_cookie(token, sessions, get_settings().secure_cookies)


async def _too_many(request: Request, throttle: Throttle) -> Response | None:
    wait = await throttle.blocked_for(client_address(request))
    if wait is None:
        return None
    minutes = max(1, ceil(wait / timedelta(minutes=1)))
    return error_response(request, 429, TOO_MANY, headers={"retry-after": str(ceil(wait.total_seconds()))}, minutes=minutes)


class SignInController(Controller):
    @get("/login")
    async def login_page(self, request: Request, next: FromQuery[str] = "") -> Response:
        session = signed_in(request)
        if session is not None:
            return Redirect(local_path(next) if next else home_path(session.account.role), status_code=303)
        return Template(template_name="login.html", context={"next": local_path(next) if next else ""}, headers=NO_STORE)

    @post("/login/options", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def sign_in_options(self, request: Request) -> Response:
        store = sessions_of(request).store
        if blocked := await _too_many(request, sign_in_failures(store)) or await _too_many(request, sign_in_attempts(store)):
            return blocked
        await sign_in_attempts(store).record(client_address(request))
        return _json_options(await passkeys.authentication_options(relying_party(get_settings()), Purpose.sign_in))

    @post("/login", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def sign_in(self, request: Request) -> Response:
        result = await _ceremony_result(request)
        if result is None:
            return error_response(request, 400, NEEDS_SCRIPT)
        failures = sign_in_failures(sessions_of(request).store)
        if blocked := await _too_many(request, failures):
            return blocked
        client = client_address(request)
        try:
            account = await passkeys.finish_authentication(relying_party(get_settings()), result.credential_json, Purpose.sign_in)
        except PasskeyRefused as refused:
            await failures.record(client)
            await audit.record(AuditAction.sign_in_failed, detail=refused.reason, client_address=client)
            if await failures.blocked_for(client):
                await audit.record(AuditAction.sign_in_throttled, client_address=client)
            return error_response(request, 400, refused.message)
        await audit.record(AuditAction.signed_in, actor=account.who, subject=account.who, client_address=client)
        target = local_path(result.next) if result.next else home_path(account.role)
        return Response({"redirect": target}, cookies=[await _new_session_cookie(request, account)], headers=NO_STORE)

    @post("/logout", status_code=303)
    async def sign_out(self, request: Request) -> Redirect:
        session = signed_in(request)
        if session is not None:
            await sessions_of(request).end(session.token)
            await audit.record(AuditAction.signed_out, actor=session.account.who, subject=session.account.who, client_address=client_address(request))
        # The app's offline copies of pages showed this person's name and work: a shared phone
        # keeps none of them (the service worker registers again on the next page).
        headers = {**NO_STORE, "clear-site-data": '"cache", "storage"'}
        return Redirect("/login?signed_out=1", status_code=303, cookies=[expired_session_cookie()], headers=headers)


class InvitationController(Controller):
    path = "/invitations"

    @get("/{token:str}")
    async def invitation_page(self, request: Request, token: FromPath[str]) -> Response:
        invitation = await services.open_invitation(token)
        if invitation is None:
            return error_response(request, 404, passkeys.INVITATION_GONE)
        return Template(
            template_name="invitation.html",
            context={"invitation": invitation, "token": token, "role_labels": ROLE_LABELS},
            headers={**NO_STORE, "x-robots-tag": "noindex, nofollow"},
        )

    @post("/{token:str}/options", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def enrolment_options(self, request: Request, token: FromPath[str]) -> Response:
        invitation = await services.open_invitation(token)
        if invitation is None:
            return error_response(request, 404, passkeys.INVITATION_GONE)
        return _json_options(await passkeys.registration_options(relying_party(get_settings()), invitation.account, Purpose.enrol))

    @post("/{token:str}", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def enrol(self, request: Request, token: FromPath[str]) -> Response:
        result = await _ceremony_result(request)
        if result is None:
            return error_response(request, 400, NEEDS_SCRIPT)
        invitation = await services.open_invitation(token)
        if invitation is None:
            return error_response(request, 404, passkeys.INVITATION_GONE)
        try:
            account = await passkeys.enrol(
                relying_party(get_settings()),
                invitation,
                result.credential_json,
                passkey_name=result.name,
                client_address=client_address(request),
            )
        except PasskeyRefused as refused:
            return error_response(request, 400, refused.message)
        return Response({"redirect": home_path(account.role)}, cookies=[await _new_session_cookie(request, account)], headers=NO_STORE)


class PasskeyController(Controller):
    """Everyone who signs in manages their own passkeys here."""

    path = "/account"
    guards = [role_guard]
    opt = admits(*EVERY_ROLE)

    @get("/passkeys")
    async def passkeys_page(self, request: Request, error: FromQuery[str] = "") -> Template:
        session = current(request)
        return Template(
            template_name="passkeys.html",
            context={
                "account": session.account,
                "passkeys": await passkeys.passkeys_of(session.account.id),
                "fresh": session.fresh,
                "role_labels": ROLE_LABELS,
            },
            headers=NO_STORE,
        )

    @post("/confirm/options", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def confirm_options(self, request: Request) -> Response:
        session = current(request)
        return _json_options(await passkeys.authentication_options(relying_party(get_settings()), Purpose.confirm, session.account))

    @post("/confirm", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def confirm(self, request: Request) -> Response:
        session = current(request)
        result = await _ceremony_result(request)
        if result is None:
            return error_response(request, 400, NEEDS_SCRIPT)
        try:
            await passkeys.finish_authentication(relying_party(get_settings()), result.credential_json, Purpose.confirm, session.account)
        except PasskeyRefused as refused:
            return error_response(request, 400, refused.message)
        await sessions_of(request).mark_verified(session.token)
        await audit.record(AuditAction.confirmed, actor=session.account.who, subject=session.account.who, client_address=client_address(request))
        return Response({"redirect": "/account/passkeys"}, headers=NO_STORE)

    @post("/passkeys/options", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def add_options(self, request: Request) -> Response:
        session = current(request)
        if not session.fresh:
            return error_response(request, 403, NOT_FRESH)
        return _json_options(await passkeys.registration_options(relying_party(get_settings()), session.account, Purpose.add))

    @post("/passkeys", request_max_body_size=CEREMONY_BODY_MAX, status_code=200)
    async def add(self, request: Request) -> Response:
        session = current(request)
        result = await _ceremony_result(request)
        if result is None:
            return error_response(request, 400, NEEDS_SCRIPT)
        if not session.fresh:
            return error_response(request, 403, NOT_FRESH)
        try:
            await passkeys.add(
                relying_party(get_settings()),
                session.account,
                result.credential_json,
                passkey_name=result.name,
                client_address=client_address(request),
            )
        except PasskeyRefused as refused:
            return error_response(request, 400, refused.message)
        return Response({"redirect": "/account/passkeys"}, headers=NO_STORE)

    @post("/passkeys/{passkey_id:str}/rename", status_code=303)
    async def rename(self, request: Request, passkey_id: RowId) -> Response:
        session = current(request)
        name = form_text(await request.form(), "name")
        try:
            await passkeys.rename(session.account, passkey_id, name, client_address=client_address(request))
        except AccountError as error:
            return _account_error(request, error)
        return Redirect("/account/passkeys", status_code=303)

    @post("/passkeys/{passkey_id:str}/remove", status_code=303)
    async def remove(self, request: Request, passkey_id: RowId) -> Response:
        session = current(request)
        if not session.fresh:
            return error_response(request, 403, NOT_FRESH)
        try:
            await passkeys.remove(session.account, passkey_id, client_address=client_address(request))
        except AccountError as error:
            return _account_error(request, error)
        # Removal ended every session of the account; this person goes on in a new one.
        cookie = await _new_session_cookie(request, await services.get_account(session.account.id))
        return Redirect("/account/passkeys?removed=1", status_code=303, cookies=[cookie])


class AdminController(Controller):
    path = "/admin"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    async def _accounts_page(
        self, form: InvitationForm, errors: dict[str, str], status_code: int = 200
    ) -> Template:
        return Template(
            template_name="admin/accounts.html",
            context={
                "accounts": await services.all_accounts(),
                "departments": await department_choices(),
                "form": form,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
                "role_labels": ROLE_LABELS,
                "body_labels": BODY_LABELS,
                "level_labels": LEVEL_LABELS,
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    def _invitation_page(self, issued: services.IssuedInvitation) -> Template:
        return Template(
            template_name="admin/invitation.html",
            context={"issued": issued, "url": f"{get_settings().origin}/invitations/{issued.token}"},
            status_code=201,
            headers=NO_STORE,
        )

    @get("/")
    async def admin_home(self) -> Redirect:
        return Redirect("/admin/accounts", status_code=303)

    @get("/accounts")
    async def accounts(self, department_id: RowIdQuery = None) -> Template:
        """``department_id``: inviting a handler for that department (from its admin page)."""
        form = InvitationForm(role=StaffRole.handler.value, department_id=str(department_id)) if department_id else InvitationForm()
        return await self._accounts_page(form, {})

    @post("/accounts", status_code=201)
    async def invite(self, request: Request) -> Template:
        form = typed_form(InvitationForm, await request.form())
        try:
            issued = await services.invite(form, actor=current(request).account.who, client_address=client_address(request))
        except AccountError as error:
            return await self._accounts_page(form, error.errors, 422)
        return self._invitation_page(issued)

    @post("/accounts/{account_id:str}/reinvite", status_code=201)
    async def reinvite(self, request: Request, account_id: RowId) -> Response:
        form = await request.form()
        try:
            issued = await services.reinvite(
                account_id,
                actor=current(request).account.who,
                revoke_passkeys=form.get("revoke_passkeys") == "yes",
                client_address=client_address(request),
            )
        except AccountError as error:
            return _account_error(request, error)
        return self._invitation_page(issued)

    @post("/accounts/{account_id:str}/disable", status_code=303)
    async def disable(self, request: Request, account_id: RowId) -> Response:
        return await self._set_active(request, account_id, False)

    @post("/accounts/{account_id:str}/enable", status_code=303)
    async def enable(self, request: Request, account_id: RowId) -> Response:
        return await self._set_active(request, account_id, True)

    async def _set_active(self, request: Request, account_id: int, active: bool) -> Response:
        try:
            await services.set_active(account_id, active, actor=current(request).account.who, client_address=client_address(request))
        except AccountError as error:
            return _account_error(request, error)
        return Redirect("/admin/accounts", status_code=303)

    @get("/audit", opt=admits(*audit.READERS))
    async def audit_log(
        self, before: RowIdQuery = None, what: FromQuery[AuditAction | None] = None, q: AuditSearch = ""
    ) -> Template:
        """The audit log, searchable: by kind of entry (who revealed a filer's contact details,
        say) and by a case number or a name."""
        q = clean_text(q)
        events = await audit.recent(before_id=before, action=what, text=q)
        return Template(
            template_name="admin/audit.html",
            context={
                "events": events,
                "labels": AUDIT_LABELS,
                "what": what.value if what else "",
                "q": q,
                "next_before": events[-1].id if len(events) == audit.PAGE_SIZE else None,
            },
            headers=NO_STORE,
        )
