"""Bulk actions: one action of the lifecycle table, with one input, on several cases.

Each case goes through ``workflow.perform`` in a write transaction of its own, exactly as the
action on its own would, so a case that is refused leaves the others done; the outcome lists
each case, done or refused with the refusal's message (a message id, for the person's language).
Several ratings are published the same way, each through ``ratings.decide_publication``.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.cases import ratings, workflow
from backend.cases.actions import INPUTS, ActionInput, inputs_of
from backend.cases.lifecycle import TRANSITIONS, refusal
from backend.cases.permissions import handler_scope
from backend.cases.services import STAFF_SEES, Actor, departments_of, with_number
from backend.cases.tables import Case
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound, Refusal
from backend.i18n_markers import N_
from backend.vocabulary import PublicationDecision, Role, Status

BULK_MAX = 100  # cases in one run: a page of a queue
NOTHING_CHOSEN = N_("Choose at least one case.")
TOO_MANY = N_("Choose at most 100 at a time.")

# The actions staff take on several cases at once (the centre and departments), each with
# the actions taken first, in the same transaction, on a case whose state the table allows them
# from: new cases are accepted, then assigned (受理并交办).
BULK_ACTIONS: dict[str, tuple[str, ...]] = {
    "assign": ("accept",),
    "supervise": (),
    "sign": (),
}


def forms_of(actions: list[str]) -> dict:
    """What a queue's bulk forms need of their actions: each one's row and input type, from which
    the form takes the same fields (its partial, its text box) as on a case's page."""
    return {"rows": {action: TRANSITIONS[action] for action in actions}, "action_inputs": {action: INPUTS[action] for action in actions}}


@dataclass(frozen=True)
class Outcome:
    """What became of one case (or rating) of a bulk run."""

    item: str  # the case's number (the rating's id, for ratings)
    entry_id: int | None = None  # the entry the action wrote, if done
    refusal: str | None = None  # why not, a message id
    kind: str = ""  # the refusal's kind (NotFound, WrongState…), for the JSON API's codes

    @property
    def done(self) -> bool:
        return self.refusal is None


def chosen(items: list[str]) -> list[str]:
    """The items chosen, each once, in the order given; refuses none or too many."""
    unique = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    if not unique:
        raise InvalidInput(NOTHING_CHOSEN)
    if len(unique) > BULK_MAX:
        raise InvalidInput(TOO_MANY)
    return unique


def _refused(item: str, refused: Refusal) -> Outcome:
    return Outcome(item, refusal=refused.message, kind=type(refused).__name__)


async def _perform_one(number: str, inputs: ActionInput, actor: Actor, lead_in: tuple[str, ...]) -> int:
    async with write_transaction():  # the lead-in and the action commit or roll back together
        if actor.role == Role.handler and handler_scope(actor.department_id, *await departments_of(number)) is None:
            raise NotFound(N_("There is no such case."))  # another department's case, as on its page
        for step in lead_in:
            case = await Case.select(Case.status, Case.case_type).where(with_number(number), STAFF_SEES).first()
            if case and refusal(step, actor.role, Status(case["status"]), None, case["case_type"]) is None:
                await workflow.perform(number, inputs_of(step), actor)
        return await workflow.perform(number, inputs, actor)


async def perform_each(numbers: list[str], inputs: ActionInput, actor: Actor) -> list[Outcome]:
    """``inputs``'s action on each case numbered in ``numbers``, one transaction each. Raises
    InvalidInput for no case or too many, or an action that is not a bulk one, and the table's
    refusal for a role the action is not for (before any case is tried)."""
    if inputs.action not in BULK_ACTIONS:
        raise InvalidInput(N_("This action does not exist."))
    if refused := refusal(inputs.action, actor.role):  # not for this role: no case is tried
        raise refused[0](refused[1])
    outcomes = []
    for number in chosen(numbers):
        try:
            outcomes.append(Outcome(number, await _perform_one(number, inputs, actor, BULK_ACTIONS[inputs.action])))
        except Refusal as refused:
            outcomes.append(_refused(number, refused))
    return outcomes


async def publish_ratings(rating_ids: list[str], actor: Actor) -> list[Outcome]:
    """Publish each rating, without its comment: a comment goes public only as a moderator
    edited it of personal details, one rating at a time."""
    outcomes = []
    for item in chosen(rating_ids):
        try:
            if not (item.isascii() and item.isdigit() and len(item) <= 9):
                raise NotFound(N_("There is no such rating."))
            entry = await ratings.decide_publication(int(item), PublicationDecision.publish.value, actor)
            outcomes.append(Outcome(item, entry))
        except Refusal as refused:
            outcomes.append(_refused(item, refused))
    return outcomes
