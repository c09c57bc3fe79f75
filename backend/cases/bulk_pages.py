"""The staff pages' bulk actions: the cases ticked in a queue, one action with the fields of its
own input (``actions.INPUTS``, read by ``actions.from_form`` as on a case's page), each case
through ``bulk.perform_each``; the answer lists each case, done or refused with the reason.
htmx takes the list alone into the queue's page; without script it is a page of its own."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.guards import admits, current, role_guard
from backend.cases import bulk
from backend.cases.actions import Unreadable, from_form
from backend.cases.lifecycle import TRANSITIONS
from backend.cases.workspaces import NO_STORE, actor_of
from backend.errors import InvalidInput
from backend.vocabulary import StaffRole
from backend.web import i18n
from backend.web.fragments import wants_fragment

# Where each bulk run goes back to: the queue it was started from.
BACK = {StaffRole.moderator: "/moderation", StaffRole.handler: "/department", StaffRole.leader: "/leader"}
RATINGS = "ratings"  # the label's key of the ratings' run


def result(request: Request, label: str, outcomes: list[bulk.Outcome], error: str = "", status_code: int = 200, back: str = "") -> Template:
    account = current(request).account
    context = {
        "label": label,
        "done": [outcome for outcome in outcomes if outcome.done],
        "refused": [outcome for outcome in outcomes if not outcome.done],
        "error": error,
        "back": back or BACK.get(account.role, "/"),
        "ratings": label == RATINGS,
    }
    name = "partials/bulk_result.html" if wants_fragment(request) else "staff/bulk_result.html"
    return Template(template_name=name, context=context, status_code=status_code, headers=NO_STORE)


class BulkController(Controller):
    guards = [role_guard]

    @post("/staff/bulk/{action:str}", opt=admits(StaffRole.moderator, StaffRole.leader, StaffRole.handler), status_code=200)
    async def act_on_several(self, request: Request, action: FromPath[str]) -> Template:
        """``number``: the cases ticked; the other fields are the action's own."""
        if action not in bulk.BULK_ACTIONS:
            raise NotFoundException()
        form = await request.form()
        label = TRANSITIONS[action].label
        try:
            inputs = from_form(action, lambda name: form.getall(name, []))
            numbers = [value for value in form.getall("number", []) if isinstance(value, str)]
            outcomes = await bulk.perform_each(numbers, inputs, actor_of(current(request).account))
        except (Unreadable, InvalidInput) as refused:
            return result(request, label, [], i18n.gettext(refused.message), 422)
        return result(request, label, outcomes)

    @post("/moderation/ratings/publish", opt=admits(StaffRole.moderator), status_code=200)
    async def publish_ratings(self, request: Request) -> Template:
        """``rating_id``: the ratings ticked, each published without its comment."""
        form = await request.form()
        ids = [value for value in form.getall("rating_id", []) if isinstance(value, str)]
        try:
            outcomes = await bulk.publish_ratings(ids, actor_of(current(request).account))
        except InvalidInput as refused:
            return result(request, RATINGS, [], i18n.gettext(refused.message), 422, "/moderation/ratings")
        return result(request, RATINGS, outcomes, back="/moderation/ratings")

