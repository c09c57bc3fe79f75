"""Server-side sessions: cookies, fresh ids, timeouts, sign-out, disabling, both stores."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from litestar.stores.redis import RedisStore

from backend import clock
from backend.accounts.guards import session_cookie
from backend.accounts.sessions import COOKIE_NAME, SessionFileStore, Sessions, Throttle
from backend.accounts.services import get_account
from tests.people import invite

REDIS_URL = os.environ.get("MINSHENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def set_cookie_header(response, name: str) -> str:
    return next(value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}="))


async def test_the_session_cookie_is_http_only_lax_and_secure_on_https(person, settings):
    someone = await person(sign_in=False)
    response = await someone.sign_in()
    header = set_cookie_header(response, COOKIE_NAME).lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header  # the tests' origin is http://localhost
    sessions = Sessions.from_settings(settings)
    assert "Secure" in session_cookie("t" * 43, sessions, secure=True).to_header()


async def test_signing_in_as_someone_else_starts_a_new_session(person):
    someone = await person(sign_in=True)
    other = await person(sign_in=False)
    before = someone.client.cookies.get(COOKIE_NAME)
    # The other person's passkey, in this browser.
    someone.authenticator = other.authenticator
    await someone.sign_in()
    after = someone.client.cookies.get(COOKIE_NAME)
    assert before and after and before != after
    # The old id is worth nothing now.
    someone.client.cookies.set(COOKIE_NAME, before)
    assert (await someone.client.get("/moderation")).status_code == 303


async def test_a_second_sign_in_of_the_same_person_leaves_no_dead_cookie(person):
    """The autofill's ceremony and the button's both finish: whichever answer the browser keeps,
    its cookie works."""
    someone = await person(sign_in=True)
    first = someone.client.cookies.get(COOKIE_NAME)
    second = await someone.sign_in()
    assert second.status_code == 200 and someone.client.cookies.get(COOKIE_NAME) == first
    someone.client.cookies.set(COOKIE_NAME, first)
    assert (await someone.client.get("/moderation")).status_code == 200


async def test_a_planted_session_id_is_not_adopted(person):
    someone = await person(sign_in=False)
    someone.client.cookies.set(COOKIE_NAME, "attacker-chosen-session-id-0000000000000", domain="testserver.local")
    await someone.sign_in()
    assert someone.client.cookies.get(COOKIE_NAME) != "attacker-chosen-session-id-0000000000000"


async def test_sign_out_ends_the_session_on_the_server(person):
    someone = await person()
    token = someone.client.cookies.get(COOKIE_NAME)
    response = await someone.post_form("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login?signed_out=1"
    someone.client.cookies.set(COOKIE_NAME, token)  # a copy of the cookie kept somewhere
    response = await someone.client.get("/moderation")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert f'{COOKIE_NAME}=""' in set_cookie_header(response, COOKIE_NAME) or "max-age=0" in set_cookie_header(response, COOKIE_NAME).lower()


async def test_disabling_an_account_ends_its_sessions_at_once(person):
    handler = await person("moderator")
    on_a_second_device = await person("moderator")  # another person, to be sure only one ends
    admin = await person("admin")
    assert (await handler.client.get("/moderation")).status_code == 200
    assert (await admin.post_form(f"/admin/accounts/{handler.account_id}/disable")).status_code == 303
    assert (await handler.client.get("/moderation")).status_code == 303
    assert (await on_a_second_device.client.get("/moderation")).status_code == 200
    # Enabling again does not bring the old session back.
    assert (await admin.post_form(f"/admin/accounts/{handler.account_id}/enable")).status_code == 303
    assert (await handler.client.get("/moderation")).status_code == 303
    assert (await handler.sign_in()).status_code == 200


@pytest.fixture(params=["file", "redis"])
async def store(request, tmp_path):
    if request.param == "file":
        yield SessionFileStore(tmp_path)
        return
    store = RedisStore.with_client(url=REDIS_URL, namespace=f"minsheng-test-{os.getpid()}")
    await store.delete_all()
    yield store
    await store.delete_all()
    await store.__aexit__(None, None, None)


async def test_idle_and_absolute_timeouts(store):
    issued = await invite("moderator")
    account = await get_account(issued.account_id)
    sessions = Sessions(store, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    start = clock.now()
    with clock.travel_to(start):
        token = await sessions.begin(account)
    # Active every 20 minutes: alive for two hours, not a minute longer.
    for minutes in range(20, 120, 20):
        with clock.travel_to(start + timedelta(minutes=minutes)):
            assert await sessions.resolve(token) is not None, minutes
    with clock.travel_to(start + timedelta(hours=2, minutes=1)):
        assert await sessions.resolve(token) is None
    with clock.travel_to(start + timedelta(minutes=20)):
        assert await sessions.resolve(token) is None  # ended for good, not merely hidden

    with clock.travel_to(start):
        idle_token = await sessions.begin(account)
    with clock.travel_to(start + timedelta(minutes=31)):
        assert await sessions.resolve(idle_token) is None


async def test_requests_a_page_makes_by_itself_do_not_keep_a_session_alive(store):
    issued = await invite("moderator")
    account = await get_account(issued.account_id)
    sessions = Sessions(store, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    start = clock.now()
    with clock.travel_to(start):
        token = await sessions.begin(account)
    for minutes in range(5, 30, 5):  # a live stream reconnecting every five minutes
        with clock.travel_to(start + timedelta(minutes=minutes)):
            assert await sessions.resolve(token, touch=False) is not None
    with clock.travel_to(start + timedelta(minutes=31)):
        assert await sessions.resolve(token, touch=False) is None


async def test_sessions_are_shared_by_every_process_through_the_store(store):
    """Two app processes are two Sessions objects over one store."""
    issued = await invite("moderator")
    account = await get_account(issued.account_id)
    worker_1 = Sessions(store, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    worker_2 = Sessions(store, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    token = await worker_1.begin(account)
    assert (await worker_2.resolve(token)).account.id == account.id
    await worker_2.end(token)
    assert await worker_1.resolve(token) is None


async def test_the_store_never_holds_a_usable_token(tmp_path):
    issued = await invite("moderator")
    sessions = Sessions(SessionFileStore(tmp_path), idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    token = await sessions.begin(await get_account(issued.account_id))
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert token.encode() not in stored
    assert not any(token in path.name for path in tmp_path.iterdir())


async def test_throttle_counts_failures_in_a_window(store):
    throttle = Throttle(store, "test", limit=3, window=timedelta(minutes=15))
    start = clock.now()
    with clock.travel_to(start):
        for _ in range(3):
            assert await throttle.blocked_for("203.0.113.9") is None
            await throttle.record("203.0.113.9")
        wait = await throttle.blocked_for("203.0.113.9")
        assert timedelta(minutes=14) < wait <= timedelta(minutes=15)
        assert await throttle.blocked_for("203.0.113.10") is None  # others are not affected
    with clock.travel_to(start + timedelta(minutes=15, seconds=1)):
        assert await throttle.blocked_for("203.0.113.9") is None


async def test_concurrent_resolves_do_not_lose_the_session(store):
    issued = await invite("moderator")
    sessions = Sessions(store, idle=timedelta(minutes=30), absolute=timedelta(hours=2))
    token = await sessions.begin(await get_account(issued.account_id))
    results = await asyncio.gather(*(sessions.resolve(token) for _ in range(20)))
    assert all(result is not None for result in results)


async def test_a_value_half_written_when_a_worker_was_killed_is_no_value_and_is_tidied_away(tmp_path):
    """The file store writes a value to a temporary file and renames it into place; a worker
    killed in between leaves the temporary file half-written (the kill test found one that
    stopped the next start-up)."""
    store = SessionFileStore(tmp_path)
    await store.set("session:kept", b"{}", expires_in=3600)
    (kept,) = tmp_path.iterdir()
    await store.set("session:torn", b"{}", expires_in=3600)
    (torn,) = set(tmp_path.iterdir()) - {kept}
    whole = kept.read_bytes()
    (tmp_path / f"{kept.name}.tmpab12").write_bytes(whole[: len(whole) // 2])
    torn.write_bytes(whole[:3])
    assert await store.get("session:torn") is None
    await store.delete_expired()
    assert [path.name for path in tmp_path.iterdir()] == [kept.name]
    assert await store.get("session:kept") == b"{}"
