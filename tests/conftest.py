"""Test set-up: a fresh database (SQLite, or PostgreSQL when MINSHENG_DATABASE_URL says so),
migrated once per run through the real Piccolo migrations, and emptied before each test.

The environment is set before anything imports the app, because settings and the Piccolo
engine are read once per process.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# In memory where the machine has it: a test's commits wait for no disk (SQLite syncs every
# commit). A killed server loses nothing either way: what it wrote is the kernel's then.
_MEMORY = Path("/dev/shm")
RUN_DIR = Path(tempfile.mkdtemp(prefix="minsheng-tests-", dir=_MEMORY if os.access(_MEMORY, os.W_OK) else None))
_given_url = os.environ.get("MINSHENG_DATABASE_URL", "")
_postgres_server_url = _given_url if _given_url.startswith(("postgresql://", "postgres://")) else None
_test_database = f"minsheng_test_{os.getpid()}_{secrets.token_hex(3)}"

if _postgres_server_url:
    # A database of our own on the given server; the given database itself is never touched.
    os.environ["MINSHENG_DATABASE_URL"] = urlunsplit(urlsplit(_postgres_server_url)._replace(path=f"/{_test_database}"))
else:
    os.environ["MINSHENG_DATABASE_URL"] = f"sqlite:///{RUN_DIR / 'test.sqlite3'}"
os.environ["MINSHENG_DATA_DIR"] = str(RUN_DIR / "data")
os.environ["MINSHENG_MEDIA_DIR"] = str(RUN_DIR / "media")
os.environ["MINSHENG_SECRET_KEY"] = "test-secret-key-" + "x" * 32
os.environ["MINSHENG_ORIGIN"] = "http://localhost:8000"
os.environ["PICCOLO_CONF"] = "piccolo_conf"
# Test runs at the same time (scripts/test runs both databases at once) share the machine's Redis.
os.environ["MINSHENG_REDIS_NAMESPACE"] = _test_database
# No background clock jobs in the app under test: tests run the jobs themselves, at the time
# they travel to (the live-server test of the scheduler turns it on for its server).
os.environ["MINSHENG_SCHEDULER_SECONDS"] = "0"
# Every in-process client comes from one address: tests of the limit per address set their own.
os.environ["MINSHENG_ADDRESS_WRITES_PER_MINUTE"] = "100000"
# In-process clients wait for a response to end: live streams end after a second here (tests
# of live servers set their own).
os.environ["MINSHENG_LIVE_STREAM_SECONDS"] = "1"
# httpx builds a TLS context for every client, even one for plain HTTP to 127.0.0.1: from a
# bundle file (SSL_CERT_FILE, which this machine sets) it parses every certificate, 25 ms of CPU
# a client, thousands of times a run (each poll of a starting server is a client). The same
# trust store as a hashed directory loads a certificate only when a TLS peer needs it.
if os.path.isdir("/etc/ssl/certs"):
    os.environ.pop("SSL_CERT_FILE", None)
    os.environ["SSL_CERT_DIR"] = "/etc/ssl/certs"

from tests.support import start_tile_server  # noqa: E402

# The public map's tiles from 127.0.0.1: OpenStreetMap's servers are out of reach here, and a page
# whose tiles fail held its load event for seconds.
_TILES = start_tile_server()
os.environ["MINSHENG_MAP_TILE_URL"] = f"http://127.0.0.1:{_TILES.server_port}/{{z}}/{{x}}/{{y}}.png"

from tests.people import person  # noqa: E402,F401  (a fixture for every test folder)
from tests.support import LiveServer, empty_tables, streams_ended  # noqa: E402
from backend import listeners  # noqa: E402

# The services' side effects (figures, search words, live announcements), as every entry point wires them.
listeners.wire()


def pytest_unconfigure(config) -> None:
    """The run's directory goes even when no test ran (``--collect-only``, nothing selected):
    it was made when this file was imported."""
    shutil.rmtree(RUN_DIR, ignore_errors=True)


def pytest_report_header() -> str:
    return f"minsheng database: {os.environ['MINSHENG_DATABASE_URL']}"


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_postgres_server_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def database():
    if _postgres_server_url:
        asyncio.run(_admin(f'CREATE DATABASE "{_test_database}"'))
        # The run's own database need not wait for the disk at each commit: only a crash of
        # PostgreSQL itself could lose one, and the tests kill app servers, never PostgreSQL.
        asyncio.run(_admin(f'ALTER DATABASE "{_test_database}" SET synchronous_commit = off'))
    from backend.cli import _migrate

    asyncio.run(_migrate())
    yield os.environ["MINSHENG_DATABASE_URL"]
    if _postgres_server_url:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{_test_database}" WITH (FORCE)'))
    shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
async def empty_database(database):
    await empty_tables()
    # Sessions and sign-in failure counts live in the file store: each test starts without any.
    shutil.rmtree(RUN_DIR / "data" / "sessions", ignore_errors=True)
    (RUN_DIR / "data" / "sessions").mkdir(parents=True)
    yield


# The settings of the live server most tests share: streams long enough for any test, and an
# API limit far above the hundreds of requests of the schema test (the limit is tested on a
# server of its own).
SHARED_SERVER = {"MINSHENG_LIVE_STREAM_SECONDS": "300", "MINSHENG_API_REQUESTS_PER_MINUTE": "1000000"}


@pytest.fixture(scope="session")
def live_servers():
    """``minsheng serve`` processes of the given workers and settings, each started on its first
    use and kept for the rest of the run (a start costs about 4 s of CPU a worker). Each test
    still starts clean: the servers read the run's database, emptied before every test, and their
    session store, emptied with it. A test that stops, kills or restarts its server starts its
    own, as does one whose streams learn of entries by polling the timeline (on SQLite the ids
    of an emptied table start again, below what a running server has seen)."""
    started: dict[tuple, LiveServer] = {}

    def live_server(workers: int = 1, **env: str) -> LiveServer:
        key = (workers, tuple(sorted(env.items())))
        if key not in started:
            started[key] = LiveServer(workers=workers, env=env).start()
        return started[key]

    yield live_server
    for server in started.values():
        server.stop()


@pytest.fixture
def live_server(live_servers):
    """The run's shared live server; no live stream of this test outlives it."""
    server = live_servers(**SHARED_SERVER)
    yield server
    streams_ended(server)


