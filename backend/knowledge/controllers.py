"""The knowledge base's pages: the public answers (``/answers``, and the report form's "these
may already answer your question"), the staff's entries with their history, and the reply
templates (filled in on the reply form by ``cases.workspaces``). Thin adapters over ``services`` and ``templates``.

A form with errors comes back as it was typed (422), each message next to its field.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Awaitable, Callable

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Redirect, Response, Template

from backend.accounts.guards import admits, current, role_guard
from backend.accounts.services import AccountView
from backend.departments.services import all_categories, department_choices
from backend.errors import FieldErrors, InvalidInput
from backend.knowledge import services, templates
from backend.knowledge.services import EntryForm, Editor
from backend.knowledge.templates import TemplateForm
from backend.text import clean_text
from backend.vocabulary import StaffRole
from backend.web import i18n
from backend.web.caching import public_record
from backend.web.errors import field_errors_response
from backend.web.forms import form_text, typed_form
from backend.web.params import RowId

NO_STORE = {"cache-control": "no-store"}
EDITORS = admits(StaffRole.moderator, StaffRole.handler)
Query = Annotated[str, QueryParameter(max_length=200)]
Page = Annotated[int, QueryParameter(ge=1, le=1000)]
SUGGESTION_BODY_MAX = 64 * 1024  # a title and a description as the report form allows them, encoded


def editor_of(account: AccountView) -> Editor:
    """A handler writes as the department; a moderator under their own name."""
    if account.role == StaffRole.handler:
        return Editor(account.role, account.department_id, account.id, account.department_name or "")
    return Editor(account.role, None, account.id, account.name)


def _errors(errors: dict[str, str]) -> dict[str, str]:
    return {field: i18n.gettext(message) for field, message in errors.items()}


async def _saved(request: Request, save: Callable[[], Awaitable[str]], page: Callable[[dict], Awaitable[Template]]) -> Response:
    """Save, then go where ``save`` says; or the form again as typed with its errors."""
    try:
        location = await save()
    except FieldErrors as error:
        if error.kind is not InvalidInput:  # about something gone (or another department's): its page
            return field_errors_response(request, error)
        return await page(error.errors)
    return Redirect(location, status_code=303)


class AnswersController(Controller):
    """What the public reads: the knowledge base's public entries of today."""

    @get("/answers", opt=public_record())
    async def answers(self, q: Query = "", page: Page = 1) -> Template:
        query = clean_text(q)
        if query:
            found, more = await services.search(query), False
        else:
            found, more = await services.public_entries(page)
        return Template(template_name="answers.html", context={"entries": found, "q": query, "page": page, "more": more})

    @get("/answers/{entry_id:str}", opt=public_record())
    async def answer(self, entry_id: RowId) -> Template:
        entry = await services.public_entry(entry_id)
        if entry is None:
            raise NotFoundException()
        return Template(template_name="answer.html", context={"entry": entry})

    @post("/report/answers", status_code=200, request_max_body_size=SUGGESTION_BODY_MAX)
    async def report_answers(self, request: Request) -> Template:
        """The entries that may already answer what the citizen is typing (htmx, as they type).
        Posted, not asked in the address: a long description would not fit in one."""
        form = await request.form()
        text = f"{clean_text(form_text(form, 'title'))} {clean_text(form_text(form, 'description'))}"
        found = await services.search(text, limit=services.SUGGESTIONS)
        return Template(template_name="partials/answer_suggestions.html", context={"entries": found}, headers=NO_STORE)


