"""Routing rules made the way an admin makes them."""

from __future__ import annotations

from backend.accounts.audit import Who
from backend.routing import services
from backend.routing.services import RuleForm

ADMIN = Who(None, "test admin")


async def rule(department_id: int, category_id: int | None = None, area_id: int | None = None, *, co=(), automatic=False) -> int:
    form = RuleForm(
        category_id=str(category_id or ""),
        area_id=str(area_id or ""),
        department_id=str(department_id),
        co_department_ids=tuple(str(each) for each in co),
        automatic="yes" if automatic else "",
    )
    return await services.save_rule(None, form, actor=ADMIN)
