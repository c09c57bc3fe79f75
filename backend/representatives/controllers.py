"""The representatives' channel (their own pages, signed in), the staff's queues of suggestions,
and the public record of suggestions. Thin adapters over ``representatives.services``.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Response, Template

from backend.accounts.guards import admits, current, role_guard, signed_in
from backend.vocabulary import (
    ANSWERED,
    MODERATION_QUEUE,
    PUBLIC_STATUSES,
    WITH_A_DEPARTMENT,
    Satisfaction,
    StaffRole,
    Status,
)
from backend.accounts.roles import BODY_LABELS, LEVEL_LABELS, Body
from backend.cases import browse, services
from backend.cases.queues import IS_SUGGESTION
from backend.departments.services import active_categories, area_tree, department_choices
from backend.i18n_markers import N_
from backend.photos.controllers import MAX_FORM_BYTES, photo_keys_from, receive_uploads, stored_file
from backend.photos.services import unattached_photos
from backend.representatives import services as suggestions
from backend.representatives.services import AttachmentRejected, RatingError, SuggestionError, SuggestionForm
from backend.settings import get_settings
from backend.text import row_id
from backend.web import i18n
from backend.web.errors import error_response, status_of
from backend.web.forms import form_text
from backend.web.fragments import wants_fragment
from backend.web.params import CaseNumber, RowId
from backend.errors import NotFound, Refusal

NO_STORE = {"cache-control": "no-store"}
# The photos of a no-script form, and up to five PDFs, in one submission.
MAX_SUGGESTION_BYTES = MAX_FORM_BYTES + suggestions.MAX_ATTACHMENTS * suggestions.MAX_PDF_BYTES
LABELS = {"body_labels": BODY_LABELS, "level_labels": LEVEL_LABELS}


def _uploads(form: FormMultiDict, name: str) -> list[UploadFile]:
    return [upload for upload in form.getall(name, []) if isinstance(upload, UploadFile) and upload.filename]


async def _checked_pdfs(uploads: list[UploadFile]) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The PDFs among the uploads, read and checked; one readable error per refused file."""
    accepted, errors = [], []
    for upload in uploads:
        data = await upload.read(suggestions.MAX_PDF_BYTES + 1)
        try:
            suggestions.check_pdf(data)
            accepted.append((upload.filename, data))
        except AttachmentRejected as rejected:
            errors.append(f"{upload.filename[:80]}: {i18n.gettext(rejected.message)}")
    if len(accepted) > suggestions.MAX_ATTACHMENTS:
        errors.append(i18n.gettext(N_("Attach at most 5 PDFs.")))
    return accepted, errors


