"""Pages for filing, following and browsing cases: thin adapters over ``cases.services``.

One view serves the full page or, for htmx, just the fragment that changed.
"""

from __future__ import annotations

import secrets

import anyio.to_thread
from dataclasses import dataclass
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie, FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Response, Stream, Template

from backend import clock
from backend.accounts.guards import STAFF_NOT_CITIZEN, citizens_only, signed_in
from backend.cases import browse, export, feeds, filer_export, merging, ratings, retention, services, support, workflow
from backend.cases.actions import INPUTS, Unreadable, from_form
from backend.cases.lifecycle import refusal
from backend.vocabulary import CASE_TYPE_LABELS, FINISHED, STATUS_GROUP_LABELS, Role, Status
from backend.cases.filing import CaseForm, FilingError, point, validate
from backend.cases.services import CasePage
from backend.departments.questions import questions_by_category
from backend.departments.services import active_categories, area_tree
from backend.photos.controllers import MAX_FORM_BYTES, photo_keys_from, receive_uploads
from backend.photos.services import unattached_photos
from backend.photos.storage import media_store
from backend.settings import get_settings
from backend.web import i18n
from backend.web.caching import public_record
from backend.web.security import ADDRESS_LIMIT
from backend.web.errors import status_of, wants_json
from backend.text import clean_text, row_id
from backend.web.forms import form_text
from backend.web.fragments import wants_fragment
from backend.labels import status_label
from backend.web.params import CaseNumber
from backend.errors import InvalidInput, NotFound, Refusal, Unavailable, WrongState

WITHDRAW = "withdraw"
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


ATOM = "application/atom+xml; charset=utf-8"


def _bad_filter(bad: browse.BadFilter) -> Response:
    """Data (GeoJSON, CSV, Atom) asked for with a filter that can't be used: what is wrong, as JSON."""
    messages = {name: i18n.gettext(message) for name, message in bad.errors.items()}
    return Response({"status": 400, "errors": messages}, status_code=400, headers={"cache-control": "no-store"})


def supporter_cookie(token: str) -> Cookie:
    """The browser's own random name for "me too", kept for two years; only its hash is stored."""
    return Cookie(
        key=support.SUPPORTER_COOKIE,
        value=token,
        path="/",
        max_age=support.SUPPORTER_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )


def signed_in_account(request: Request) -> int | None:
    session = signed_in(request)
    return session.account.id if session else None


def supporter_hashes(request: Request) -> list[str]:
    """Who is asking, as "me too" stores it (nobody, for a browser that never said it)."""
    token = request.cookies.get(support.SUPPORTER_COOKIE)
    return support.supporter_hashes(get_settings().secret_key, token, signed_in_account(request))


def follow_url(token: str) -> str:
    """The filer's private link, in full, to copy or to pass on."""
    return f"{get_settings().origin}/follow/{token}"


def case_form_from(form: FormMultiDict) -> CaseForm:
    """Text fields only; anything else a hostile client sends in their place counts as empty."""
    values = {name: form_text(form, name) for name in FORM_FIELDS}
    # The chosen category's questions only: answer_<category id>_<code>.
    prefix = f"answer_{values['category_id']}_"
    answers = {
        name.removeprefix(prefix): [value for value in form.getall(name) if isinstance(value, str)]
        for name in form.keys()
        if name.startswith(prefix)
    }
    return CaseForm(**values, photo_keys=photo_keys_from(form), answers=answers)