@pytest.fixture
def settings():
    from backend.settings import get_settings

    return get_settings()


@pytest.fixture
async def categories():
    """Two departments with three categories, made through the services."""
    from backend.departments.services import ensure_category, ensure_department

    water = await ensure_department("市自来水公司", "City Water Supply Company", "water")
    roads = await ensure_department("市政设施管理处", "Municipal Facilities Office", "roads")
    return {
        "water": await ensure_category("供水", "Water supply", "water", water, "complaint", 0),
        "roads": await ensure_category("道路", "Roads", "roads", roads, "complaint", 1),
        "advice": await ensure_category("其他建议", "Other suggestions", "advice", roads, "suggestion", 2),
    }


@pytest.fixture
async def areas():
    """A district with two streets and an inactive town, and a second district, made by an admin."""
    from backend.accounts.audit import Who
    from backend.departments.services import AreaForm, create_area

    admin = Who(None, "test admin")

    async def area(name, name_en, slug, parent=None, active="yes"):
        form = AreaForm(name=name, name_en=name_en, slug=slug, parent_id=str(parent or ""), active=active)
        return await create_area(form, actor=admin)

    jingxiu = await area("竞秀区", "Jingxiu District", "jingxiu")
    lianchi = await area("莲池区", "Lianchi District", "lianchi")
    return {
        "jingxiu": jingxiu,
        "dongfeng": await area("东风街道", "Dongfeng Subdistrict", "dongfeng", jingxiu),
        "xianfeng": await area("先锋街道", "Xianfeng Subdistrict", "xianfeng", jingxiu),
        "dajidian": await area("大激店镇", "Dajidian Town", "dajidian", jingxiu, active=""),
        "lianchi": lianchi,
    }


