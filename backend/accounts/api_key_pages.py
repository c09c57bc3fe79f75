"""The admins' page of API keys: make one (shown once), see them all, revoke one."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from backend.accounts import api_keys
from backend.vocabulary import SCOPE_LABELS, STAFF, StaffRole
from backend.accounts.api_keys import ApiKeyError
from backend.accounts.guards import admits, current, role_guard
from backend.web.state import client_address
from backend.departments.services import department_choices
from backend.web import i18n
from backend.web.errors import field_errors_response
from backend.web.forms import form_text
from backend.web.params import RowId

NO_STORE = {"cache-control": "no-store"}
FIELDS = ("name", "kind", "department_id")


class ApiKeyController(Controller):
    path = "/admin/api-keys"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    async def _page(self, typed: dict[str, str], errors: dict[str, str], status_code: int = 200, issued=None) -> Template:
        return Template(
            template_name="admin/api_keys.html",
            context={
                "keys": await api_keys.all_keys(),
                "departments": await department_choices(),
                "scope_labels": SCOPE_LABELS,
                "typed": typed,
                "issued": issued,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/")
    async def keys(self) -> Template:
        return await self._page(dict.fromkeys(FIELDS, ""), {})

    @post("/", status_code=201)
    async def create(self, request: Request) -> Template:
        form = await request.form()
        typed = {name: form_text(form, name) for name in FIELDS}
        scope = f"{STAFF}:{typed['department_id']}" if typed["kind"] == STAFF else typed["kind"]
        try:
            issued = await api_keys.create_key(
                typed["name"], scope, actor=current(request).account.who, client_address=client_address(request)
            )
        except ApiKeyError as error:
            return await self._page(typed, error.errors, 422)
        return await self._page(dict.fromkeys(FIELDS, ""), {}, 201, issued=issued)

    @post("/{key_id:str}/revoke", status_code=303)
    async def revoke(self, request: Request, key_id: RowId) -> Response:
        try:
            await api_keys.revoke_key(key_id, actor=current(request).account.who, client_address=client_address(request))
        except ApiKeyError as error:
            return field_errors_response(request, error)
        return Redirect("/admin/api-keys", status_code=303)
