"""Who among the staff may see which case. Plain rules, no HTTP."""

from __future__ import annotations

from backend.accounts.roles import StaffRole

# The platform centre and leaders oversee every case; a handler sees its own department's.
OVERSEERS = frozenset({StaffRole.moderator, StaffRole.leader})


def may_see_case(role: str, account_department_id: int | None, case_department_id: int | None) -> bool:
    if role in OVERSEERS:
        return True
    if role == StaffRole.handler:
        return account_department_id is not None and account_department_id == case_department_id
    return False
