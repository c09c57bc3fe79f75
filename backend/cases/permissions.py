"""Who among the staff may see which case, and which actions each may take there. Plain
rules over the lifecycle table, no HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.vocabulary import Role, Scope, StaffRole, Status
from backend.cases.lifecycle import TRANSITIONS, refusal

if TYPE_CHECKING:
    from backend.cases.services import Actor, StaffCaseView

# The platform centre and leaders oversee every case; a handler sees its departments' cases.
OVERSEERS = frozenset({StaffRole.moderator, StaffRole.leader})


def handler_scope(account_department_id: int | None, lead_id: int | None, co_handler_ids: list[int]) -> Scope | None:
    """How a handler's department stands to a case: lead, co-handling, or not at all."""
    if account_department_id is None:
        return None
    if account_department_id == lead_id:
        return Scope.lead
    if account_department_id in co_handler_ids:
        return Scope.handling
    return None


def may_see_case(role: str, scope: Scope | None) -> bool:
    if role in OVERSEERS:
        return True
    return role == StaffRole.handler and scope is not None


def sees_filer_contact(role: str, scope: Scope | None) -> bool:
    """Who may reveal the filer's name and phone (``cases.reveals``): the platform centre and the
    lead department, which contact the filer; not leaders, nor departments that only co-handle."""
    return role == StaffRole.moderator or (role == StaffRole.handler and scope == Scope.lead)


def actions_for(role: str, status: Status, scope: Scope | None, case_type: str) -> list[str]:
    """The lifecycle actions this person may take on a case in this state, in table order."""
    try:
        case_role = Role(role)
    except ValueError:
        return []
    return [action for action in TRANSITIONS if refusal(action, case_role, status, scope, case_type) is None]


def available_actions(case: StaffCaseView, actor: Actor) -> list[str]:
    """What ``actor`` may do to the case now, in table order: the one list that the staff page,
    the JSON API and the tests offer (each adapter leaves out what it has no control for)."""
    scope = handler_scope(actor.department_id, case.department_id, case.co_handler_ids) if actor.role == Role.handler else None
    return [
        action
        for action in actions_for(actor.role.value, Status(case.case.status), scope, case.case.case_type)
        if TRANSITIONS[action].offered_if is None or getattr(case, TRANSITIONS[action].offered_if)
    ]
