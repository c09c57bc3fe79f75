"""The admin's pages for departments, categories and areas: thin adapters over ``services``.

Each has a list with a form to add one, and a page to change one. A form with errors comes back
as it was typed (422), with each message next to its field.
"""

from __future__ import annotations

from functools import partial
from typing import Awaitable, Callable

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Response, Template

from backend.accounts.guards import admits, current, role_guard
from backend.web.state import client_address
from backend.vocabulary import StaffRole
from backend.departments import boundaries, questions, services
from backend.departments.questions import QuestionForm, question_form as question_form_of
from backend.departments.services import AreaForm, CategoryForm, DepartmentForm, OrganisationError
from backend.web import i18n
from backend.web.errors import field_errors_response
from backend.web.forms import typed_form
from backend.web.params import RowId
from backend.errors import InvalidInput

NO_STORE = {"cache-control": "no-store"}


def _page(template: str, form, errors: dict[str, str], status_code: int, **context) -> Template:
    return Template(
        template_name=template,
        context={"form": form, "errors": {field: i18n.gettext(message) for field, message in errors.items()}, **context},
        status_code=status_code,
        headers=NO_STORE,
    )


async def _saved(
    request: Request, form, save: Callable[[], Awaitable[str]], page: Callable[..., Awaitable[Template]]
) -> Response:
    """Save, then go to where ``save`` says; or show the form again as typed with its errors."""
    try:
        location = await save()
    except OrganisationError as error:
        if error.kind is not InvalidInput:  # a form about something gone: its page, not the form
            return field_errors_response(request, error)
        return await page(form, error.errors, 422)
    return Redirect(location, status_code=303)


def _who(request: Request) -> dict:
    return {"actor": current(request).account.who, "client_address": client_address(request)}


AREA_FORM_MAX = 2 * boundaries.BOUNDARY_TEXT_MAX + 100_000  # a boundary pasted, or uploaded as a file


