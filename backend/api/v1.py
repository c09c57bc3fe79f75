"""The JSON API at /api/v1: a thin adapter over the same services as the pages.

Public reads need no key (a key of scope ``read`` gets its own rate limit); filing needs a
``file`` key; staff actions a ``moderator`` key or a ``staff:<department>`` key, which acts as
that department's handler and sees only its cases.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Literal

import msgspec

from litestar import Controller, Request, Router, get, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, JSONBody, PathParameter, QueryParameter

from backend import clock
from backend.vocabulary import FILE, MODERATOR, STAFF, Role, Status
from backend.accounts.api_keys import KeyHolder
from backend.api import models
from backend.api.auth import holder, rate_limit, requires
from backend.api.errors import CODES, EXCEPTION_HANDLERS, ApiError, responses
from backend.accounts.audit import Who
from backend.cases import browse, bulk, figures, personal_text, ratings, reveals, services, staff_search, workflow
from backend.cases.controllers import follow_url
from backend.cases.filing import CaseForm, FilingError, Source
from backend.cases.lifecycle import TRANSITIONS
from backend.cases.actions import API_ACTIONS, INPUTS, Withdraw
from backend.cases.permissions import available_actions, handler_scope, sees_filer_contact
from backend.cases.services import Actor
from backend.departments.questions import questions_by_category
from backend.departments.services import active_categories, department_choices
from backend.i18n_markers import N_
from backend.knowledge import services as knowledge
from backend.photos.pipeline import MAX_UPLOAD_BYTES, PhotoRejected
from backend.photos.services import upload_photo
from backend.settings import Settings, get_settings
from backend.web.caching import PublicCaching, public_record
from backend.web.params import CaseNumber, RowId
from backend.web import i18n
from backend.web.errors import STATUS, activate_language, status_of

NO_SUCH_CASE = N_("There is no such case.")
BAD_FILTER = N_("A filter, the sort or the cursor cannot be used: see fields.")
# What the schema tells of the filters' values that it cannot list or bound itself.
UNKNOWN = "One that names nothing answers 400 (bad_filter)."
DAYS = "From 1970-01-01 to 2999-12-31; outside, 400 (bad_filter)."
PRIVATE = CacheControlHeader(private=True, no_store=True)  # a filer's or staff's view: never kept by caches
PageSize = Annotated[int, QueryParameter(ge=1, le=browse.PAGE_SIZE_MAX, description="Cases per page.")]
Cursor = Annotated[str | None, QueryParameter(max_length=100, description="``next_cursor`` of the page before.")]


# A refusal's kind by its name (``bulk.Outcome.kind``).
REFUSALS = {kind.__name__: kind for kind in STATUS}


def _not_found() -> ApiError:
    return ApiError(404, "not_found", NO_SUCH_CASE)


class PublicController(Controller):
    """Reads anyone may make: the public record."""

    tags = ["public"]

    @get("/cases", responses=responses(), opt=public_record())
    async def cases(
        self,
        case_type: Annotated[Literal["complaint", "consultation", "suggestion"] | None, QueryParameter(name="type")] = None,
        category: Annotated[str | None, QueryParameter(max_length=60, description=f"A category's code (from /api/v1/categories). {UNKNOWN}")] = None,
        department: Annotated[str | None, QueryParameter(max_length=60, description=f"The lead department's slug. {UNKNOWN}")] = None,
        area: Annotated[str | None, QueryParameter(max_length=60, description=f"An area's slug; a district includes its streets. {UNKNOWN}")] = None,
        status: Annotated[Literal["open", "answered", "closed"] | None, QueryParameter()] = None,
        published_from: Annotated[date | None, QueryParameter(name="from", description=f"Public since this day. {DAYS}")] = None,
        published_to: Annotated[date | None, QueryParameter(name="to", description=f"Public until this day (included). {DAYS}")] = None,
        timeliness: Annotated[Literal["on_time", "overdue"] | None, QueryParameter()] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="Text to search for.")] = None,
        sort: Annotated[Literal["newest", "updated", "supported"], QueryParameter()] = "newest",
        cursor: Cursor = None,
        page_size: PageSize = 20,
    ) -> models.CaseList:
        """Public cases with the filters, sorts and keyset pages of the /cases page."""
        params = {
            "type": case_type, "category": category, "department": department, "area": area, "status": status,
            "from": published_from and published_from.isoformat(), "to": published_to and published_to.isoformat(),
            "timeliness": timeliness, "q": q,
        }
        try:
            case_filter = browse.CaseFilter.from_params({name: value for name, value in params.items() if value})
            page = await browse.browse(case_filter, browse.parse_sort(sort), cursor or None, page_size)
        except browse.BadFilter as error:
            raise ApiError(400, "bad_filter", BAD_FILTER, error.errors) from None
        return models.CaseList([models.summary(view) for view in page.cases], page.next_cursor)

    @get("/cases/{number:str}", responses=responses(404), opt=public_record())
    async def case(self, number: CaseNumber) -> models.Case:
        """A public case with its public timeline, photos and published ratings."""
        view = await services.public_case(number)
        if view is None:
            raise _not_found()
        return models.case(view)

    @get("/follow/{token:str}", responses=responses(404), cache_control=PRIVATE)
    async def follow(self, token: Annotated[str, PathParameter(max_length=64)]) -> models.Case:
        """The filer's view of a case, by the private token from filing: the public record
        and what is meant for the filer alone (never their own name or phone)."""
        view = await services.case_for_follow_token(token)
        if view is None:
            raise _not_found()
        return models.case(view)

    @get("/categories", responses=responses())
    async def categories(self) -> list[models.Category]:
        """The categories a case may be filed in, in the platform's order."""
        categories = await active_categories()
        asked = await questions_by_category([item.id for item in categories])
        return [
            models.Category(
                item.id, item.slug, item.name, item.name_en, item.department_id, item.default_case_type,
                [models.question(each) for each in asked.get(item.id, [])],
            )
            for item in categories
        ]

    @get("/answers", responses=responses(), opt=public_record())
    async def answers(
        self,
        q: Annotated[str, QueryParameter(max_length=200, description="Words to search for; the best matches first.")] = "",
        page: Annotated[int, QueryParameter(ge=1, le=1000, description="Without ``q``: the page, the latest change first.")] = 1,
    ) -> models.AnswerList:
        """The knowledge base's public entries of today, searched like the report form does as
        a citizen types (Chinese words by jieba), or all of them page by page."""
        if q.strip():
            found, more = await knowledge.search(q), False
        else:
            found, more = await knowledge.public_entries(page)
        return models.AnswerList([models.answer(entry) for entry in found], more)

    @get("/answers/{entry_id:str}", responses=responses(404), opt=public_record())
    async def answer(self, entry_id: RowId) -> models.Answer:
        """One public entry; 404 when it is not public or past its valid-until day."""
        entry = await knowledge.public_entry(entry_id)
        if entry is None:
            raise ApiError(404, "not_found", knowledge.NO_SUCH_ENTRY)
        return models.answer(entry)

    @get("/departments", responses=responses())
    async def departments(self) -> list[models.Department]:
        return [models.Department(row["id"], row["name"], row["name_en"]) for row in await department_choices()]

    @get("/departments/figures", responses=responses())
    async def department_figures(self, period: FromQuery[Literal["week", "month", "year"]] = "month") -> models.FiguresReport:
        """Each department's figures for this week, month or year so far."""
        now = clock.now()
        since = figures.period_start(period, now, get_settings().time_zone)
        found = await figures.department_figures(period, now)
        contacts = await figures.contacts(period, now)
        return models.FiguresReport(
            period, since, now, [models.figures(item) for item in found], contacts.received, contacts.answered_directly
        )


