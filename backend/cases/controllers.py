"""Pages for filing, following and browsing cases: thin adapters over ``cases.services``.

One view serves the full page or, for htmx, just the fragment that changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie, FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Response, Template

from backend.cases import browse, ratings, services
from backend.cases.lifecycle import CASE_TYPE_LABELS
from backend.cases.filing import CaseForm, FilingError, validate
from backend.cases.services import ActionRefused, CasePage
from backend.departments.services import active_categories, area_tree
from backend.photos.controllers import MAX_FORM_BYTES, photo_keys_from, receive_uploads
from backend.photos.services import unattached_photos
from backend.settings import get_settings
from backend.web import csrf, i18n
from backend.web.errors import CSRF_EXPIRED, error_response
from backend.web.forms import form_text
from backend.web.fragments import wants_fragment

FORM_FIELDS = [
    "case_type",
    "category_id",
    "title",
    "description",
    "address",
    "area_id",
    "latitude",
    "longitude",
    "filer_name",
    "filer_phone",
    "publication",
    "submission_key",
]


@dataclass(frozen=True)
class BrowseView:
    """A page of the public list and the links that keep its filters."""

    case_filter: browse.CaseFilter
    sort: browse.Sort
    page: CasePage
    first_page: bool

    def url(self, path: str = "/cases", **extra: str) -> str:
        """``path`` with this view's filters and sort (and ``extra``) as its query string."""
        params = self.case_filter.params()
        if self.sort != browse.Sort.newest:
            params["sort"] = self.sort.value
        query = urlencode(params | extra)
        return f"{path}?{query}" if query else path


async def browse_view(params) -> BrowseView:
    """Raises ``browse.BadFilter``."""
    case_filter = browse.CaseFilter.from_params(params)
    sort = browse.parse_sort(params.get("sort"))
    cursor = params.get("cursor") or None
    return BrowseView(case_filter, sort, await browse.browse(case_filter, sort, cursor), first_page=cursor is None)


def follow_url(token: str) -> str:
    """The filer's private link, in full, to copy or to pass on."""
    return f"{get_settings().origin}/follow/{token}"


def case_form_from(form: FormMultiDict) -> CaseForm:
    """Text fields only; anything else a hostile client sends in their place counts as empty."""
    values = {name: form_text(form, name) for name in FORM_FIELDS}
    return CaseForm(**values, photo_keys=photo_keys_from(form))


async def report_form_page(
    request: Request,
    form: CaseForm,
    errors: dict[str, str],
    photo_errors: list[str],
    status_code: int,
    cookies: list[Cookie] | None = None,
) -> Template:
    template = "partials/report_form.html" if wants_fragment(request) else "report.html"
    return Template(
        cookies=cookies or [],
        template_name=template,
        context={
            "form": form,
            "errors": {field: i18n.gettext(message) for field, message in errors.items()},
            "photo_errors": photo_errors,
            "photos": await unattached_photos(form.photo_keys),
            "categories": await active_categories(),
            "areas": await area_tree(active_only=True),
        },
        status_code=status_code,
        headers={"cache-control": "no-store", "vary": "HX-Request"},
    )


async def follow_page(
    request: Request,
    token: str,
    *,
    form: ratings.RatingForm | None = None,
    errors: dict[str, str] | None = None,
    photo_errors: list[str] | None = None,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    filed: bool = False,
    rated: bool = False,
) -> Template:
    """The filer's private page, with the rating form once the answer is out (htmx gets just
    the form back when it has errors)."""
    case = await services.case_for_follow_token(token)
    if case is None:
        raise NotFoundException()
    form = form or ratings.RatingForm()
    template = "partials/rating_form.html" if wants_fragment(request) and errors is not None else "follow.html"
    return Template(
        cookies=cookies or [],
        template_name=template,
        context={
            "case": case,
            "filed": filed,
            "rated": rated,
            "follow_url": follow_url(token),
            "token": token,
            "live_url": f"/follow/{token}/events",
            "form": form,
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "photo_errors": photo_errors or [],
            "photos": await unattached_photos(form.photo_keys),
        },
        status_code=status_code,
        # A private page: never cached by shared caches, never indexed.
        headers={"cache-control": "no-store", "x-robots-tag": "noindex, nofollow", "vary": "HX-Request"},
    )