class KnowledgeController(Controller):
    """The entries, for moderators (all) and departments (their own)."""

    path = "/staff/knowledge"
    guards = [role_guard]
    opt = EDITORS

    async def _form_page(self, request: Request, entry_id: int | None, form: EntryForm, errors: dict, status_code: int = 200) -> Template:
        return Template(
            template_name="staff/knowledge_entry.html",
            context={
                "entry_id": entry_id,
                "form": form,
                "errors": _errors(errors),
                "moderates": editor_of(current(request).account).moderates,
                "categories": await all_categories(),
                "departments": await department_choices(),
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/")
    async def entries(self, request: Request) -> Template:
        editor = editor_of(current(request).account)
        entries = await services.staff_entries(editor)
        today = services.today()
        return Template(
            template_name="staff/knowledge.html",
            context={
                "due": [entry for entry in entries if entry.due_for_review(today)],
                "entries": entries,
                "today": today,
                "moderates": editor.moderates,
            },
            headers=NO_STORE,
        )

    @get("/new")
    async def new_entry(self, request: Request) -> Template:
        return await self._form_page(request, None, EntryForm(), {})

    @post("/", status_code=303)
    async def create_entry(self, request: Request) -> Response:
        form = typed_form(EntryForm, await request.form())

        async def save() -> str:
            return f"/staff/knowledge/{await services.save_entry(None, form, editor_of(current(request).account))}"

        return await _saved(request, save, lambda errors: self._form_page(request, None, form, errors, 422))

    @get("/{entry_id:str}")
    async def entry(self, request: Request, entry_id: RowId) -> Template:
        entry = await services.staff_entry(entry_id, editor_of(current(request).account))
        if entry is None:
            raise NotFoundException()
        return await self._form_page(request, entry_id, services.form_of(entry), {})

    @post("/{entry_id:str}", status_code=303)
    async def update_entry(self, request: Request, entry_id: RowId) -> Response:
        form = typed_form(EntryForm, await request.form())

        async def save() -> str:
            await services.save_entry(entry_id, form, editor_of(current(request).account))
            return f"/staff/knowledge/{entry_id}"

        return await _saved(request, save, lambda errors: self._form_page(request, entry_id, form, errors, 422))

    @get("/{entry_id:str}/history")
    async def entry_history(self, request: Request, entry_id: RowId) -> Template:
        entry = await services.staff_entry(entry_id, editor_of(current(request).account))
        if entry is None:
            raise NotFoundException()
        categories = {row.id: row for row in await all_categories()}
        departments = {row["id"]: row for row in await department_choices()}
        return Template(
            template_name="staff/knowledge_history.html",
            context={"entry": entry, "revisions": await services.history(entry_id), "categories": categories, "departments": departments},
            headers=NO_STORE,
        )


class ReplyTemplateController(Controller):
    """Reply templates: the centre's (moderators) and each department's (its handlers)."""

    guards = [role_guard]

    async def _page(self, request: Request, template_id: int | None, form: TemplateForm, errors: dict, status_code: int = 200) -> Template:
        editor = editor_of(current(request).account)
        return Template(
            template_name="staff/reply_templates.html" if template_id is None else "staff/reply_template.html",
            context={
                "template_id": template_id,
                "form": form,
                "errors": _errors(errors),
                "moderates": editor.moderates,
                "templates": await templates.editable_templates(editor) if template_id is None else [],
                "departments": await department_choices(),
                "placeholders": templates.PLACEHOLDERS,
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/staff/templates", opt=EDITORS)
    async def reply_templates(self, request: Request) -> Template:
        return await self._page(request, None, TemplateForm(), {})

    @post("/staff/templates", opt=EDITORS, status_code=303)
    async def create_template(self, request: Request) -> Response:
        form = typed_form(TemplateForm, await request.form())

        async def save() -> str:
            return f"/staff/templates#template-{await templates.save_template(None, form, editor_of(current(request).account))}"

        return await _saved(request, save, partial(self._page, request, None, form, status_code=422))

    @get("/staff/templates/{template_id:str}", opt=EDITORS)
    async def reply_template(self, request: Request, template_id: RowId) -> Template:
        found = await templates.editable_template(template_id, editor_of(current(request).account))
        if found is None:
            raise NotFoundException()
        return await self._page(request, template_id, templates.form_of(found), {})

    @post("/staff/templates/{template_id:str}", opt=EDITORS, status_code=303)
    async def update_template(self, request: Request, template_id: RowId) -> Response:
        form = typed_form(TemplateForm, await request.form())

        async def save() -> str:
            await templates.save_template(template_id, form, editor_of(current(request).account))
            return f"/staff/templates#template-{template_id}"

        return await _saved(request, save, partial(self._page, request, template_id, form, status_code=422))
