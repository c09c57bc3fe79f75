"""Free text that holds personal details: erased with the filer's contact details.

A contact note ("spoke with Mr Wang at his shop on Qiyi Road"), an internal note, a rating's
comment or a withdrawal's reason can name people, addresses or illnesses. Staff whose job is the
case (the platform centre, the departments handling it) mark such a timeline entry as personal,
or unmark it; the text a moderator redacted out of a case is personal from the start
(``actions.Redact``). When the case's personal data goes (``retention``), so does the marked
text. Public entries are never marked: the public record stays as published, and a moderator
edits personal details out before anything is published. Each mark is in the audit log.
"""

from __future__ import annotations

from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.cases.permissions import handler_scope
from backend.cases.services import STAFF_SEES, Actor, departments_of_case, with_number
from backend.cases.tables import Case, TimelineEntry
from backend.db import write_transaction
from backend.errors import Forbidden, NotFound, WrongState
from backend.i18n_markers import N_
from backend.vocabulary import Role, Scope, Visibility

MARKABLE = frozenset({Visibility.filer, Visibility.internal})


def may_mark(role: Role, scope: Scope | None) -> bool:
    """The platform centre, and a department handling the case (lead or co-handling)."""
    return role == Role.moderator or (role == Role.handler and scope is not None)


async def mark(number: str, entry_id: int, personal: bool, actor: Actor, who: Who) -> bool:
    """Mark the entry's text as personal (or not); returns whether anything changed. Raises
    NotFound (no such case or entry, or another department's case), Forbidden (not the
    actor's to mark) or WrongState (a public entry, or the case's personal data is gone)."""
    async with write_transaction():
        case = await Case.select(Case.id, Case.number, Case.anonymised_at).where(with_number(number), STAFF_SEES).first()
        if case is None:
            raise NotFound(N_("There is no such case."))
        scope = None
        if actor.role == Role.handler:
            scope = handler_scope(actor.department_id, *await departments_of_case(case["id"]))
            if scope is None:  # another department's case looks like one that does not exist
                raise NotFound(N_("There is no such case."))
        if not may_mark(actor.role, scope):
            raise Forbidden(N_("Only the platform centre and the departments handling the case can mark its text as personal."))
        entry = await TimelineEntry.select(TimelineEntry.visibility, TimelineEntry.personal).where(
            TimelineEntry.id == entry_id, TimelineEntry.case == case["id"]
        ).first()
        if entry is None:
            raise NotFound(N_("There is no such entry on this case."))
        if Visibility(entry["visibility"]) not in MARKABLE:
            raise WrongState(N_("Public text cannot be marked: the platform centre edits personal details out before publishing."))
        if case["anonymised_at"] is not None:
            raise WrongState(N_("The personal data of this case was erased already."))
        if entry["personal"] == personal:
            return False
        await TimelineEntry.update({TimelineEntry.personal: personal}).where(TimelineEntry.id == entry_id)
        what = AuditAction.text_marked_personal if personal else AuditAction.text_unmarked_personal
        await audit.record(what, actor=who, detail=f"{case['number']} · {entry_id}")
    return True


async def erase(case_ids: list[int]) -> None:
    """The retention job's part (in its transaction): the marked text of these cases goes."""
    if case_ids:
        await TimelineEntry.update({TimelineEntry.body: ""}).where(
            TimelineEntry.case.is_in(case_ids), TimelineEntry.personal.eq(True)
        )