async def _area_form(request: Request) -> AreaForm:
    """The area form as typed; an uploaded GeoJSON file takes the place of the pasted text, so
    that the form comes back with it if it cannot be used."""
    data = await request.form()
    form = typed_form(AreaForm, data)
    upload = data.get("boundary_file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(boundaries.BOUNDARY_TEXT_MAX + 1)
        form.boundary = content.decode("utf-8", errors="replace")  # not GeoJSON, if not UTF-8 text: said so
    return form


def _found(form):
    if form is None:
        raise NotFoundException()
    return form


class OrganisationController(Controller):
    """Each ``_…_page`` is the list with a form to add one (no id), or the page to change one."""

    path = "/admin"
    guards = [role_guard]
    opt = admits(StaffRole.admin)

    # Departments, with the people who handle their cases and the categories they receive.

    async def _department_page(self, department_id: int | None, form: DepartmentForm, errors: dict, status_code: int = 200) -> Template:
        if department_id is None:
            departments = await services.departments_overview()
            return _page("admin/departments.html", form, errors, status_code, department_id=None, departments=departments)
        return _page("admin/department.html", form, errors, status_code, department_id=department_id)

    @get("/departments")
    async def departments(self) -> Template:
        return await self._department_page(None, DepartmentForm(), {})

    @post("/departments", status_code=303)
    async def create_department(self, request: Request) -> Response:
        form = typed_form(DepartmentForm, await request.form())

        async def save() -> str:
            return f"/admin/departments#department-{await services.create_department(form, **_who(request))}"

        return await _saved(request, form, save, partial(self._department_page, None))

    @get("/departments/{department_id:str}")
    async def department(self, department_id: RowId) -> Template:
        return await self._department_page(department_id, _found(await services.department_form(department_id)), {})

    @post("/departments/{department_id:str}", status_code=303)
    async def update_department(self, request: Request, department_id: RowId) -> Response:
        form = typed_form(DepartmentForm, await request.form())

        async def save() -> str:
            await services.update_department(department_id, form, **_who(request))
            return f"/admin/departments#department-{department_id}"

        return await _saved(request, form, save, partial(self._department_page, department_id))

    # Categories, each with the department that usually handles it and its usual type.

    async def _category_page(
        self,
        category_id: int | None,
        form: CategoryForm,
        errors: dict,
        status_code: int = 200,
        question: tuple[int | None, QuestionForm, dict] = (None, QuestionForm(), {}),
    ) -> Template:
        """``question``: a question form sent back with its errors (the id it changes, or None to add)."""
        question_id, question_form, question_errors = question
        return _page(
            "admin/categories.html" if category_id is None else "admin/category.html",
            form,
            errors,
            status_code,
            category_id=category_id,
            categories=await services.all_categories() if category_id is None else [],
            departments=await services.department_choices(),
            questions=await questions.questions_of(category_id) if category_id else [],
            datatype_labels=questions.DATATYPE_LABELS,
            question_id=question_id,
            question_form=question_form,
            empty_question=QuestionForm(),
            edit_form=question_form_of,
            question_errors={field: i18n.gettext(message) for field, message in question_errors.items()},
        )

    @get("/categories")
    async def categories(self) -> Template:
        return await self._category_page(None, CategoryForm(), {})

    @post("/categories", status_code=303)
    async def create_category(self, request: Request) -> Response:
        form = typed_form(CategoryForm, await request.form())

        async def save() -> str:
            return f"/admin/categories#category-{await services.create_category(form, **_who(request))}"

        return await _saved(request, form, save, partial(self._category_page, None))

    @get("/categories/{category_id:str}")
    async def category(self, category_id: RowId) -> Template:
        return await self._category_page(category_id, _found(await services.category_form(category_id)), {})

    @post("/categories/{category_id:str}", status_code=303)
    async def update_category(self, request: Request, category_id: RowId) -> Response:
        form = typed_form(CategoryForm, await request.form())

        async def save() -> str:
            await services.update_category(category_id, form, **_who(request))
            return f"/admin/categories#category-{category_id}"

        return await _saved(request, form, save, partial(self._category_page, category_id))

    # The questions a category asks of every filing in it (Open311's attributes).

    @post("/categories/{category_id:str}/questions", status_code=303)
    async def add_question(self, request: Request, category_id: RowId) -> Response:
        return await self._save_question(request, category_id, None)

    @post("/categories/{category_id:str}/questions/{question_id:str}", status_code=303)
    async def change_question(self, request: Request, category_id: RowId, question_id: RowId) -> Response:
        return await self._save_question(request, category_id, question_id)

    async def _save_question(self, request: Request, category_id: int, question_id: int | None) -> Response:
        form = typed_form(QuestionForm, await request.form())
        try:
            await questions.save_question(category_id, question_id, form, **_who(request))
        except OrganisationError as error:
            if error.kind is not InvalidInput:  # a form about something gone: its page, not the form
                return field_errors_response(request, error)
            category = _found(await services.category_form(category_id))
            return await self._category_page(category_id, category, {}, 422, (question_id, form, error.errors))
        return Redirect(f"/admin/categories/{category_id}#questions", status_code=303)

    @post("/categories/{category_id:str}/questions/{question_id:str}/remove", status_code=303)
    async def remove_question(self, request: Request, category_id: RowId, question_id: RowId) -> Response:
        try:
            await questions.remove_question(category_id, question_id, **_who(request))
        except OrganisationError as error:
            return field_errors_response(request, error)
        return Redirect(f"/admin/categories/{category_id}#questions", status_code=303)

    # Areas: districts, and the streets and towns in them.

    async def _area_page(self, area_id: int | None, form: AreaForm, errors: dict, status_code: int = 200) -> Template:
        return _page(
            "admin/areas.html" if area_id is None else "admin/area.html",
            form,
            errors,
            status_code,
            area_id=area_id,
            districts=await services.area_tree(),
        )

    @get("/areas")
    async def areas(self) -> Template:
        return await self._area_page(None, AreaForm(), {})

    @post("/areas", status_code=303, request_max_body_size=AREA_FORM_MAX)
    async def create_area(self, request: Request) -> Response:
        form = await _area_form(request)

        async def save() -> str:
            return f"/admin/areas#area-{await services.create_area(form, **_who(request))}"

        return await _saved(request, form, save, partial(self._area_page, None))

    @get("/areas/{area_id:str}")
    async def area(self, area_id: RowId) -> Template:
        return await self._area_page(area_id, _found(await services.area_form(area_id)), {})

    @post("/areas/{area_id:str}", status_code=303, request_max_body_size=AREA_FORM_MAX)
    async def update_area(self, request: Request, area_id: RowId) -> Response:
        form = await _area_form(request)

        async def save() -> str:
            await services.update_area(area_id, form, **_who(request))
            return f"/admin/areas#area-{area_id}"

        return await _saved(request, form, save, partial(self._area_page, area_id))
