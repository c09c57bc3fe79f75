"""Staff pages over cases: the moderation and review queues, a department's workspace, the
leaders' overview, and the staff view of one case with the actions its viewer may take.
Thin adapters over ``services``, ``workflow`` and ``permissions``.
"""

from __future__ import annotations

import secrets

from zoneinfo import ZoneInfo

import msgspec

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from backend import clock
from backend.accounts.guards import admits, current, role_guard
from backend.vocabulary import CITIZEN_CASE_TYPES, REVEAL_REASON_LABELS, RevealReason, Role, StaffRole, Status
from backend.accounts.audit import Who
from backend.accounts.roles import BODY_LABELS, LEVEL_LABELS
from backend.accounts.services import AccountView
from backend.cases import bulk, figures, merging, personal_text, ratings, reveals, services, supervision, workflow
from backend.cases.controllers import case_form_from, follow_url
from backend.cases.filing import RECORDED_BY_STAFF, SOURCE_LABELS, CaseForm, FilingError, validate, validate_source
from backend.cases.lifecycle import PHOTO_ACTIONS, TRANSITIONS, moves_forward
from backend.cases.actions import INPUTS, ActionInput, Unreadable, WithPhotos, from_form
from backend.cases.queues import department_context, moderation_context, review_context
from backend.cases.permissions import available_actions, handler_scope, may_see_case, sees_filer_contact
from backend.cases.reveals import Contact
from backend.cases.services import Actor, StaffCaseView
from backend.deadlines import services as calendar_services
from backend.departments.services import active_categories, area_tree, department_choices
from backend.i18n_markers import N_
from backend.knowledge import services as knowledge, templates
from backend.photos.controllers import MAX_FORM_BYTES, photo_key_from, photo_keys_from, receive_uploads
from backend.photos.services import unattached_photos
from backend.representatives.services import facts_of as suggestion_facts
from backend.routing import services as routing
from backend.settings import get_settings
from backend.notifications import log as notification_log
from backend.notifications.log import delivery_labels
from backend.web import i18n
from backend.web.errors import status_of
from backend.web.forms import form_text
from backend.web.fragments import wants_fragment
from backend.web.params import CaseNumber, RowId, RowIdQuery
from backend.errors import InvalidInput, Refusal

NO_STORE = {"cache-control": "no-store"}


CHOOSE_A_REASON = N_("Choose why you need the contact details.")


def contact_context(view: StaffCaseView, shows: bool, revealed: tuple[Contact, RevealReason] | None = None) -> dict:
    """The filer's contact block: masked, unless just revealed; none for whom it is not for."""
    if revealed:
        contact = revealed[0]
    else:
        contact = reveals.masked(Contact(view.filer_name, view.filer_phone)) if shows else None
    return {
        "case": view.case,
        "contact": contact,
        "revealed": revealed[1].value if revealed else None,
        "anonymised_at": view.anonymised_at,
        "reveal_reasons": {reason.value: label for reason, label in REVEAL_REASON_LABELS.items()},
    }


def actor_of(account: AccountView) -> Actor:
    """How a person appears on the timeline: a department by its name, the centre unnamed."""
    if account.role == StaffRole.handler:
        return Actor(Role.handler, account.department_name or "", account.department_id)
    return Actor(Role(account.role), "", account_id=account.id)


