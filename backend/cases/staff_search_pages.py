"""The staff search page (/staff/search), its CSV, and each person's saved views of it: a thin
adapter over ``cases.staff_search``."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Stream, Template

from backend.accounts.audit import Who
from backend.accounts.guards import admits, current, role_guard
from backend.cases import browse, export, staff_search
from backend.cases.filing import SOURCE_LABELS
from backend.cases.staff_search import BadView, StaffFilter
from backend.settings import get_settings
from backend.vocabulary import CASE_TYPE_LABELS, StaffRole
from backend.web import i18n
from backend.web.errors import status_of
from backend.web.forms import form_text
from backend.web.params import RowId

NO_STORE = {"cache-control": "no-store"}
SEARCHERS = (StaffRole.moderator, StaffRole.leader, StaffRole.handler)


def _messages(errors: dict[str, str]) -> dict[str, str]:
    return {name: i18n.gettext(message) for name, message in errors.items()}


class StaffSearchController(Controller):
    guards = [role_guard]

    async def _page(self, request: Request, view_errors: dict[str, str] | None = None, typed_name: str = "", status_code: int = 200) -> Template:
        """The search page for the query string's filter; a filter it cannot use is shown with
        its messages, the form keeping what was typed (400, or 403 for a search not theirs)."""
        account = current(request).account
        viewer = staff_search.viewer_of(account)
        params = request.query_params
        errors: dict[str, str] = {}
        page = staff_filter = sort = None
        try:
            staff_filter = StaffFilter.from_params(params)
            sort = staff_search.parse_sort(params.get("sort"))
            page = await staff_search.search(viewer, staff_filter, sort, params.get("cursor") or None, who=Who(account.id, account.name))
        except browse.BadFilter as bad:
            errors, status_code = _messages(bad.errors), status_of(bad)
        except staff_search.PhoneNotAllowed as refused:
            errors, status_code = {"phone": i18n.gettext(refused.message)}, status_of(refused)
        return Template(
            template_name="staff/search.html",
            context={
                "page": page,
                "searched": bool(staff_filter and staff_filter.params()),
                "query": staff_search.query_string(staff_filter, sort) if page else "",
                "filter_query": urlencode(staff_filter.params()) if page else "",  # for the sort links
                "sort": sort.value if sort else "",
                "values": {name: params.get(name) or "" for name in [*staff_search.PARAMETERS, "sort"]},
                "errors": errors,
                "view_errors": _messages(view_errors or {}),
                "typed_name": typed_name,
                "choices": await browse.choices(),
                "status_groups": staff_search.STATUS_GROUP_LABELS,
                "statuses": staff_search.STATUSES,
                "flags": staff_search.FLAG_LABELS,
                "channels": SOURCE_LABELS,
                "case_types": CASE_TYPE_LABELS,
                "sorts": staff_search.SORT_LABELS,
                "may_search_phone": staff_search.may_search_phone(viewer),
                "may_export": staff_search.may_export(account.role),
                "views": await staff_search.saved_views(account.id),
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/staff/search", opt=admits(*SEARCHERS))
    async def search_page(self, request: Request) -> Response:
        """A case number that finds its case jumps to the case's staff page."""
        response = await self._page(request)
        page = response.context["page"]
        number = request.query_params.get("q", "").strip()
        if page and len(page.cases) == 1 and page.cases[0].number == number:
            return Redirect(f"/staff/cases/{number}", status_code=303)
        return response

    @get("/staff/search.csv", opt=admits(StaffRole.moderator, StaffRole.leader))
    async def search_csv(self, request: Request) -> Response:
        """The cases of a search as CSV, streamed (``staff_search.may_export``)."""
        params = request.query_params
        account = current(request).account
        viewer = staff_search.viewer_of(account)
        try:
            staff_filter = StaffFilter.from_params(params)
            sort = staff_search.parse_sort(params.get("sort"))
            await staff_search.search(viewer, staff_filter, sort, limit=1)  # refused before the stream starts
        except browse.BadFilter as bad:
            return Response({"status": 400, "errors": _messages(bad.errors)}, status_code=400, headers=NO_STORE)
        return Stream(
            export.staff_cases_csv(viewer, staff_filter, sort, get_settings().origin, Who(account.id, account.name)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="minsheng-staff-search.csv"', **NO_STORE},
        )

    @post("/staff/search/views", opt=admits(*SEARCHERS), status_code=303)
    async def save_view(self, request: Request) -> Response:
        """Save the search of the query string (the form's address carries it) under a name."""
        name = form_text(await request.form(), "name")
        params = request.query_params
        try:
            staff_filter = StaffFilter.from_params(params)
            sort = staff_search.parse_sort(params.get("sort"))
            saved = await staff_search.save_view(current(request).account.id, name, staff_filter, sort)
        except browse.BadFilter:
            return await self._page(request, typed_name=name)  # the page shows what is wrong with the filter
        except BadView as bad:
            return await self._page(request, bad.errors, name, status_of(bad))
        return Redirect(f"/staff/search?{saved.query}" if saved.query else "/staff/search", status_code=303)

    @post("/staff/search/views/{view_id:str}/delete", opt=admits(*SEARCHERS), status_code=303)
    async def delete_view(self, request: Request, view_id: RowId) -> Redirect:
        await staff_search.delete_view(current(request).account.id, view_id)
        return Redirect("/staff/search", status_code=303)
