"""Staff pages over cases: the moderation queue, a department's workspace, the leaders'
overview, and the staff view of one case. The workflow issue fills them with actions; the
role checks here are already the real ones.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.guards import admits, current, role_guard
from backend.accounts.roles import StaffRole
from backend.cases import services
from backend.cases.controllers import CASE_NUMBER
from backend.cases.lifecycle import Status
from backend.cases.permissions import may_see_case

NO_STORE = {"cache-control": "no-store"}


class WorkspaceController(Controller):
    guards = [role_guard]

    @get("/moderation", opt=admits(StaffRole.moderator))
    async def moderation_queue(self) -> Template:
        return Template(
            template_name="staff/moderation.html",
            context={"cases": await services.staff_cases({Status.submitted})},
            headers=NO_STORE,
        )

    @get("/department", opt=admits(StaffRole.handler))
    async def department_workspace(self, request: Request) -> Template:
        account = current(request).account
        if account.department_id is None:  # fail closed: no department is not every department
            raise PermissionDeniedException()
        return Template(
            template_name="staff/department.html",
            context={
                "account": account,
                "cases": await services.staff_cases(department_id=account.department_id),
                "counts": await services.status_counts(department_id=account.department_id),
            },
            headers=NO_STORE,
        )

    @get("/leader", opt=admits(StaffRole.leader))
    async def leader_overview(self) -> Template:
        return Template(
            template_name="staff/leader.html",
            context={"counts": await services.status_counts(), "statuses": list(Status)},
            headers=NO_STORE,
        )

    @get("/staff/cases/{number:str}", opt=admits(StaffRole.moderator, StaffRole.leader, StaffRole.handler))
    async def staff_case(self, request: Request, number: FromPath[str]) -> Template:
        account = current(request).account
        view = await services.staff_case(number) if CASE_NUMBER.match(number) else None
        # Another department's case looks exactly like a case that does not exist.
        if view is None or not may_see_case(account.role, account.department_id, view.department_id):
            raise NotFoundException()
        return Template(template_name="staff/case.html", context={"view": view, "case": view.case}, headers=NO_STORE)