async def report_form_page(
    request: Request,
    form: CaseForm,
    errors: dict[str, str],
    photo_errors: list[str],
    status_code: int,
) -> Response:
    """The form again, with what was typed and its errors; as data for a report sent in the
    background from the device's outbox (outbox.js)."""
    messages = {field: i18n.gettext(message) for field, message in errors.items()}
    if wants_json(request):
        return Response(
            {"errors": messages, "photo_errors": photo_errors},
            status_code=status_code,
            headers={"cache-control": "no-store"},
        )
    template = "partials/report_form.html" if wants_fragment(request) else "report.html"
    return Template(
        template_name=template,
        context={
            "form": form,
            "errors": messages,
            "photo_errors": photo_errors,
            "photos": await unattached_photos(form.photo_keys),
            "categories": await active_categories(),
            "questions": await questions_by_category(),
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
    filed: bool = False,
    rated: bool = False,
    erasure: dict | None = None,
    withdrawal: dict | None = None,
    part: str = "",
) -> Template:
    """The filer's private page, with the rating form once the answer is out (htmx gets just
    the form back when it has errors), withdrawing the case while no department has it, and
    what they may do with their personal data."""
    case = await services.case_for_follow_token(token)
    if case is None:
        raise NotFoundException()
    erased_at = await retention.erased_at(case.id)
    form = form or ratings.RatingForm()
    template = "follow.html"
    if wants_fragment(request) and errors is not None:
        template = "partials/rating_form.html"
    elif wants_fragment(request) and part == "rating":
        template = "partials/rating_section.html"  # the answer arrived live: its form, to show first
    elif wants_fragment(request) and part == "card":
        template = "partials/my_case_card.html"  # "My cases on this device"
    return Template(
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
            # Staff may read the page (the centre checks the link it gives a caller) but never rate.
            "staff_not_citizen": i18n.gettext(STAFF_NOT_CITIZEN) if signed_in(request) else "",
            "erased_at": erased_at,
            "may_erase": erased_at is None and Status(case.status) in FINISHED,
            "erasure": erasure or {"reason": "", "error": ""},
            "may_withdraw": refusal(WITHDRAW, Role.citizen, Status(case.status), case_type=case.case_type) is None,
            "withdrawal": withdrawal or {"reason": "", "error": ""},
            "withdraw_label": i18n.gettext(INPUTS[WITHDRAW].text_label),
        },
        status_code=status_code,
        # A private page: never kept by any cache, never indexed.
        headers={"cache-control": "private, no-store", "x-robots-tag": "noindex, nofollow", "vary": "HX-Request"},
    )


