"""The staff queues: what waits where for each role, with its counts for the navigation, and
each queue page's context, shared by the pages (``cases.workspaces``) and their live streams
(``backend.live``). Reads only, and nothing of the web framework."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from backend.accounts.services import AccountView
from backend.cases import callbacks, ratings, services, supervision, workflow
from backend.cases.tables import Case
from backend.errors import Forbidden
from backend.i18n_markers import N_
from backend.representatives.services import pending_invitation_count
from backend.knowledge import services as knowledge
from backend.routing import services as routing
from backend.vocabulary import ANSWERED, MODERATION_QUEUE, PUBLIC_STATUSES, WITH_A_DEPARTMENT, CaseType, StaffRole, Status

IS_SUGGESTION = Case.case_type == CaseType.representative.value  # representatives' suggestions: their own queues too
FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class WorkLink:
    """A link in the navigation to a queue, with how much waits there."""

    href: str
    label: str
    count: int


async def work_links(account: AccountView) -> list[WorkLink]:
    """The queues of a person's role and their counts, for the navigation on every page."""
    if account.role == StaffRole.moderator:
        return [
            WorkLink(
                "/moderation",
                N_("New cases"),
                await services.count_cases(set(MODERATION_QUEUE))
                + await services.count_cases(set(PUBLIC_STATUSES), where=services.AWAITING_PUBLICATION),
            ),
            WorkLink("/moderation/review", N_("Review"), await workflow.pending_review_count()),
            WorkLink("/moderation/ratings", N_("Ratings"), await ratings.pending_rating_count()),
            WorkLink("/moderation/callbacks", N_("Callbacks"), await callbacks.queue_count() + await callbacks.pending_dispute_count()),
            WorkLink("/moderation#overdue-heading", N_("Overdue"), await supervision.overdue_count()),
            WorkLink("/moderation/suggestions", N_("Suggestions"), await services.count_cases(set(MODERATION_QUEUE), where=IS_SUGGESTION)),
            WorkLink("/staff/knowledge", N_("Knowledge base"), await knowledge.review_count(None)),
        ]
    if account.role == StaffRole.leader:
        return [WorkLink("/leader", N_("Overdue"), await supervision.overdue_count())]
    if account.role == StaffRole.handler and account.department_id is not None:
        return [
            WorkLink("/department", N_("Our department's work"), await services.count_cases(set(WITH_A_DEPARTMENT), account.department_id)),
            WorkLink(
                "/department/suggestions",
                N_("Suggestions"),
                await services.count_cases(set(WITH_A_DEPARTMENT), account.department_id, where=IS_SUGGESTION),
            ),
            WorkLink("/staff/knowledge", N_("Knowledge base"), await knowledge.review_count(account.department_id)),
        ]
    if account.role == StaffRole.representative:
        return [
            WorkLink("/representatives#invitations-heading", N_("Co-sign invitations"), await pending_invitation_count(account.id)),
        ]
    return []


# The queues' contexts: for their pages (``workspaces``), and for their live streams (``backend.live``).


async def moderation_context() -> dict:
    new = await services.staff_cases({Status.submitted})
    return {
        "cases": new,
        # What a routing rule suggests for each new case, taken with one button (the ``route`` action).
        "suggestions": await routing.suggestions_by_number([case.number for case in new]),
        "returned": await services.staff_cases({Status.returned}),
        # Assigned by an automatic routing rule: to read, redact if need be, and publish.
        "unpublished": await services.staff_cases(set(PUBLIC_STATUSES), where=services.AWAITING_PUBLICATION),
        "overdue": await supervision.overdue_cases(),
        "unsatisfied": await services.staff_cases({Status.unsatisfied}),
        "pending_count": await workflow.pending_review_count(),
    }


async def review_context() -> dict:
    return {"pending": await workflow.pending_reviews(), "errors": {}, "typed": {}}


async def department_context(account: AccountView) -> dict:
    if account.department_id is None:  # fail closed: no department is not every department
        raise Forbidden(N_("You may not do this."))
    to_do = await services.staff_cases(set(WITH_A_DEPARTMENT), department_id=account.department_id, limit=500)
    # What is due next comes first; a case without a running clock goes last.
    to_do.sort(key=lambda case: case.due_next.due_at if case.due_next else FAR_FUTURE)
    return {
        "account": account,
        "cases": to_do,
        "done": await services.staff_cases(ANSWERED, department_id=account.department_id, limit=20, newest_first=True),
        "counts": await services.status_counts(department_id=account.department_id),
    }
