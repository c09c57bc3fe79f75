"""The application factory."""

from __future__ import annotations

import logging
from functools import partial
from zoneinfo import ZoneInfo

from litestar import Litestar, Request, Response, Router
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from backend import clock, db, listeners, metrics
from backend.accounts.api_key_pages import ApiKeyController
from backend.accounts.controllers import AdminController, InvitationController, PasskeyController, SignInController
from backend.accounts.guards import SessionMiddleware, signed_in
from backend.api.auth import ApiKeyMiddleware
from backend.api.docs import DeveloperController, openapi_config
from backend.api.errors import api_exception_handler
from backend.api.v1 import api_router
from backend.open311.controllers import open311_exception_handler, open311_router
from backend.accounts.sessions import COOKIE_NAME as SESSION_COOKIE, Sessions
from backend.cases import public_record, search
from backend.cases.callback_pages import CallbackController
from backend.cases.controllers import CaseController
from backend.cases.leaderboards import FiguresController
from backend.cases.privacy_pages import ProcessingRecordController
from backend.cases.queues import work_links
from backend.cases.bulk_pages import BulkController
from backend.cases.staff_search_pages import StaffSearchController
from backend.cases.workspaces import WorkspaceController
from backend.departments.controllers import OrganisationController
from backend.deadlines import services as calendar_services
from backend.deadlines.controllers import CalendarController, DeadlineLimitController
from backend.jobs import JOBS
from backend.knowledge.controllers import AnswersController, KnowledgeController, ReplyTemplateController
from backend.routing.controllers import RoutingController
from backend.live import bus
from backend.live.controllers import LiveController, StaffLiveController
from backend.live.hub import LiveHub
from backend.monitoring import MonitoringController, PoolSampler
from backend.notifications.controllers import (
    AlertController,
    FollowerController,
    MessageLinkController,
    NoticeWordingController,
    NotificationAdminController,
    StaffDeviceController,
    SubscriptionController,
)
from backend.notifications.delivery import Courier
from backend.photos.controllers import PhotoController
from backend.representatives.controllers import (
    RepresentativeController,
    StaffSuggestionController,
    SuggestionController,
)
from backend.scheduler import Scheduler
from backend.errors import Refusal
from backend.settings import get_settings
from backend.template_globals import domain_globals
from backend.web import csrf
from backend.web.caching import PublicCaching
from backend.web.errors import (
    activate_language,
    http_exception_handler,
    refusal_handler,
    server_error_handler,
    undecodable_input_handler,
)
from backend.web.app_shell import AppShellController
from backend.web.boundary import BoundedRequest, StaticFileSystem, refuse_nul_bytes
from backend.web.observability import RequestObserver, json_logging
from backend.web.pages import PageController
from backend.web.security import address_limit, keep_secrets_out_of_access_logs, security_headers
from backend.web.templating import STATIC_DIR, build_environment, template_config


async def _before_request(request: Request) -> None:
    activate_language(request)
    refuse_nul_bytes(request)
    # Pages show a staff member's queues with counts in the navigation; fragments and posts don't.
    full_page = not request.headers.get("hx-request") or request.headers.get("hx-history-restore-request")
    if request.method == "GET" and full_page and (session := signed_in(request)):
        request.state.work_links = await work_links(session.account)


# An unknown path or a wrong method is refused before any router's own handlers are chosen:
# under the API and Open311 it is answered in their formats all the same.
_API_HANDLERS = {"/api/v1": api_exception_handler, "/open311/v2": open311_exception_handler}


logger = logging.getLogger("minsheng")

def _in_the_format_of_the_path(page_handler):
    def handle(request: Request, exc: Exception) -> Response:
        for prefix, handler in _API_HANDLERS.items():
            if request.url.path.startswith(prefix):
                return handler(request, exc)
        return page_handler(request, exc)

    return handle