@pytest.fixture(scope="session", autouse=True)
async def database_pool(database):
    """On PostgreSQL, one connection pool for the whole run, on the tests' own event loop: the
    tests' queries and the in-process apps (whose lifespan and requests run on this loop too,
    see ``new_client``) share it, instead of opening a connection for every query."""
    from piccolo.engine.postgres import PostgresEngine

    from backend import db

    await db.start_pool()
    engine = db.engine()
    if isinstance(engine, PostgresEngine):
        # A sync browser test writes through asyncio.run in a thread of its own: on that other
        # loop the pool is not there, and a connection is opened per query as before.
        engine.pool = _PoolOnItsOwnLoop(engine.pool)
    yield
    if isinstance(engine, PostgresEngine):
        engine.pool = engine.pool.pool
    await db.close_pool()


class _PoolOnItsOwnLoop:
    """An asyncpg pool that is there (true) only on the event loop it was made on."""

    def __init__(self, pool):
        self.pool = pool

    def __bool__(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.pool._loop
        except RuntimeError:
            return False

    def __getattr__(self, name):
        return getattr(self.pool, name)


async def _run_lifespan(app, stack) -> None:
    """Starts the app as a server would, in a task of its own on this loop (its task groups
    must end in the task that began them), and stops it when the stack closes."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve():
        try:
            async with app.lifespan():
                started.set()
                await stop.wait()
        finally:
            started.set()

    task = asyncio.create_task(serve())
    await started.wait()
    if task.done():
        task.result()  # start-up failed: raise why

    async def shut_down():
        stop.set()
        await task

    stack.push_async_callback(shut_down)


@pytest.fixture(scope="session")
async def app_for(database_pool):
    """The in-process app of the given settings, made and started once per run (making one
    took about 0.3 s: Litestar registers every route afresh, Jinja compiles every template).

    Every client of a test talks to the same app, as people talk to one server; each test
    starts with its state as after start-up (``fresh_app``). A test that changes the settings
    gets an app of its own settings. Each app runs its lifespan, and answers requests, on the
    tests' own event loop (httpx's ASGI transport), so that it uses the run's connection pool."""
    from backend.app import create_app

    apps = {}
    async with AsyncExitStack() as stack:

        async def app_for(settings):
            if settings not in apps:
                apps[settings] = create_app(database_pool=False)  # the pool is the run's
                await _run_lifespan(apps[settings], stack)
            return apps[settings]

        yield app_for


def fresh_app(app) -> None:
    """What an app keeps between requests, as after its start: the stores (sessions, sign-in
    failures and rate limits) were emptied with the data directory; the live hub holds no
    stream when a test ends, and looks for entries from the first on (the ids of an emptied
    table may start again)."""
    live = app.state.live
    assert not live.listeners and not live.feeds, "a live stream outlived its test"
    live.seen = 0


@pytest.fixture
async def new_client(app_for):
    """Makes in-process clients of the app: one per person in a test (each keeps its cookies);
    responses are read whole. The app is that of the settings when the client is made."""
    import httpx

    from backend.settings import get_settings

    freshened = set()
    async with AsyncExitStack() as stack:

        async def make():
            app = await app_for(get_settings())
            if id(app) not in freshened:
                fresh_app(app)
                freshened.add(id(app))
            test_client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=("testclient", 50000)),
                    base_url="http://testserver.local",
                )
            )
            test_client.follow_redirects = False  # redirects are part of what is tested
            test_client.app = app  # for tests that look into the app (its stores), as Litestar's test client has it
            return test_client

        yield make


@pytest.fixture
async def client(new_client):
    return await new_client()