class CaseController(Controller):
    @get("/", opt=public_record())
    async def home(self) -> Template:
        page = await browse.browse(browse.CaseFilter(), limit=6)
        return Template(template_name="home.html", context={"recent": page.cases})

    @get("/report")
    async def report(self, request: Request) -> Template:
        return await report_form_page(request, CaseForm(submission_key=secrets.token_urlsafe(24)), {}, [], 200)

    @post("/report", status_code=200, request_max_body_size=MAX_FORM_BYTES)
    async def file(self, request: Request) -> Response:
        raw = await request.form()
        form = case_form_from(raw)
        settings = get_settings()
        # Without script the photos come with the form: store them first, so errors keep them.
        try:
            uploaded, photo_errors = await receive_uploads(raw.getall("photos", []), len(form.photo_keys))
        except Unavailable as unavailable:  # the media store is down: nothing filed, the form back as typed
            return await report_form_page(request, form, {}, [i18n.gettext(unavailable.message)], 503)
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
            if error.kind is WrongState:  # the key was used for other content: sent again, this is a new case
                form.submission_key = secrets.token_urlsafe(24)
            return await report_form_page(request, form, error.errors, [], status_of(error))
        if wants_json(request):  # from the device's outbox: the number and link, as data
            return Response({"number": filed.number, "follow_url": follow_url(filed.follow_token)}, status_code=201)
        location = f"/follow/{filed.follow_token}?filed=1"
        if wants_fragment(request):
            return ClientRedirect(redirect_to=location)
        return Redirect(path=location, status_code=303)

    @get("/report/similar")
    async def similar(
        self,
        request: Request,
        category_id: FromQuery[str] = "",
        latitude: FromQuery[str] = "",
        longitude: FromQuery[str] = "",
        title: FromQuery[str] = "",
    ) -> Template:
        """Open public cases near the place or like the title, as the citizen fills in the form
        (htmx): support one of them instead of filing the same problem again."""
        latitude_value, longitude_value = point({}, clean_text(latitude), clean_text(longitude))
        found = await support.suggestions(row_id(clean_text(category_id)), latitude_value, longitude_value, clean_text(title)[:100])
        supported = await support.supported_among([suggestion.case.id for suggestion in found], supporter_hashes(request))
        return Template(
            template_name="partials/similar_cases.html",
            context={"suggestions": found, "supported": supported},
            headers={"cache-control": "no-store"},
        )

    @post("/cases/{number:str}/support", status_code=200, opt={ADDRESS_LIMIT: "support"})
    async def support_case(self, request: Request, number: CaseNumber) -> Response:
        """我也遇到: count this person once for this case."""
        token = request.cookies.get(support.SUPPORTER_COOKIE) or ""
        cookies = []
        if not 20 <= len(token) <= 64:
            token = support.new_supporter_token()
            cookies.append(supporter_cookie(token))
        hashes = support.supporter_hashes(get_settings().secret_key, token, signed_in_account(request))
        try:
            count, _ = await support.support(number, hashes)
        except Refusal as refused:
            if isinstance(refused, NotFound):
                raise NotFoundException() from None
            raise
        if wants_fragment(request):
            return Template(
                template_name="partials/support.html",
                context={"number": number, "support_count": count, "supported": True},
                cookies=cookies,
            )
        return Redirect(path=f"/cases/{number}#support", status_code=303, cookies=cookies)

    @get("/follow/{token:str}")
    async def follow(
        self, request: Request, token: FromPath[str], filed: FromQuery[bool] = False, rated: FromQuery[bool] = False,
        part: FromQuery[str] = "",
    ) -> Template:
        return await follow_page(request, token, filed=filed, rated=rated, part=part)

    @get("/follow/{token:str}/export.zip")
    async def export_for_filer(self, token: FromPath[str]) -> Response:
        """The filer's copy of their case (``filer_export``): built in a thread, never cached."""
        copy = await filer_export.filer_export(token)
        if copy is None:
            raise NotFoundException()
        content = await anyio.to_thread.run_sync(filer_export.zip_of, copy, media_store(), i18n.gettext)
        return Response(
            content,
            media_type="application/zip",
            headers={
                "content-disposition": f'attachment; filename="minsheng-{copy.number}.zip"',
                "cache-control": "private, no-store",
            },
        )

    @post("/follow/{token:str}/erase", guards=[citizens_only], status_code=303)
    async def erase_contact(self, request: Request, token: FromPath[str]) -> Response:
        """The filer's right to erasure (``retention.erase_on_request``), once the case finished."""
        reason = form_text(await request.form(), "reason")
        try:
            await retention.erase_on_request(token, reason, clock.now())
        except (InvalidInput, WrongState) as refused:
            erasure = {"reason": reason, "error": i18n.gettext(refused.message)}
            return await follow_page(request, token, erasure=erasure, status_code=status_of(refused))
        return Redirect(f"/follow/{token}#your-data", status_code=303)

    @post("/follow/{token:str}/withdraw", guards=[citizens_only], status_code=303)
    async def withdraw(self, request: Request, token: FromPath[str]) -> Response:
        """The filer takes the case back (the ``withdraw`` action) while no department has it."""
        raw = await request.form()
        try:
            await workflow.perform_for_filer(token, from_form(WITHDRAW, raw.getall))
        except NotFound:
            raise NotFoundException() from None
        except (Unreadable, InvalidInput, WrongState) as refused:
            withdrawal = {"reason": form_text(raw, "body"), "error": i18n.gettext(refused.message)}
            return await follow_page(request, token, withdrawal=withdrawal, status_code=422 if isinstance(refused, Unreadable) else status_of(refused))
        return Redirect(f"/follow/{token}", status_code=303)

    @post("/follow/{token:str}/rating", guards=[citizens_only], status_code=200, request_max_body_size=MAX_FORM_BYTES)
    async def rate(self, request: Request, token: FromPath[str]) -> Response:
        raw = await request.form()
        form = ratings.RatingForm(
            satisfaction=form_text(raw, "satisfaction"),
            solved=form_text(raw, "solved"),
            comment=form_text(raw, "comment"),
            photo_keys=photo_keys_from(raw),
        )
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
        except Refusal as refused:
            if isinstance(refused, NotFound):
                raise NotFoundException() from None
            raise
        location = f"/follow/{token}?rated=1#rating"
        if wants_fragment(request):
            return ClientRedirect(redirect_to=location)
        return Redirect(path=location, status_code=303)

    @get("/my-cases")
    async def my_cases(self) -> Template:
        """The cases remembered on this device: the page holds nothing of anyone's (the list is
        the browser's, ``my-cases.js``, which fetches each case's card from its follow page)."""
        return Template(template_name="my_cases.html", headers={"x-robots-tag": "noindex"})

    @get("/cases", opt=public_record())
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
                "status_groups": STATUS_GROUP_LABELS,
                "timeliness": browse.TIMELINESS_LABELS,
                "case_types": CASE_TYPE_LABELS,
                "map_tile_url": get_settings().map_tile_url,
                "map_attribution": get_settings().map_attribution,
            },
            status_code=400 if errors else 200,
            headers={"vary": "HX-Request"},  # one URL, two bodies: caches must keep them apart
        )

    @get("/cases.geojson", opt=public_record())
    async def case_map(self, request: Request) -> Response:
        """The places of the newest matching public cases, for the map (same filters as /cases)."""
        try:
            places = await browse.locations(browse.CaseFilter.from_params(request.query_params))
        except browse.BadFilter as bad:
            return _bad_filter(bad)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
                "properties": {
                    "number": place.number,
                    "title": place.title,
                    "status": status_label(place.status),
                    "url": f"/cases/{place.number}",
                },
            }
            for place in places
        ]
        return Response({"type": "FeatureCollection", "features": features}, media_type="application/geo+json")

    @get("/cases.atom", opt=public_record())
    async def new_cases_feed(self, request: Request) -> Response:
        """New public cases as Atom: all, or as the list's filters narrow them (per category …)."""
        try:
            case_filter = browse.CaseFilter.from_params(request.query_params)
            view = BrowseView(case_filter, browse.Sort.newest, CasePage([], None), True)
            body = await feeds.new_cases(get_settings().origin, case_filter, view.url("/cases.atom"), view.url())
        except browse.BadFilter as bad:
            return _bad_filter(bad)
        return Response(body, media_type=ATOM)

    @get("/cases.csv")
    async def export_cases(self, request: Request) -> Response:
        """Open data: the public cases of the list's filters and sort, as CSV, streamed."""
        params = request.query_params
        try:
            case_filter = browse.CaseFilter.from_params(params)
            sort = browse.parse_sort(params.get("sort"))
            await browse.browse(case_filter, sort, limit=1)  # unknown names are refused before the stream starts
        except browse.BadFilter as bad:
            return _bad_filter(bad)
        return Stream(
            export.public_cases_csv(case_filter, sort, get_settings().origin),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="minsheng-cases.csv"'},
        )

    @get("/cases/{number:str}/feed", opt=public_record())
    async def case_feed(self, number: CaseNumber) -> Response:
        """A public case's timeline as Atom."""
        case = await services.public_case(number)
        if case is None:
            raise NotFoundException()
        return Response(await feeds.case_timeline(get_settings().origin, case), media_type=ATOM)

    @get("/cases/{number:str}", opt=public_record(support.SUPPORTER_COOKIE))  # whether this browser said "me too"
    async def case(self, request: Request, number: CaseNumber) -> Template | Redirect:
        case = await services.public_case(number)
        if case is None:
            if original := await merging.public_original(number):  # a shared link still leads somewhere
                return Redirect(path=f"/cases/{original}", status_code=302)
            raise NotFoundException()
        context = {
            "case": case,
            "live_url": f"/cases/{number}/events",
            "supported": await support.supported(case.id, supporter_hashes(request)),
            "supportable": case.status in support.SUPPORTABLE,
        }
        return Template(template_name="case.html", context=context)
