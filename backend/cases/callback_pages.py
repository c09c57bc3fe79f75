"""The centre's callback queue and the disputes waiting for it (``/moderation/callbacks``), and
the admins' escalation ladder (``/admin/escalation``). Thin adapters over ``callbacks`` and
``escalation``; a callback itself is recorded on the staff case page, as every action is.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from backend.accounts.guards import admits, current, role_guard
from backend.cases import callbacks, escalation
from backend.vocabulary import StaffRole
from backend.web import i18n
from backend.web.errors import status_of
from backend.web.forms import form_text

NO_STORE = {"cache-control": "no-store"}


class CallbackController(Controller):
    guards = [role_guard]

    @get("/moderation/callbacks", opt=admits(StaffRole.moderator))
    async def callback_queue(self) -> Template:
        return Template(
            template_name="staff/callbacks.html",
            context={
                "queue": await callbacks.queue(),
                "disputes": await callbacks.pending_disputes(),
                "reason_labels": {reason.value: label for reason, label in callbacks.REASON_LABELS.items()},
            },
            headers=NO_STORE,
        )

    async def _ladder_page(self, errors: dict[str, str], typed: dict | None = None, status_code: int = 200) -> Template:
        return Template(
            template_name="admin/escalation.html",
            context={
                "steps": list((await escalation.ladder()).values()),
                "level_labels": escalation.LEVEL_LABELS,
                "typed": typed or {},
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/admin/escalation", opt=admits(StaffRole.admin))
    async def ladder_page(self) -> Template:
        return await self._ladder_page({})

    @post("/admin/escalation", opt=admits(StaffRole.admin), status_code=303)
    async def change_step(self, request: Request) -> Response:
        data = await request.form()
        typed = {name: form_text(data, name) for name in ("case_type", "leader_after_hours")}
        try:
            case_type = await escalation.set_step(typed["case_type"], typed["leader_after_hours"], actor=current(request).account.who)
        except escalation.LadderError as error:
            return await self._ladder_page(error.errors, typed, status_of(error))
        return Redirect(f"/admin/escalation#step-{case_type.value}", status_code=303)