class FilingController(Controller):
    """Filing for other platforms: a key of scope ``file``."""

    tags = ["filing"]
    guards = [requires(FILE)]
    security = [{"apiKey": []}]
    cache_control = PRIVATE

    @post(
        "/photos",
        status_code=201,
        request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024,
        responses=responses(401, 403, 413, 422, 503),
    )
    async def upload_photo(
        self, data: Annotated[models.PhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
    ) -> models.Photo:
        """Upload one photo ahead of the filing that names it by its key. Location and other
        metadata are stripped; a copy for display and a thumbnail are made."""
        if not isinstance(data.photo, UploadFile):
            raise ApiError(422, "invalid", N_("Send the photo as the multipart field photo."))
        try:
            view = await upload_photo(await data.photo.read(MAX_UPLOAD_BYTES + 1))
        except PhotoRejected as rejected:
            raise ApiError(422, "invalid", rejected.message, {"photo": rejected.message}) from None
        return models.photo(view)

    @post("/cases", status_code=201, responses=responses(401, 403, 409, 422))
    async def file_case(self, data: JSONBody[models.NewCase]) -> models.FiledCase:
        """File a case, by the same rules as the report form. It is filed once it is answered
        (row committed, photos on disk); the same ``submission_key`` files it only once."""
        settings = get_settings()
        form = CaseForm(
            case_type=data.case_type,
            category_id=str(data.category_id),
            title=data.title,
            description=data.description,
            address=data.address,
            area_id=str(data.area_id or ""),
            latitude="" if data.latitude is None else repr(data.latitude),
            longitude="" if data.longitude is None else repr(data.longitude),
            filer_name=data.filer_name,
            filer_phone=data.filer_phone,
            publication="public" if data.public else "private",
            photo_keys=list(data.photo_keys),
            submission_key=data.submission_key or secrets.token_urlsafe(24),
            answers={code: list(values) for code, values in data.answers.items()},
        )
        try:
            filed = await services.file_case(form, secret_key=settings.secret_key, time_zone=settings.time_zone, source=Source.api)
        except FilingError as error:
            raise ApiError(status_of(error), CODES[status_of(error)], N_("The case could not be filed: see fields."), error.errors) from None
        return models.FiledCase(filed.number, filed.follow_token, follow_url(filed.follow_token))


class FollowController(Controller):
    """What the filer does through the platform they filed with: a ``file`` key and the token."""

    tags = ["filing"]
    guards = [requires(FILE)]
    security = [{"apiKey": []}]
    cache_control = PRIVATE

    @post("/follow/{token:str}/rating", status_code=201, responses=responses(401, 403, 404, 409, 422))
    async def rate(self, token: Annotated[str, PathParameter(max_length=64)], data: JSONBody[models.RatingRequest]) -> models.ActionDone:
        """Rate the published answer, once per answer, as the follow page does."""
        form = ratings.RatingForm(satisfaction=data.satisfaction, solved=data.solved, comment=data.comment)
        try:
            entry_id = await ratings.rate(token, form)
        except ratings.RatingError as error:
            raise ApiError(422, "invalid", N_("The rating could not be saved: see fields."), error.errors) from None
        return models.ActionDone(entry_id, (await services.case_of_follow_token(token))["status"])

    @post("/follow/{token:str}/withdraw", status_code=201, responses=responses(401, 403, 404, 409, 422))
    async def withdraw(self, token: Annotated[str, PathParameter(max_length=64)], data: JSONBody[Withdraw]) -> models.ActionDone:
        """Withdraw the case (撤回), as the follow page does: only while no department has it
        (submitted or accepted; otherwise 409). An accepted case leaves the public list."""
        entry_id = await workflow.perform_for_filer(token, data)
        return models.ActionDone(entry_id, Status.withdrawn.value)


def _actor(found: KeyHolder) -> Actor:
    if found.scope == STAFF:
        return Actor(Role.handler, found.department_name, found.department_id)
    return Actor(Role.moderator, "")


async def _scope_of(found: KeyHolder, number: str):
    """How the key stands to the case (None for a moderator, who sees every case); 404 for a
    department's key on a case it does not handle, as for its handlers on the pages."""
    lead, co = await services.departments_of(number)
    if found.scope != STAFF:
        return None
    scope = handler_scope(found.department_id, lead, co)
    if scope is None:
        raise _not_found()
    return scope


class StaffController(Controller):
    """Handling cases for another system: a ``moderator`` key, or a ``staff:<id>`` key acting
    as that department's handler. The same lifecycle table and checks as the staff pages."""

    path = "/staff"
    tags = ["staff"]
    guards = [requires(MODERATOR, STAFF)]
    security = [{"apiKey": []}]
    cache_control = PRIVATE

    @get("/cases", responses=responses(401, 403))
    async def cases(
        self, request: Request, status: Annotated[list[Status] | None, QueryParameter(description="Only these states.")] = None
    ) -> list[models.CaseSummary]:
        """A department key: the cases its department leads or co-handles; a moderator key:
        every case. Oldest first, at most 500."""
        found = holder(request)
        department_id = found.department_id if found.scope == STAFF else None
        views = await services.staff_cases(set(status or []) or None, department_id=department_id, limit=500)
        return [models.summary(view) for view in views]

    @get("/search", responses=responses(401, 403))
    async def search(
        self,
        request: Request,
        q: Annotated[str | None, QueryParameter(max_length=100, description="A case number (that case alone) or words.")] = None,
        phone: Annotated[str | None, QueryParameter(max_length=30, description="The filer's phone: a moderator key over every case, a department key over the cases it leads.")] = None,
        case_type: Annotated[Literal["complaint", "consultation", "suggestion", "representative"] | None, QueryParameter(name="type")] = None,
        category: Annotated[str | None, QueryParameter(max_length=60, description=f"A category's code. {UNKNOWN}")] = None,
        department: Annotated[str | None, QueryParameter(max_length=60, description=f"The lead department's slug. {UNKNOWN}")] = None,
        area: Annotated[str | None, QueryParameter(max_length=60, description=f"An area's slug; a district includes its streets. {UNKNOWN}")] = None,
        status: Annotated[str | None, QueryParameter(max_length=20, description="A group (not_finished, moderation, with_department, answered, finished) or one status.")] = None,
        filed_from: Annotated[date | None, QueryParameter(name="from", description=f"Filed since this day. {DAYS}")] = None,
        filed_to: Annotated[date | None, QueryParameter(name="to", description=f"Filed until this day (included). {DAYS}")] = None,
        flag: Annotated[Literal["overdue", "late", "supervised"] | None, QueryParameter()] = None,
        channel: Annotated[Literal["web", "hotline", "mailbox", "social", "api"] | None, QueryParameter()] = None,
        sort: Annotated[Literal["newest", "oldest", "due"], QueryParameter()] = "newest",
        cursor: Cursor = None,
        page_size: PageSize = 20,
    ) -> models.CaseList:
        """The staff search of /staff/search: every case the key may see (a department key: the
        cases its department leads or co-handles), open or closed, in keyset pages. No name or
        phone is in the answer; a search by phone is recorded in the audit log with the key's name."""
        params = {
            "q": q, "phone": phone, "type": case_type, "category": category, "department": department, "area": area,
            "status": status, "from": filed_from and filed_from.isoformat(), "to": filed_to and filed_to.isoformat(),
            "flag": flag, "channel": channel,
        }  # fmt: skip
        try:
            staff_filter = staff_search.StaffFilter.from_params({name: value for name, value in params.items() if value})
            found = holder(request)
            who = Who(None, f"API key: {found.name}")
            page = await staff_search.search(_actor(found), staff_filter, staff_search.parse_sort(sort), cursor or None, page_size, who)
        except browse.BadFilter as error:
            raise ApiError(400, "bad_filter", BAD_FILTER, error.errors) from None
        return models.CaseList([models.summary(view) for view in page.cases], page.next_cursor)

    @get("/cases/{number:str}", responses=responses(401, 403, 404))
    async def case(self, request: Request, number: CaseNumber) -> models.StaffCase:
        """Everything about a case, with the filer's contact details masked (``.../contact``
        reveals them), and the actions this key may take on it now."""
        found = holder(request)
        scope = await _scope_of(found, number)
        view = await services.staff_case(number)
        if view is None:
            raise _not_found()
        actor = _actor(found)
        offered = [action for action in available_actions(view, actor) if action in API_ACTIONS]
        return models.staff_case(view, offered, sees_filer_contact(actor.role.value, scope))

    @post("/cases/{number:str}/contact", status_code=200, responses=responses(401, 403, 404, 422))
    async def reveal_contact(self, request: Request, number: CaseNumber, data: JSONBody[models.RevealRequest]) -> models.FilerContact:
        """The filer's full name and phone, for a reason. The reveal is recorded in the audit log
        (with the key's name) and on the case's timeline, which the filer reads on their follow
        page. Only a moderator key and the lead department's key may; a co-handling one gets 403."""
        found = holder(request)
        await _scope_of(found, number)
        contact = await reveals.reveal(number, _actor(found), data.reason, Who(None, f"API key: {found.name}"))
        return models.FilerContact(contact.name, contact.phone)

    @post("/cases/{number:str}/entries/{entry_id:str}/personal", status_code=200, responses=responses(401, 403, 404, 409, 422))
    async def mark_personal(
        self, request: Request, number: CaseNumber, entry_id: RowId, data: JSONBody[models.PersonalTextRequest]
    ) -> models.PersonalText:
        """Mark a timeline entry's text as holding personal details (or not): it is then erased
        with the filer's contact details when the retention period ends. Only text for the filer
        or for staff (a public entry: 409); a moderator key, or a handling department's key."""
        found = holder(request)
        await _scope_of(found, number)
        changed = await personal_text.mark(number, entry_id, data.personal, _actor(found), Who(None, f"API key: {found.name}"))
        return models.PersonalText(entry_id, data.personal, changed)


def _action_route(action: str):
    """``POST /staff/cases/{number}/actions/<action>``, whose body is the action's own input
    (``actions.INPUTS``): the schema shows each action with its fields and limits."""

    async def act(self, request: Request, number: CaseNumber, data) -> models.ActionDone:
        found = holder(request)
        await _scope_of(found, number)
        entry_id = await workflow.perform(number, data, _actor(found))  # a Refusal: api_exception_handler
        status = (await services.staff_case(number)).case.status
        return models.ActionDone(entry_id, status)

    act.__name__ = act.__qualname__ = f"act_{action}"
    act.__annotations__ = {"request": Request, "number": CaseNumber, "data": JSONBody[INPUTS[action]], "return": models.ActionDone}
    transition = TRANSITIONS[action]
    return post(
        f"/cases/{{number:str}}/actions/{action}",
        name=f"api_act_{action}",
        status_code=200,
        responses=responses(401, 403, 404, 409, 422),
        summary=transition.label,
        description=(
            "Take this action of the lifecycle through ``workflow.perform``: the same roles, states and departments "
            f"as the staff pages. Roles: {', '.join(sorted(role.value for role in transition.roles))}; from: "
            f"{', '.join(sorted(status.value for status in transition.from_states))}; "
            f"{'a text is required' if transition.needs_text else 'the text is optional'}."
        ),
    )(act)


# One route per action a key may take (``actions.API_ACTIONS``).
for _action in API_ACTIONS:
    setattr(StaffController, f"act_{_action}", _action_route(_action))


# The cases of a bulk run: a number that names no case is refused with the others, not the run.
BulkNumbers = Annotated[list[Annotated[str, msgspec.Meta(max_length=20)]], msgspec.Meta(min_length=1, max_length=bulk.BULK_MAX)]


def _bulk_route(action: str):
    """``POST /staff/bulk/<action>``: ``numbers`` and the action's own ``input``, as its single
    route takes it; each case through ``workflow.perform`` in a transaction of its own."""
    body = msgspec.defstruct(
        f"Bulk{INPUTS[action].__name__}",
        [("numbers", BulkNumbers), ("input", INPUTS[action])],
        kw_only=True,
        forbid_unknown_fields=True,
    )

    async def act_on_several(self, request: Request, data) -> models.BulkDone:
        outcomes = await bulk.perform_each(data.numbers, data.input, _actor(holder(request)))  # a Refusal: api_exception_handler
        activate_language(request)
        return models.BulkDone(
            [models.BulkCaseDone(o.item, o.entry_id) for o in outcomes if o.done],
            [models.BulkCaseRefused(o.item, CODES[STATUS[REFUSALS[o.kind]]], i18n.gettext(o.refusal)) for o in outcomes if not o.done],
        )

    act_on_several.__name__ = act_on_several.__qualname__ = f"bulk_{action}"
    act_on_several.__annotations__ = {"request": Request, "data": JSONBody[body], "return": models.BulkDone}
    return post(
        f"/bulk/{action}",
        name=f"api_bulk_{action}",
        status_code=200,
        responses=responses(401, 403, 422),
        summary=f"{TRANSITIONS[action].label}: several cases",
        description=(
            f"The action on each of ``numbers`` (at most {bulk.BULK_MAX}), with one ``input``, as its own route takes it"
            + (" (a new case is accepted first)" if bulk.BULK_ACTIONS[action] else "")
            + ". Each case is done in a transaction of its own: ``refused`` lists the others with their code and reason."
        ),
    )(act_on_several)


# One route per bulk action (``bulk.BULK_ACTIONS``).
for _action in bulk.BULK_ACTIONS:
    setattr(StaffController, f"bulk_{_action}", _bulk_route(_action))


class ReviewController(Controller):
    """The platform centre's review of departments' public text: a ``moderator`` key."""

    path = "/staff/reviews"
    tags = ["staff"]
    guards = [requires(MODERATOR)]
    security = [{"apiKey": []}]
    cache_control = PRIVATE

    @get("/", responses=responses(401, 403))
    async def pending(self) -> list[models.PendingText]:
        """Department texts waiting to be published, oldest first."""
        return [
            models.PendingText(
                item.entry_id, item.case_number, item.case_title, item.action, item.department_name, item.body, item.created_at,
                item.repeats_template,
            )
            for item in await workflow.pending_reviews()
        ]

    @post("/{entry_id:str}", status_code=200, responses=responses(401, 403, 404, 409, 422))
    async def review(
        self, request: Request, entry_id: RowId, data: JSONBody[models.ReviewRequest]
    ) -> models.ActionDone:
        """Publish as written, publish an edited version, or send back with a comment."""
        done = await workflow.review(entry_id, data.decision, _actor(holder(request)), body=data.text)
        return models.ActionDone(done, await services.status_of_entry(done))


def api_router(settings: Settings, caching: PublicCaching) -> Router:
    from backend.api.routing import AreasController, RoutingController  # it builds on this module

    return Router(
        path="/api/v1",
        route_handlers=[
            PublicController, AreasController, FilingController, FollowController, StaffController, ReviewController, RoutingController,
        ],
        middleware=[rate_limit(settings).middleware, caching],  # the limit counts answers from the cache too
        exception_handlers=EXCEPTION_HANDLERS,
    )