class WorkspaceController(Controller):
    guards = [role_guard]

    @get("/moderation", opt=admits(StaffRole.moderator))
    async def moderation_queue(self) -> Template:
        context = {**await moderation_context(), **bulk.forms_of(["assign", "supervise"]), "departments": await department_choices()}
        return Template(template_name="staff/moderation.html", context={**context, "errors": {}}, headers=NO_STORE)

    @get("/moderation/review", opt=admits(StaffRole.moderator))
    async def review_queue(self) -> Template:
        return Template(template_name="staff/review.html", context=await review_context(), headers=NO_STORE)

    @post("/moderation/review/{entry_id:str}", opt=admits(StaffRole.moderator), status_code=303)
    async def review(self, request: Request, entry_id: RowId) -> Response:
        form = await request.form()
        decision = form_text(form, "decision")
        text, comment = form_text(form, "text"), form_text(form, "comment")
        original = form_text(form, "original")
        if decision == "edit" and text.strip() == original.strip():
            decision = "approve"  # nothing was changed: it is published as written
        body = comment if decision == "send_back" else text
        try:
            await workflow.review(entry_id, decision, actor_of(current(request).account), body=body)
        except Refusal as refused:
            if not isinstance(refused, InvalidInput):
                raise  # a page with its message (backend.web.errors.refusal_handler)
            return Template(
                template_name="staff/review.html",
                context={
                    "pending": await workflow.pending_reviews(),
                    "errors": {entry_id: i18n.gettext(refused.message)},
                    "typed": {entry_id: {"text": text, "comment": comment}},
                },
                status_code=422,
                headers=NO_STORE,
            )
        return Redirect("/moderation/review", status_code=303)

    @get("/moderation/ratings", opt=admits(StaffRole.moderator))
    async def rating_queue(self) -> Template:
        return Template(
            template_name="staff/ratings.html",
            context={"pending": await ratings.pending_ratings(), "errors": {}, "typed": {}},
            headers=NO_STORE,
        )

    @post("/moderation/ratings/{rating_id:str}", opt=admits(StaffRole.moderator), status_code=303)
    async def decide_rating(self, request: Request, rating_id: RowId) -> Response:
        form = await request.form()
        comment = form_text(form, "comment")
        try:
            await ratings.decide_publication(rating_id, form_text(form, "decision"), actor_of(current(request).account), comment=comment)
        except Refusal as refused:
            if not isinstance(refused, InvalidInput):
                raise  # a page with its message (backend.web.errors.refusal_handler)
            return Template(
                template_name="staff/ratings.html",
                context={
                    "pending": await ratings.pending_ratings(),
                    "errors": {rating_id: i18n.gettext(refused.message)},
                    "typed": {rating_id: comment},
                },
                status_code=422,
                headers=NO_STORE,
            )
        return Redirect("/moderation/ratings", status_code=303)

    async def _intake_page(
        self, form: CaseForm, source: str, source_url: str, errors: dict, status_code: int = 200, recorded: services.FiledCase | None = None
    ) -> Template:
        return Template(
            template_name="staff/intake.html",
            context={
                # Right after recording, and only here: the follow link to give the caller. It is
                # theirs alone: no staff page shows it again, so no department can act as them.
                "recorded": recorded,
                "recorded_follow_url": follow_url(recorded.follow_token) if recorded else "",
                "form": form,
                "source": source,
                "source_url": source_url,
                "errors": {field: i18n.gettext(message) for field, message in errors.items()},
                "categories": await active_categories(),
                "areas": await area_tree(active_only=True),
                "sources": {key: SOURCE_LABELS[key] for key in RECORDED_BY_STAFF},
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/moderation/intake", opt=admits(StaffRole.moderator))
    async def intake_form(self) -> Template:
        return await self._intake_page(CaseForm(submission_key=secrets.token_urlsafe(24), publication="private"), "", "", {})

    @post("/moderation/intake", opt=admits(StaffRole.moderator), status_code=201)
    async def record_intake(self, request: Request) -> Response:
        """A hotline call, a letter or a public post, recorded by the centre as a case."""
        raw = await request.form()
        form = case_form_from(raw)
        source, source_url = form_text(raw, "source"), form_text(raw, "source_url")
        settings = get_settings()
        try:
            channel, url = validate_source(source, source_url)
        except FilingError as source_error:
            errors = dict(source_error.errors)
            try:  # the rest of the form is checked too, so every problem shows at once
                validate(form.cleaned(), phone_required=False)
            except FilingError as error:
                errors.update(error.errors)
            return await self._intake_page(form, source, source_url, errors, 422)
        try:
            filed = await services.file_case(
                form,
                secret_key=settings.secret_key,
                time_zone=settings.time_zone,
                source=channel,
                source_url=url,
                recorded_by=actor_of(current(request).account),
            )
        except FilingError as error:
            return await self._intake_page(form, source, source_url, error.errors, status_of(error))
        blank = CaseForm(submission_key=secrets.token_urlsafe(24), publication="private")  # for the next call
        return await self._intake_page(blank, "", "", {}, 201, recorded=filed)

    @get("/department", opt=admits(StaffRole.handler))
    async def department_workspace(self, request: Request) -> Template:
        context = {**await department_context(current(request).account), **bulk.forms_of(["sign"]), "errors": {}}
        return Template(template_name="staff/department.html", context=context, headers=NO_STORE)

    @get("/leader", opt=admits(StaffRole.leader))
    async def leader_overview(self, request: Request, period: FromQuery[str] = "month") -> Template:
        period = period if period in figures.PERIODS else "month"
        return Template(
            template_name="staff/leader.html",
            context={
                "counts": await services.status_counts(),
                "statuses": [status for status in Status if status != Status.draft],  # drafts are their representatives' alone
                "overdue": await supervision.overdue_cases(),
                "overdue_count": await supervision.overdue_count(),
                "supervised": await supervision.supervised_cases(),
                "supervised_count": await supervision.supervised_count(),
                "returned": await services.staff_cases({Status.returned}),
                "in_my_charge": await supervision.cases_in_charge_of(current(request).account.id),
                "unsatisfied": await services.staff_cases({Status.unsatisfied}),
                "period": period,
                "figures": await figures.department_figures(period, clock.now()),
                "contacts": await figures.contacts(period, clock.now()),
                **bulk.forms_of(["supervise"]),
                "errors": {},
                "unknown_schedule_year": await calendar_services.unknown_schedule_year(
                    clock.now().astimezone(ZoneInfo(get_settings().time_zone)).date()
                ),
            },
            headers=NO_STORE,
        )

    async def _visible_case(self, request: Request, number: str):
        account = current(request).account
        view = await services.staff_case(number)
        scope = handler_scope(account.department_id, view.department_id, view.co_handler_ids) if view else None
        # Another department's case looks exactly like a case that does not exist.
        if view is None or not may_see_case(account.role, scope):
            raise NotFoundException()
        return account, view, scope

    async def _case_page(
        self,
        request: Request,
        number: str,
        errors: dict[str, str] | None = None,
        typed: dict | None = None,
        status_code: int = 200,
        typed_photos: dict | None = None,
        revealed: tuple[Contact, RevealReason] | None = None,
    ) -> Template:
        account, view, scope = await self._visible_case(request, number)
        actions = available_actions(view, actor_of(account))
        choices = set().union(*(INPUTS[action].choices for action in actions))
        show_contact = sees_filer_contact(account.role, scope)
        # A row another row's form chooses (``Transition.chosen_by``) has no form of its own.
        form_actions = [action for action in actions if action not in PHOTO_ACTIONS and not TRANSITIONS[action].chosen_by]
        return Template(
            template_name="staff/case.html",
            context={
                "view": view,
                **contact_context(view, show_contact, revealed),
                # Who may contact the filer sees where news went (masked); the others, that it went.
                "deliveries": await notification_log.case_log(view.case.id, show_addresses=show_contact),
                **delivery_labels(),
                "form_actions": form_actions,
                # The action bar's first offers, from the lifecycle table.
                "next_actions": [action for action in form_actions if moves_forward(action, Status(view.case.status))],
                "photo_controls": [action for action in actions if action in PHOTO_ACTIONS],
                "typed_photos": typed_photos or {},
                "rows": {action: TRANSITIONS[action] for action in actions},
                "action_inputs": {action: INPUTS[action] for action in actions},
                # What the offered actions' partials choose from, and only that.
                "departments": await department_choices() if "departments" in choices else [],
                "categories": await active_categories() if "categories" in choices else [],
                "areas": await area_tree(active_only=True) if "areas" in choices else [],
                "knowledge": await knowledge.for_answering(f"{view.case.title} {view.case.description}") if "knowledge" in choices else ([], []),
                "routing": await routing.suggestion_for(view.case.id) if "routing" in choices else None,
                "reply_templates": await templates.templates_for(account.department_id) if "templates" in choices else [],
                "case_types": [t.value for t in CITIZEN_CASE_TYPES],
                "errors": errors or {},
                "typed": typed or {},
                "source_labels": SOURCE_LABELS,
                "suggestion": (await suggestion_facts([view.case.id])).get(view.case.id),
                "merged_in": await merging.merged_into(view.case.id),
                "body_labels": BODY_LABELS,
                "level_labels": LEVEL_LABELS,
                "may_mark_personal": personal_text.may_mark(actor_of(account).role, scope) and view.anonymised_at is None,
            },
            status_code=status_code,
            headers=NO_STORE,
        )

    @get("/staff/cases/{number:str}", opt=admits(StaffRole.moderator, StaffRole.leader, StaffRole.handler))
    async def staff_case(self, request: Request, number: CaseNumber, template_id: RowIdQuery = None) -> Template:
        """``template_id``: a reply template the handler chose, filled in for the case in the
        reply's text box, to edit before sending (htmx takes just the box)."""
        account = current(request).account
        if template_id is None or account.role != StaffRole.handler:
            return await self._case_page(request, number)
        await self._visible_case(request, number)
        template = await templates.usable_template(template_id, account.department_id)
        filled = templates.fill(template.body, await templates.facts_of(number, account.department_id))
        return await self._case_page(request, number, typed={"draft_reply": {"body": filled}})

    @post("/staff/cases/{number:str}/contact", opt=admits(StaffRole.moderator, StaffRole.handler), status_code=200)
    async def reveal_contact(self, request: Request, number: CaseNumber) -> Template:
        """Show the filer's full contact details, for a reason the filer will read (``cases.reveals``)."""
        account = current(request).account
        try:
            reason = RevealReason(form_text(await request.form(), "reason"))
        except ValueError:
            return await self._contact_answer(request, number, errors={"reason": i18n.gettext(CHOOSE_A_REASON)}, status_code=422)
        contact = await reveals.reveal(number, actor_of(account), reason, Who(account.id, account.name))
        return await self._contact_answer(request, number, revealed=(contact, reason))

    @post(
        "/staff/cases/{number:str}/entries/{entry_id:str}/personal",
        opt=admits(StaffRole.moderator, StaffRole.handler),
        status_code=303,
    )
    async def mark_personal(self, request: Request, number: CaseNumber, entry_id: RowId) -> Redirect:
        """Mark a timeline entry's text as personal, or not (``cases.personal_text``)."""
        account = current(request).account
        personal = form_text(await request.form(), "personal") == "1"
        await personal_text.mark(number, entry_id, personal, actor_of(account), Who(account.id, account.name))
        return Redirect(f"/staff/cases/{number}#entry-{entry_id}", status_code=303)

    async def _contact_answer(
        self,
        request: Request,
        number: str,
        *,
        revealed: tuple[Contact, RevealReason] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        """The case page with its contact block, or (htmx) the block alone."""
        if not wants_fragment(request):
            return await self._case_page(request, number, errors=errors, status_code=status_code, revealed=revealed)
        account, view, scope = await self._visible_case(request, number)
        context = contact_context(view, sees_filer_contact(account.role, scope), revealed)
        return Template(
            template_name="partials/filer_contact.html", context={**context, "errors": errors or {}}, status_code=status_code, headers=NO_STORE
        )

    @post(
        "/staff/cases/{number:str}/{action:str}",
        opt=admits(StaffRole.moderator, StaffRole.leader, StaffRole.handler),
        status_code=303,
        request_max_body_size=MAX_FORM_BYTES,
    )
    async def act(self, request: Request, number: CaseNumber, action: FromPath[str]) -> Response:
        account = current(request).account
        if not await _handles(account, number):
            raise NotFoundException()  # as for a case that does not exist
        form = await request.form()
        kept = photo_keys_from(form)  # photos added already, through the picker
        try:
            inputs = _inputs_from(action, form)
            # Without script the chosen files come with the form itself; store them first.
            uploaded, photo_errors = await receive_uploads(form.getall("photos", []), len(kept))
            kept += [photo.key for photo in uploaded]
            if photo_errors:
                raise InvalidInput("; ".join(photo_errors))
            if isinstance(inputs, WithPhotos):
                inputs = msgspec.structs.replace(inputs, photo_keys=kept)
            elif uploaded:
                raise InvalidInput(N_("Photos cannot be added to this."))
            entry_id = await workflow.perform(number, inputs, actor_of(account))
        except Refusal as refused:
            if not isinstance(refused, InvalidInput):
                raise  # a page with its message (backend.web.errors.refusal_handler)
            typed = {name: value for name, value in form.items() if isinstance(value, str)}
            photos = {action: await unattached_photos(kept)}  # uploaded already: keep them
            return await self._case_page(request, number, {action: i18n.gettext(refused.message)}, {action: typed}, 422, photos)
        if not await _handles(account, number):
            # A return hands the case back to the moderators: the department's view of it ends here.
            return Redirect("/department", status_code=303)
        return Redirect(f"/staff/cases/{number}#entry-{entry_id}", status_code=303)


def _inputs_from(action: str, form: FormMultiDict) -> ActionInput | str:
    """The action's input from its form (an action not in the table: its name, which
    ``workflow.perform`` refuses). Raises InvalidInput for a field it cannot read."""
    if action not in INPUTS:
        return action
    if "photo_key" in INPUTS[action].__struct_fields__:
        photo_key_from(form)  # a key of no photo's shape is a bad request
    try:
        return from_form(action, lambda name: form.getall(name, []))
    except Unreadable as unreadable:
        raise InvalidInput(unreadable.message) from None


async def _handles(account: AccountView, number: str) -> bool:
    """Whether a handler's department handles this case (lead or co-handling); other roles
    are checked by the workflow itself. Only the departments are read, not the whole case."""
    if account.role != StaffRole.handler:
        return True
    return handler_scope(account.department_id, *await services.departments_of(number)) is not None
