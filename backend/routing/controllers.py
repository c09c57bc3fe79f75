"""The admin's pages for routing rules (派单规则): the rules in order with a form to add one, a
page to change one, buttons to move and delete, and the return rate of each rule. Thin adapters
over ``services``. A form with errors comes back as it was typed (422), each message next to its
field.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Response, Template

from backend.accounts.guards import admits, current, role_guard
from backend.departments.services import all_categories, area_tree, department_choices
from backend.routing import services
from backend.routing.services import RoutingError, RuleForm
from backend.vocabulary import StaffRole
from backend.web import i18n
from backend.web.errors import field_errors_response
from backend.web.forms import form_text
from backend.web.params import RowId
from backend.web.state import client_address
from backend.errors import InvalidInput
from backend.i18n_markers import N_

NO_STORE = {"cache-control": "no-store"}


def _form(data: FormMultiDict) -> RuleForm:
    return RuleForm(
        category_id=form_text(data, "category_id"),
        area_id=form_text(data, "area_id"),
        department_id=form_text(data, "department_id"),
        co_department_ids=tuple(value for value in data.getall("co_department_ids", []) if isinstance(value, str))[:100],
        automatic=form_text(data, "automatic"),
    )


def _who(request: Request) -> dict:
    return {"actor": current(request).account.who, "client_address": client_address(request)}


class RoutingController(Controller):
    path = "/admin/routing"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    async def _page(self, rule_id: int | None, form: RuleForm, errors: dict, status_code: int = 200) -> Template:
        return Template(
            template_name="admin/routing.html" if rule_id is None else "admin/routing_rule.html",
            context={
                "rule_id": rule_id,
                "form": form,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
                "rules": await services.rule_views() if rule_id is None else [],
                "categories": await all_categories(),
                "districts": await area_tree(),
                "departments": await department_choices(),
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    async def _save(self, request: Request, rule_id: int | None) -> Response:
        form = _form(await request.form())
        try:
            saved = await services.save_rule(rule_id, form, **_who(request))
        except RoutingError as error:
            if error.kind is not InvalidInput:  # the rule is gone: its page, not the form
                return field_errors_response(request, error)
            return await self._page(rule_id, form, error.errors, 422)
        return Redirect(f"/admin/routing#rule-{saved}", status_code=303)

    @get("/")
    async def rules(self) -> Template:
        return await self._page(None, RuleForm(), {})

    @post("/", status_code=303)
    async def create_rule(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/returns")
    async def returns(self) -> Template:
        """How often the department each rule chose returned the case as not theirs."""
        return Template(template_name="admin/routing_returns.html", context={"rates": await services.return_rates()}, headers=NO_STORE)

    @get("/{rule_id:str}")
    async def rule(self, rule_id: RowId) -> Template:
        view = await services.rule_view(rule_id)
        if view is None:
            raise NotFoundException()
        return await self._page(rule_id, view.form(), {})

    @post("/{rule_id:str}", status_code=303)
    async def update_rule(self, request: Request, rule_id: RowId) -> Response:
        return await self._save(request, rule_id)

    @post("/{rule_id:str}/move", status_code=303)
    async def move_rule(self, request: Request, rule_id: RowId) -> Response:
        direction = form_text(await request.form(), "direction")
        if direction not in ("up", "down"):
            raise InvalidInput(N_("Move the rule up or down."))
        later = direction == "down"
        try:
            await services.move_rule(rule_id, later, **_who(request))
        except RoutingError as error:
            return field_errors_response(request, error)
        return Redirect(f"/admin/routing#rule-{rule_id}", status_code=303)

    @post("/{rule_id:str}/delete", status_code=303)
    async def delete_rule(self, request: Request, rule_id: RowId) -> Response:
        try:
            await services.delete_rule(rule_id, **_who(request))
        except RoutingError as error:
            return field_errors_response(request, error)
        return Redirect("/admin/routing", status_code=303)