def create_app(database_pool: bool = True) -> Litestar:
    """``database_pool=False``: the app neither starts nor closes the connection pool (the
    in-process test clients share the pool of the test run, started on the tests' event loop;
    without one, a connection is opened per query)."""
    settings = get_settings()
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    listeners.wire()
    keep_secrets_out_of_access_logs()
    instruments = metrics.start(settings.metrics_directory)
    sessions = Sessions.from_settings(settings)

    async def tidy_sessions() -> None:
        if hasattr(sessions.store, "delete_expired"):  # the file store; Redis expires keys itself
            await sessions.store.delete_expired()

    async def warn_of_unknown_holidays() -> None:
        """The operator's log says so when deadlines will soon fall in a year whose official
        holidays nobody brought in (``/admin/calendar`` says how)."""
        today = clock.now().astimezone(ZoneInfo(settings.time_zone)).date()
        if year := await calendar_services.unknown_schedule_year(today):
            logger.warning("the official holidays of %d are not known: bring them in at /admin/calendar?year=%d", year, year)

    async def close_sessions() -> None:
        await sessions.store.__aexit__(None, None, None)

    # The clock jobs run inside each worker (after the pool is up, stopped before it closes).
    scheduler = [Scheduler(JOBS, settings.scheduler_seconds, metrics.clock_job_ran)] if settings.scheduler_seconds else []
    # Notifications go out right after the commit that wrote them, by the same rule (tests send them).
    couriers = [Courier(settings)] if settings.scheduler_seconds else []
    environment = build_environment()
    environment.globals.update(domain_globals())  # the domain's labels and home pages, for every template
    channels = ChannelsPlugin(backend=bus.channels_backend(settings), channels=[bus.CHANNEL])
    live = LiveHub(
        channels,
        environment,
        poll_seconds=bus.poll_seconds(settings),
        heartbeat_seconds=settings.live_heartbeat_seconds,
        stream_seconds=settings.live_stream_seconds,
    )

    # One response cache per worker, for the public pages of every router (after their limits).
    caching = PublicCaching(public_record.version, settings, session_cookie=SESSION_COOKIE)
    # Pages are for people: none of them belongs in the API's schema.
    pages = Router(
        path="/",
        include_in_schema=False,
        middleware=[address_limit(settings).middleware, caching],
        route_handlers=[
            PageController,
            AppShellController,
            CaseController,
            FiguresController,
            CallbackController,
            ProcessingRecordController,
            PhotoController,
            SignInController,
            InvitationController,
            PasskeyController,
            AdminController,
            ApiKeyController,
            DeveloperController,
            OrganisationController,
            RoutingController,
            CalendarController,
            DeadlineLimitController,
            WorkspaceController,
            BulkController,
            StaffSearchController,
            AnswersController,
            KnowledgeController,
            ReplyTemplateController,
            RepresentativeController,
            SuggestionController,
            StaffSuggestionController,
            LiveController,
            StaffLiveController,
            SubscriptionController,
            FollowerController,
            MessageLinkController,
            AlertController,
            NotificationAdminController,
            NoticeWordingController,
            StaffDeviceController,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                file_system=StaticFileSystem(),
                # URLs carry a content hash (static_url), so a year is safe.
                cache_control=CacheControlHeader(max_age=31536000, public=True),
                include_in_schema=False,
            ),
        ],
    )
    pool_sampler = PoolSampler()
    app = Litestar(
        route_handlers=[pages, api_router(settings, caching), open311_router(settings, caching), MonitoringController],
        plugins=[HTMXPlugin(), channels],
        state=State({"sessions": sessions, "live": live}),
        # The key is read before the cross-site check, which skips exactly the requests with a valid key.
        middleware=[SessionMiddleware(), ApiKeyMiddleware(), csrf.CrossOriginProtection(settings.trusted_origins)],
        stores={"rate_limit": sessions.store},  # API rate limits: shared by the workers
        template_config=template_config(environment),
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, exclude=["/media"], exclude_opt_key="no_compression"
        ),
        before_request=_before_request,
        before_send=[security_headers(settings.secure_cookies, settings.map_tile_source)],
        request_class=BoundedRequest,
        exception_handlers={
            kind: _in_the_format_of_the_path(handler)
            for kind, handler in {
                Refusal: refusal_handler,
                HTTPException: http_exception_handler,
                UnicodeError: undecodable_input_handler,
                LookupError: undecodable_input_handler,
                Exception: server_error_handler,
            }.items()
        },
        openapi_config=openapi_config(),
        **({"logging_config": json_logging()} if settings.log_format == "json" else {}),
        on_startup=[
            db.prepare_database,
            tidy_sessions,
            *([db.start_pool] if database_pool else []),
            pool_sampler.start,
            *[each.start for each in scheduler],
            *[each.start for each in couriers],
            live.start,  # after the channels plugin (a lifespan manager) and the pool
            partial(search.load, settings.data_dir),  # jieba's dictionary, not on the first search
            warn_of_unknown_holidays,
        ],
        # (These run after the channels plugin has stopped; the streams have ended already.)
        on_shutdown=[
            live.stop,
            *[each.stop for each in couriers],
            *[each.stop for each in scheduler],
            pool_sampler.stop,
            metrics.stop,  # this worker's open streams and pool leave the sums
            close_sessions,
            *([db.close_pool] if database_pool else []),
        ],
    )
    # Around the whole handler, routing included: unmatched paths and failures are seen too.
    app.asgi_handler = RequestObserver(app.asgi_handler, instruments.request, log_requests=settings.log_format == "json")
    return app