class CaseController(Controller):
    @get("/report")
    async def report(self, request: Request) -> Template:
        return await report_form_page(request, CaseForm(submission_key=secrets.token_urlsafe(24)), {}, [], 200)

    @post(
        "/report",
        status_code=200,
        request_max_body_size=MAX_FORM_BYTES,
        exclude_from_csrf=True,  # checked below, so that a stale page keeps what was typed
    )
    async def file(self, request: Request) -> Response:
        raw = await request.form()
        form = case_form_from(raw)
        settings = get_settings()
        token = csrf.check_form(request, raw, settings)
        if not token.ok:
            cookies = [token.new_cookie] if token.new_cookie else []
            return await report_form_page(request, form, {"form": CSRF_EXPIRED}, [], 403, cookies)
        # Without script the photos come with the form: store them first, so errors keep them.
        uploaded, photo_errors = await receive_uploads(raw.getall("photos", []), len(form.photo_keys))
        form.photo_keys += [photo.key for photo in uploaded]
        if photo_errors:
            # Nothing is filed with a photo missing; the rest of the form is checked all the same.
            try:
                validate(form.cleaned())
            except FilingError as error:
                return await report_form_page(request, form, error.errors, photo_errors, 422)
            return await report_form_page(request, form, {}, photo_errors, 422)
        try:
            filed = await services.file_case(form, secret_key=settings.secret_key, time_zone=settings.time_zone)
        except FilingError as error:
            return await report_form_page(request, form, error.errors, [], 422)
        location = f"/follow/{filed.follow_token}?filed=1"
        if wants_fragment(request):
            return ClientRedirect(redirect_to=location)
        return Redirect(path=location, status_code=303)

    @get("/follow/{token:str}")
    async def follow(
        self, request: Request, token: FromPath[str], filed: FromQuery[bool] = False, rated: FromQuery[bool] = False
    ) -> Template:
        return await follow_page(request, token, filed=filed, rated=rated)

    @post(
        "/follow/{token:str}/rating",
        status_code=200,
        request_max_body_size=MAX_FORM_BYTES,
        exclude_from_csrf=True,  # checked below, so that a stale page keeps what was typed
    )
    async def rate(self, request: Request, token: FromPath[str]) -> Response:
        raw = await request.form()
        form = ratings.RatingForm(
            satisfaction=form_text(raw, "satisfaction"),
            solved=form_text(raw, "solved"),
            comment=form_text(raw, "comment"),
            photo_keys=photo_keys_from(raw),
        )
        token_check = csrf.check_form(request, raw, get_settings())
        if not token_check.ok:
            cookies = [token_check.new_cookie] if token_check.new_cookie else []
            return await follow_page(request, token, form=form, errors={"form": CSRF_EXPIRED}, status_code=403, cookies=cookies)
        # Without script the photo comes with the form: store it first, so errors keep it.
        uploaded, photo_errors = await receive_uploads(raw.getall("photos", []), len(form.photo_keys))
        form.photo_keys += [photo.key for photo in uploaded]
        try:
            if photo_errors:
                ratings.validate(form)  # the rest of the form is checked all the same
                return await follow_page(request, token, form=form, errors={}, photo_errors=photo_errors, status_code=422)
            await ratings.rate(token, form)
        except ratings.RatingError as error:
            return await follow_page(request, token, form=form, errors=error.errors, photo_errors=photo_errors, status_code=422)
        except ActionRefused as refused:
            if refused.status == 404:
                raise NotFoundException() from None
            return error_response(request, refused.status, refused.message)
        location = f"/follow/{token}?rated=1#rating"
        if wants_fragment(request):
            return ClientRedirect(redirect_to=location)
        return Redirect(path=location, status_code=303)

    @get("/cases")
    async def cases(self, request: Request) -> Template:
        """The public list: filters in the URL (a view can be shared), the results alone for htmx."""
        params = request.query_params
        try:
            view = await browse_view(params)
        except browse.BadFilter as bad:
            view, errors = None, {name: i18n.gettext(message) for name, message in bad.errors.items()}
        else:
            errors = {}
        template = "partials/case_results.html" if wants_fragment(request) else "cases.html"
        return Template(
            template_name=template,
            context={
                "view": view,
                "fragment": template != "cases.html",
                "values": {name: params.get(name) or "" for name in [*browse.PARAMETERS, "sort"]},
                "errors": errors,
                "choices": await browse.choices() if template == "cases.html" else None,
                "sorts": browse.SORT_LABELS,
                "status_groups": browse.STATUS_GROUP_LABELS,
                "timeliness": browse.TIMELINESS_LABELS,
                "case_types": CASE_TYPE_LABELS,
            },
            status_code=400 if errors else 200,
            headers={"vary": "HX-Request"},  # one URL, two bodies: caches must keep them apart
        )

    @get("/cases/{number:str}")
    async def case(self, number: FromPath[str]) -> Template:
        case = await services.public_case(number) if services.CASE_NUMBER.match(number) else None
        if case is None:
            raise NotFoundException()
        return Template(template_name="case.html", context={"case": case, "live_url": f"/cases/{number}/events"})
