"""The filer's contact details: masked for staff, revealed on purpose, every reveal recorded.

A complainant's identity reaching the unit complained about (举报人信息泄露) is the failure
complaint channels are known for. So staff pages and the staff API show a filer's name shortened
and phone masked; the full details take an explicit reveal, with a reason, by someone whose job
needs them (``permissions.sees_filer_contact``: the platform centre and the lead department).
Each reveal is a timeline entry for the filer and staff (the filer's follow page lists who
looked and why, live) and a line in the admins' audit log (which names the person).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.cases.permissions import handler_scope, sees_filer_contact
from backend.cases.services import STAFF_SEES, Actor, append_entry, departments_of_case, with_number
from backend.cases.tables import Case
from backend.db import write_transaction
from backend.errors import Forbidden, NotFound, WrongState
from backend.i18n_markers import N_
from backend.vocabulary import RevealReason, Role, Visibility

NOT_YOURS_TO_SEE = N_("Only the platform centre and the lead department can see the filer's contact details.")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


def masked_phone(phone: str) -> str:
    """A phone number as staff see it before a reveal: a mobile number keeps its first three and
    last four digits (138****8000), as Chinese services print them; a shorter one its last two."""
    digits = [ch for ch in phone if ch.isdigit()]
    if not digits:
        return ""
    head, tail = (3, 4) if len(digits) >= 11 else (0, 2)
    return "".join(digits[:head]) + "*" * (len(digits) - head - tail) + "".join(digits[-tail:])


def shortened_name(name: str) -> str:
    """A name as staff see it before a reveal: its first character (the family name, in Chinese)."""
    name = name.strip()
    return name[:1] + "*" * min(2, max(1, len(name) - 1)) if name else ""


def masked(contact: Contact) -> Contact:
    return Contact(shortened_name(contact.name), masked_phone(contact.phone))


def reveal_action(reason: RevealReason) -> str:
    """The timeline entry's action for a reveal (its label says the reason to the filer)."""
    return f"reveal_{reason.value}"


async def reveal(number: str, actor: Actor, reason: RevealReason, who: Who) -> Contact:
    """The filer's full contact details, for ``actor`` (``who``: the account or API key, for the
    audit log). Raises NotFound for a case staff cannot see, Forbidden for anyone whose job does
    not need the details. The record commits with the answer: no reveal goes unrecorded."""
    if actor.role not in {Role.moderator, Role.handler}:
        raise Forbidden(NOT_YOURS_TO_SEE)
    async with write_transaction():
        case = await Case.select(Case.id, Case.number, Case.filer_name, Case.filer_phone, Case.anonymised_at).where(
            with_number(number), STAFF_SEES
        ).first()
        if case is None:
            raise NotFound(N_("There is no such case."))
        if case["anonymised_at"] is not None:
            raise WrongState(N_("The filer's contact details were erased after the retention period."))
        scope = None
        if actor.role == Role.handler:
            lead, co = await departments_of_case(case["id"])
            scope = handler_scope(actor.department_id, lead, co)
            if scope is None:  # another department's case looks like one that does not exist
                raise NotFound(N_("There is no such case."))
        if not sees_filer_contact(actor.role.value, scope):
            raise Forbidden(NOT_YOURS_TO_SEE)
        await append_entry(case["id"], reveal_action(reason), None, actor, Visibility.filer, "", clock.now())
        await audit.record(AuditAction.contact_revealed, actor=who, detail=f"{case['number']} · {reason.value}")
    return Contact(case["filer_name"], case["filer_phone"])
