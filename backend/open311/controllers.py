"""Open311 GeoReport v2 at /open311/v2, in XML and JSON (the path's suffix), with mySociety's
``servicerequestupdates`` extension: an adapter over the same services as the pages.

Categories are the services (their slug the service_code); a public case is a service
request (its number the service_request_id). Only public cases are served, and never a
filer's name, phone or follow token. Parameters that are sent empty count as not sent.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from backend import clock
from backend.vocabulary import FILE, STATUS_GROUPS, Role, StatusGroup
from backend.api.auth import holder, rate_limit, requires
from backend.api.errors import ApiError
from backend.errors import Refusal
from backend.cases import browse, services
from backend.cases.filing import ADDRESS_MAX, NAME_MAX, TITLE_MAX, CaseForm, FilingError, Source
from backend.cases.services import Actor, CaseView
from backend.cases.tables import Case
from backend.departments.questions import Question, questions_by_category, questions_of
from backend.departments.services import CategoryItem, active_categories, all_categories
from backend.i18n_markers import N_
from backend.open311.formats import respond, w3c
from backend.open311.updates import published_updates
from backend.photos.controllers import MAX_FORM_BYTES, receive_uploads
from backend.settings import Settings, get_settings
from backend.web import i18n
from backend.web.caching import PublicCaching, public_record
from backend.web.errors import MESSAGES, activate_language, logger, status_of
from backend.web.templating import local_name

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-21T00:00:00+08:00"  # when this endpoint's behaviour last changed
DEFAULT_DAYS = 90  # GET requests: the window when no dates are given, and the widest allowed
MAX_RESULTS = 1000
# Closed as the browse service says; everything else public is open.
CLOSED = frozenset(status.value for status in STATUS_GROUPS[StatusGroup.closed])

ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}


def jurisdiction() -> str:
    """This server serves one jurisdiction: the host of its origin."""
    return urlsplit(get_settings().origin).hostname or "localhost"


def _bad(message: str) -> ApiError:
    return ApiError(400, "400", message)


def _param(source, name: str) -> str:
    """A parameter as text; empty, or not text (a file), is as good as absent."""
    value = source.get(name)
    return value.strip() if isinstance(value, str) else ""


def _check_jurisdiction(source) -> None:
    given = _param(source, "jurisdiction_id")
    if given and given != jurisdiction():
        raise ApiError(404, "404", N_("This server does not serve that jurisdiction_id."))


def _datetime(source, name: str) -> datetime | None:
    text = _param(source, name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(N_("Dates must be in W3C format with a time zone, such as 2026-01-01T00:00:00+08:00."))
    try:
        clock.typed_day(moment.date())
    except ValueError:
        raise _bad(N_("Dates must lie between 1970-01-01 and 2999-12-31.")) from None
    return moment


def _service(category: CategoryItem, asks: bool) -> dict:
    return {
        "service_code": category.slug,
        "service_name": local_name(category.name, category.name_en),
        "description": local_name(category.name, category.name_en),
        "metadata": asks,  # the category asks questions of its own: see services/<code>
        "type": "realtime",
        "keywords": ", ".join(filter(None, [category.name, category.name_en])),
        "group": local_name(category.department_name, category.department_name_en),
    }


def _attribute(question: Question, order: int) -> dict:
    return {
        "variable": True,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": None,
        "order": order,
        "description": local_name(question.description, question.description_en),
        "values": [{"key": choice.key, "name": local_name(choice.name, choice.name_en)} for choice in question.choices],
    }


def _answers(form: FormMultiDict) -> dict[str, list[str]]:
    """``attribute[CODE]``, and ``attribute[CODE][]`` for the choices of a multivaluelist."""
    answers: dict[str, list[str]] = {}
    for name in form.keys():
        if name.startswith("attribute[") and name.endswith(("]", "][]")):
            code = name.removeprefix("attribute[").removesuffix("[]").removesuffix("]")
            answers.setdefault(code, []).extend(value for value in form.getall(name) if isinstance(value, str))
    return answers


def _request(case: CaseView, codes: dict[str, str], status_notes: str | None) -> dict:
    photo = case.photos[0] if case.photos else None
    answer = case.answer_deadline
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status in CLOSED else "open",
        "status_notes": status_notes,
        "service_name": local_name(case.category_name, case.category_name_en),
        "service_code": codes.get(case.category_name),
        "description": case.description,
        "agency_responsible": local_name(case.department_name, case.department_name_en) or None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(answer.due_at) if answer else None,
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": f"{get_settings().origin}{photo.display_url}" if photo else None,
    }


async def _codes() -> dict[str, str]:
    """Category name → service_code, for every category (inactive ones keep old cases)."""
    return {category.name: category.slug for category in await all_categories()}


def _open311_filter(params, known_codes) -> tuple[browse.CaseFilter, tuple]:
    """Open311's parameters as the browse service's filter, and where clauses for what the
    filter does not say: several services, open as one state, the moments of filing.
    ``known_codes``: the service codes of this server, old ones included."""
    wanted = _comma_list(params, "service_request_id")
    if wanted:  # overrides every other parameter, as the specification says
        return browse.CaseFilter(), (Case.number.is_in(wanted[:MAX_RESULTS]),)
    start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
    if start and end and end < start:
        raise _bad(N_("end_date must not come before start_date."))
    if start and end and end - start > timedelta(days=DEFAULT_DAYS):
        raise _bad(N_("start_date and end_date may not span more than 90 days."))
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS) if start else clock.now()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    also: list = [Case.created_at >= start, Case.created_at <= end]
    statuses = set(_comma_list(params, "status"))
    if statuses - {"open", "closed"}:
        raise _bad(N_("status must be open or closed (or both, comma separated)."))
    if statuses == {"open"}:  # the browse filter's open and answered
        also.append(Case.status.not_in(sorted(CLOSED)))
    codes = _comma_list(params, "service_code")
    if not set(codes) <= set(known_codes):
        raise _bad(N_("service_code is not a service of this server."))
    if len(codes) > 1:
        also.append(Case.category.slug.is_in(codes))
    case_filter = browse.CaseFilter(
        category=codes[0] if len(codes) == 1 else "",
        status=StatusGroup.closed if statuses == {"closed"} else None,
    )
    return case_filter, tuple(also)


def _comma_list(source, name: str) -> list[str]:
    return [part.strip() for part in _param(source, name).split(",") if part.strip()]


def _positive(source, name: str, default: int, highest: int) -> int:
    text = _param(source, name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= highest:
        raise _bad(N_("page and page_size must be whole numbers from 1 (page_size at most 1000)."))
    return int(text)


class GeoReportController(Controller):
    @get(["/discovery.json", "/discovery.xml"])
    async def discovery(self, request: Request) -> Response:
        origin = get_settings().origin
        return respond(
            request,
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": f"{origin}/",
                "key_service": f"{origin}/admin/api-keys",
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": f"{origin}/open311/v2",
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            },
            ITEMS,
        )

    @get(["/services.json", "/services.xml"])
    async def services(self, request: Request) -> Response:
        _check_jurisdiction(request.query_params)
        categories = await active_categories()
        asking = await questions_by_category([category.id for category in categories])
        return respond(request, "services", [_service(category, category.id in asking) for category in categories], ITEMS)

    @get("/services/{name:str}")
    async def service_definition(self, request: Request, name: FromPath[str]) -> Response:
        _check_jurisdiction(request.query_params)
        code = name.rpartition(".")[0] if name.endswith((".json", ".xml")) else name
        category = next((category for category in await active_categories() if category.slug == code), None)
        if category is None:
            raise ApiError(404, "404", N_("There is no service with this service_code."))
        attributes = [_attribute(question, order) for order, question in enumerate(await questions_of(category.id), 1)]
        return respond(request, "service_definition", {"service_code": code, "attributes": attributes}, ITEMS)

    @get(["/requests.json", "/requests.xml"], opt=public_record(by_the_minute=True))  # the last 90 days
    async def requests(self, request: Request) -> Response:
        params = request.query_params
        _check_jurisdiction(params)
        page = _positive(params, "page", 1, 10**6)
        page_size = _positive(params, "page_size", MAX_RESULTS, MAX_RESULTS)
        codes = await _codes()
        case_filter, also = _open311_filter(params, codes.values())
        # Open311 pages by number: walk the browse service's keyset pages up to the one asked for.
        found, skip = [], (page - 1) * page_size
        async for case in browse.each_case(case_filter, where=also):
            if skip:
                skip -= 1
                continue
            found.append(case)
            if len(found) == page_size:
                break
        notes = await services.latest_public_texts([case.id for case in found])
        return respond(request, "service_requests", [_request(case, codes, notes.get(case.id)) for case in found], ITEMS)

    @get("/requests/{name:str}")
    async def one_request(self, request: Request, name: FromPath[str]) -> Response:
        _check_jurisdiction(request.query_params)
        number = name.rpartition(".")[0] if name.endswith((".json", ".xml")) else name
        found = await services.public_case(number)  # None for a number of no case's shape
        if found is None:
            raise ApiError(404, "404", N_("There is no public service request with this service_request_id."))
        notes = await services.latest_public_texts([found.id])
        return respond(request, "service_requests", [_request(found, await _codes(), notes.get(found.id))], ITEMS)

    @get("/tokens/{name:str}")
    async def token(self, request: Request, name: FromPath[str]) -> Response:
        """The token is the filer's follow token (from filing through /api/v1, or the follow
        link): it tells the case's number, nothing more."""
        _check_jurisdiction(request.query_params)
        token = name.rpartition(".")[0] if name.endswith((".json", ".xml")) else name
        found = await services.case_of_follow_token(token)
        if found is None:
            raise ApiError(404, "404", N_("There is no service request for this token."))
        return respond(request, "service_requests", [{"service_request_id": found["number"], "token": token}], ITEMS)

    @get(["/servicerequestupdates.json", "/servicerequestupdates.xml"])
    async def updates(self, request: Request) -> Response:
        """mySociety's extension: published updates of public cases, oldest first."""
        params = request.query_params
        _check_jurisdiction(params)
        start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
        end = end or clock.now()
        start = start or end - timedelta(days=1)
        found = await published_updates(start, end, MAX_RESULTS)
        origin = get_settings().origin
        return respond(
            request,
            "service_request_updates",
            [
                {
                    "update_id": str(update.id),
                    "service_request_id": update.case_number,
                    "status": "CLOSED" if update.status in CLOSED else "OPEN",
                    "updated_datetime": w3c(update.published_at),
                    "description": update.body,
                    "media_url": f"{origin}{update.photos[0].display_url}" if update.photos else "",
                }
                for update in found
            ],
            ITEMS,
        )

    @post(
        ["/requests.json", "/requests.xml"],
        guards=[requires(FILE)],
        request_max_body_size=MAX_FORM_BYTES,
        status_code=201,
    )
    async def file(self, request: Request) -> Response:
        """Form-encoded, or multipart with photos as ``media`` (an extension)."""
        form = await request.form()
        _check_jurisdiction(form)
        category = next((c for c in await active_categories() if c.slug == _param(form, "service_code")), None)
        if category is None:
            raise _bad(N_("service_code is missing or is not a service of this server."))
        case_form = _case_form(form, category)
        uploaded, photo_errors = await receive_uploads(form.getall("media", []), 0)
        if photo_errors:
            raise _bad(photo_errors[0])
        case_form.photo_keys = [photo.key for photo in uploaded]
        settings = get_settings()
        try:
            filed = await services.file_case(
                case_form,
                secret_key=settings.secret_key,
                time_zone=settings.time_zone,
                source=Source.api,
                # The phone is optional in Open311: the key's holder answers for the filing.
                recorded_by=Actor(Role.system, holder(request).name),
                questions_required=True,  # the service's required attributes
            )
        except FilingError as error:
            field, message = next(iter(error.errors.items()))
            if field.startswith("answer_"):  # a question of the category: an attribute here
                field = f"attribute[{field.removeprefix('answer_')}]"
            raise _bad(f"{field}: {i18n.gettext(message)}") from None
        notice = i18n.gettext(N_("Filed as case {number}. The platform centre reviews it before it is published.")).format(
            number=filed.number
        )
        return respond(
            request,
            "service_requests",
            [{"service_request_id": filed.number, "service_notice": notice, "account_id": None}],
            ITEMS,
            status_code=201,
        )