class RepresentativeController(Controller):
    path = "/representatives"
    guards = [role_guard]
    opt = admits(StaffRole.representative)

    @get("/")
    async def channel(self, request: Request) -> Template:
        account = current(request).account
        return Template(
            template_name="representatives/home.html",
            context={"account": account, "channel": await suggestions.channel(account), **LABELS},
            headers=NO_STORE,
        )

    async def _form_page(self, form: SuggestionForm, errors: dict, photo_errors: list[str], status_code: int = 200) -> Template:
        return Template(
            template_name="representatives/new.html",
            context={
                "form": form,
                "errors": {name: i18n.gettext(message) for name, message in errors.items()},
                "photo_errors": photo_errors,
                "photos": await unattached_photos(form.photo_keys),
                "categories": await active_categories(),
                "areas": await area_tree(active_only=True),
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/new")
    async def new(self) -> Template:
        return await self._form_page(SuggestionForm(publication="public"), {}, [])

    @post("/new", status_code=303, request_max_body_size=MAX_SUGGESTION_BYTES)
    async def file(self, request: Request) -> Response:
        raw = await request.form()
        form = SuggestionForm(
            title=form_text(raw, "title"),
            text=form_text(raw, "text"),
            category_id=form_text(raw, "category_id"),
            area_id=form_text(raw, "area_id"),
            publication=form_text(raw, "publication"),
            photo_keys=photo_keys_from(raw),
        )
        uploaded, photo_errors = await receive_uploads(raw.getall("photos", []), len(form.photo_keys))
        form = replace(form, photo_keys=form.photo_keys + [photo.key for photo in uploaded])
        pdfs, pdf_errors = await _checked_pdfs(_uploads(raw, "attachments"))
        account = current(request).account
        try:
            if photo_errors or pdf_errors:
                await suggestions.validate(form)  # every problem at once
                raise SuggestionError({})
            case_id = await suggestions.create_draft(form, account)
        except SuggestionError as error:
            errors = dict(error.errors)
            if pdf_errors:
                errors["attachments"] = "; ".join(pdf_errors)
            return await self._form_page(form, errors, photo_errors, 422)
        for filename, data in pdfs:
            await suggestions.add_attachment(case_id, account, filename, data)
        return Redirect(f"/representatives/drafts/{case_id}", status_code=303)

    async def _draft_page(
        self, request: Request, case_id: int, error: str = "", status_code: int = 200, failed: str = ""
    ) -> Template:
        """The draft's page; ``failed`` names the form whose ``error`` it is, to show it there."""
        account = current(request).account
        draft = await suggestions.draft_for(case_id, account)
        if draft is None:
            raise NotFoundException()  # another's draft looks like no draft at all
        lead = draft.facts.is_lead(account.id)
        return Template(
            template_name="representatives/draft.html",
            context={
                "draft": draft,
                "is_lead": lead,
                "invited": draft.facts.invited(account.id),
                "choices": await suggestions.co_signer_choices(case_id, account) if lead else [],
                "error": i18n.gettext(error) if error else "",
                "failed": failed,
                **LABELS,
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/drafts/{case_id:str}")
    async def draft(self, request: Request, case_id: RowId) -> Template:
        return await self._draft_page(request, case_id)

    async def _draft_action(self, request: Request, case_id: int, action, failed: str = "") -> Response:
        try:
            await action(current(request).account)
        except Refusal as refused:  # AttachmentRejected among them
            if isinstance(refused, NotFound):
                raise NotFoundException() from None
            return await self._draft_page(request, case_id, refused.message, status_of(refused), failed)
        return Redirect(f"/representatives/drafts/{case_id}", status_code=303)

    @post("/drafts/{case_id:str}/invite", status_code=303)
    async def invite(self, request: Request, case_id: RowId) -> Response:
        invitee = row_id(form_text(await request.form(), "account_id"))
        return await self._draft_action(
            request, case_id, lambda account: suggestions.invite_co_signer(case_id, account, invitee), failed="invite"
        )

    @post("/drafts/{case_id:str}/co-sign", status_code=303)
    async def co_sign(self, request: Request, case_id: RowId) -> Response:
        return await self._draft_action(request, case_id, lambda account: suggestions.co_sign(case_id, account))

    @post("/drafts/{case_id:str}/attachments", status_code=303, request_max_body_size=MAX_SUGGESTION_BYTES)
    async def attach(self, request: Request, case_id: RowId) -> Response:
        uploads = _uploads(await request.form(), "attachments")
        if not uploads:
            return await self._draft_page(request, case_id, N_("Choose a PDF to attach."), 422)
        upload = uploads[0]
        data = await upload.read(suggestions.MAX_PDF_BYTES + 1)
        return await self._draft_action(
            request, case_id, lambda account: suggestions.add_attachment(case_id, account, upload.filename, data)
        )

    @post("/drafts/{case_id:str}/submit", status_code=303)
    async def submit(self, request: Request, case_id: RowId) -> Response:
        account = current(request).account
        try:
            number = await suggestions.submit(case_id, account, get_settings().time_zone)
        except Refusal as refused:
            if isinstance(refused, NotFound):
                raise NotFoundException() from None
            return await self._draft_page(request, case_id, refused.message, status_of(refused))
        return Redirect(f"/representatives/suggestions/{number}", status_code=303)

    @post("/suggestions/{number:str}/rating", status_code=303)
    async def rate(self, request: Request, number: CaseNumber) -> Response:
        account = current(request).account
        page = await suggestions.own_suggestion(number, account)
        if page is None or not page.facts.is_lead(account.id):
            raise NotFoundException()
        raw = await request.form()
        form = suggestions.RatingForm(form_text(raw, "outcome"), form_text(raw, "attitude"), form_text(raw, "comment"))
        try:
            await suggestions.rate(number, account, form)
        except RatingError as error:
            return await _suggestion_page(request, page, form, error.errors, 422)
        return Redirect(f"/representatives/suggestions/{number}#ratings-heading", status_code=303)


async def _suggestion_page(
    request: Request, page: suggestions.SuggestionPage, form=None, errors: dict | None = None, status_code: int = 200
) -> Template:
    session = signed_in(request)
    account = session.account if session else None
    own = account is not None and account.role == StaffRole.representative and (
        page.facts.is_lead(account.id) or page.facts.invited(account.id) is not None
    )
    may_rate = own and page.facts.is_lead(account.id) and page.view.status == Status.replied.value
    return Template(
        template_name="representatives/suggestion.html",
        context={
            "case": page.view,
            "suggestion": page.facts,
            "own": own,
            "may_rate": may_rate,
            "rating_form": form or suggestions.RatingForm(),
            "errors": {name: i18n.gettext(message) for name, message in (errors or {}).items()},
            "satisfaction_choices": [s.value for s in Satisfaction],
            **({"live_url": f"/cases/{page.view.number}/events"} if page.view.published_at and not own else {}),
            **LABELS,
        },
        status_code=status_code,
        headers=NO_STORE if own else {"cache-control": "no-cache", "vary": "Cookie"},
    )


class SuggestionController(Controller):
    """What everyone may see: public suggestions, and their PDFs."""

    path = "/representatives"

    @get("/suggestions")
    async def public_list(self, request: Request, cursor: FromQuery[str | None] = None) -> Response:
        # "body" is a name Litestar keeps for the request body: the filters are read as text.
        params = request.query_params
        area, department = params.get("area", ""), params.get("department", "")
        filters = suggestions.Filters(
            params.get("body", ""), row_id(area) if area else None, row_id(department) if department else None, params.get("status", "")
        ).cleaned()
        try:
            listing = await suggestions.public_suggestions(filters, cursor)
        except browse.BadFilter as bad:  # a damaged cursor: what to do about it, in words
            return error_response(request, 400, next(iter(bad.errors.values())))
        query = {
            name: value
            for name, value in (
                ("body", filters.body),
                ("area", filters.area_id or ""),
                ("department", filters.department_id or ""),
                ("status", filters.status),
            )
            if value
        }
        return Template(
            template_name="partials/suggestion_list.html" if wants_fragment(request) else "representatives/list.html",
            context={
                "listing": listing,
                "filters": filters,
                "query": urlencode(query),
                "first_page": cursor is None,
                "bodies": [b.value for b in Body],
                "areas": await area_tree(active_only=True),
                "departments": await department_choices(),
                "statuses": [s.value for s in Status if s in PUBLIC_STATUSES],
                **LABELS,
            },
            headers={"vary": "HX-Request"},
        )

    @get("/suggestions/{number:str}")
    async def suggestion(self, request: Request, number: CaseNumber) -> Template:
        session = signed_in(request)
        page = await suggestions.own_suggestion(number, session.account if session else None) or await suggestions.public_suggestion(number)
        if page is None:
            raise NotFoundException()
        return await _suggestion_page(request, page)

    @get("/attachments/{key:str}")
    async def attachment(self, request: Request, key: FromPath[str]) -> Response:
        session = signed_in(request)
        found = await suggestions.attachment_file(key[:64], session.account if session else None)
        if found is None:
            raise NotFoundException()
        sha256, filename = found
        return await stored_file(
            sha256,
            ".pdf",
            filename=filename,
            content_disposition_type="attachment",
            media_type="application/pdf",
            headers={
                # Never rendered in the site's origin: a PDF with script in it can do nothing here.
                "content-security-policy": "sandbox; default-src 'none'",
                "x-content-type-options": "nosniff",
                "cache-control": "private, no-cache",
            },
        )


class StaffSuggestionController(Controller):
    """The suggestions' own queues for the platform centre and for departments. They stay in the
    general queues too (marked), so no count there leaves them out."""

    guards = [role_guard]

    @get("/moderation/suggestions", opt=admits(StaffRole.moderator))
    async def moderation(self) -> Template:
        return Template(
            template_name="representatives/staff_queue.html",
            context={
                "sections": [
                    ("waiting", N_("Waiting for the platform centre"), await services.staff_cases(set(MODERATION_QUEUE), where=IS_SUGGESTION)),
                    ("handling", N_("With departments"), await services.staff_cases(set(WITH_A_DEPARTMENT) | {Status.accepted}, where=IS_SUGGESTION)),
                    ("done", N_("Answered"), await services.staff_cases(ANSWERED, where=IS_SUGGESTION, limit=20, newest_first=True)),
                ],
            },
            headers=NO_STORE,
        )

    @get("/department/suggestions", opt=admits(StaffRole.handler))
    async def department(self, request: Request) -> Template:
        account = current(request).account
        if account.department_id is None:
            raise PermissionDeniedException()
        department = account.department_id
        return Template(
            template_name="representatives/staff_queue.html",
            context={
                "sections": [
                    ("handling", N_("To do"), await services.staff_cases(set(WITH_A_DEPARTMENT), department_id=department, where=IS_SUGGESTION)),
                    ("done", N_("Recently answered"), await services.staff_cases(ANSWERED, department_id=department, where=IS_SUGGESTION, limit=20, newest_first=True)),
                ],
            },
            headers=NO_STORE,
        )
