"""The live streams (Server-Sent Events): a public case page, a follow page, and the staff
queues. Each checks who may see what exactly as its page does, then hands over to the hub."""

from __future__ import annotations

from typing import Awaitable, Callable

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from backend.accounts.guards import admits, current, role_guard
from backend.vocabulary import StaffRole
from backend.cases import services
from backend.cases.queues import department_context, moderation_context, review_context, work_links
from backend.live.hub import LiveHub, sse_event
from backend.web import i18n
from backend.web.params import CaseNumber

# Streams are not compressed: the compressor would hold events back (and cost memory per stream).
NOT_COMPRESSED = {"no_compression": True}
STREAM_HEADERS = {"cache-control": "no-store", "x-accel-buffering": "no"}  # nor buffered by a proxy
_MAX_ID = 2**63 - 1


def hub_of(request: Request) -> LiveHub:
    return request.app.state.live


def resume_from(request: Request, after: int | None) -> int | None:
    """Where a stream resumes: the browser's ``Last-Event-ID`` when it reconnects, else the
    cursor the page was rendered with."""
    header = request.headers.get("last-event-id", "")
    if header.isascii() and header.isdigit() and int(header) <= _MAX_ID:
        return int(header)
    return after if after is not None and 0 <= after <= _MAX_ID else None


def event_stream(content) -> Stream:
    return Stream(content, media_type="text/event-stream", headers=STREAM_HEADERS)


class LiveController(Controller):
    @get("/cases/{number:str}/events", opt=NOT_COMPRESSED)
    async def case_events(self, request: Request, number: CaseNumber, after: FromQuery[int | None] = None) -> Stream:
        case_id = await services.public_case_id(number)
        if case_id is None:
            raise NotFoundException()
        return event_stream(hub_of(request).case_events(case_id, False, i18n.current_language(), resume_from(request, after)))

    @get("/follow/{token:str}/events", opt=NOT_COMPRESSED)
    async def follow_events(self, request: Request, token: FromPath[str], after: FromQuery[int | None] = None) -> Stream:
        case = await services.case_of_follow_token(token)
        if case is None:
            raise NotFoundException()
        return event_stream(hub_of(request).case_events(case["id"], True, i18n.current_language(), resume_from(request, after)))


class StaffLiveController(Controller):
    guards = [role_guard]

    @get("/staff/events", opt={**admits(StaffRole.moderator, StaffRole.leader, StaffRole.handler, StaffRole.representative), **NOT_COMPRESSED})
    async def count_events(self, request: Request) -> Stream:
        """The navigation's counts alone, for pages that are not a live queue (a representative's too:
        a submitted draft ends its pending invitations)."""
        return _staff_stream(request)

    @get("/moderation/events", opt={**admits(StaffRole.moderator), **NOT_COMPRESSED})
    async def moderation_events(self, request: Request) -> Stream:
        return _staff_stream(request, "staff/moderation_queue.html", moderation_context)

    @get("/moderation/review/events", opt={**admits(StaffRole.moderator), **NOT_COMPRESSED})
    async def review_events(self, request: Request) -> Stream:
        return _staff_stream(request, "staff/review_queue.html", review_context)

    @get("/department/events", opt={**admits(StaffRole.handler), **NOT_COMPRESSED})
    async def department_events(self, request: Request) -> Stream:
        account = current(request).account
        if account.department_id is None:  # fail closed, as the page does
            raise PermissionDeniedException()
        return _staff_stream(request, "staff/department_queue.html", lambda: department_context(account))


def _staff_stream(request: Request, queue: str = "", context: Callable[[], Awaitable[dict]] | None = None) -> Stream:
    """A staff queue as its page renders it (same services, same permissions), if any, and the
    navigation's counts."""
    account = current(request).account
    environment = hub_of(request).environment

    def render(name: str, values: dict) -> str:
        return environment.get_template(name).render(values)

    async def events() -> list[bytes]:
        queue_event = [sse_event(render(queue, await context()), "queue")] if queue and context else []
        return [*queue_event, sse_event(render("partials/nav_counts.html", {"links": await work_links(account)}), "counts")]

    return event_stream(hub_of(request).staff_events(i18n.current_language(), events))