def _case_form(form: FormMultiDict, category: CategoryItem) -> CaseForm:
    latitude, longitude = _param(form, "lat"), _param(form, "long")
    address = _param(form, "address_string") or _param(form, "address_id")
    if bool(latitude) != bool(longitude):
        raise _bad(N_("Give both lat and long, or neither."))
    if not (latitude or address):
        raise _bad(N_("Give a location: lat and long, address_string or address_id."))
    description = _param(form, "description")
    if media_url := _param(form, "media_url"):
        # Not fetched (the server reaches no other sites): the moderators see the link.
        description = f"{description}\n\n{media_url}".strip()
    first_line = description.splitlines()[0] if description else ""
    title = first_line if len(first_line) <= TITLE_MAX else first_line[: TITLE_MAX - 1] + "…"
    name = " ".join(filter(None, [_param(form, "first_name"), _param(form, "last_name")])) or _param(form, "email")
    return CaseForm(
        case_type=category.default_case_type,
        category_id=str(category.id),
        title=title,
        description=description,
        address=(address or f"{latitude}, {longitude}")[:ADDRESS_MAX],
        latitude=latitude,
        longitude=longitude,
        filer_name=(name or "Open311")[:NAME_MAX],
        filer_phone=_param(form, "phone"),
        publication="public",  # Open311 requests are public by nature: GET requests lists them
        submission_key=secrets.token_urlsafe(24),
        answers=_answers(form),
    )


def open311_exception_handler(request: Request, exc: Exception) -> Response:
    """Errors as the specification says: the status as ``code``, a ``description``."""
    activate_language(request)
    if isinstance(exc, ApiError):
        status, message = exc.status_code, exc.message
    elif isinstance(exc, Refusal):
        status, message = status_of(exc), exc.message
    elif isinstance(exc, HTTPException):
        status = exc.status_code if exc.status_code in MESSAGES else 400
        message = MESSAGES[status]
    else:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        status, message = 500, MESSAGES[500]
    headers = {"cache-control": "no-store", **(exc.headers or {} if isinstance(exc, HTTPException) else {})}
    body = [{"code": status, "description": i18n.gettext(message)}]
    return respond(request, "errors", body, ITEMS, status_code=status, headers=headers)


def open311_router(settings: Settings, caching: PublicCaching) -> Router:
    handlers = {kind: open311_exception_handler for kind in (Refusal, HTTPException, UnicodeError, LookupError, TypeError, Exception)}
    return Router(
        path="/open311/v2",
        route_handlers=[GeoReportController],
        middleware=[rate_limit(settings).middleware, caching],  # the limit counts answers from the cache too
        exception_handlers=handlers,
        include_in_schema=False,  # described by the GeoReport v2 specification, not by our schema
    )

