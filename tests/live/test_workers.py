"""Live progress across processes: ``minsheng serve --workers 2`` delivers an entry made on one
worker to streams on the other (PostgreSQL: LISTEN/NOTIFY; SQLite: each worker polls the
timeline), Redis as the bus when it is configured, and the staff queues' streams."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest

from backend.accounts.services import get_account
from backend.accounts.sessions import COOKIE_NAME, Sessions
from backend.cases import workflow
from backend.vocabulary import Status
from backend.live import bus
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to, leader
from tests.live.test_streams import next_event, nothing_within, open_stream, signed_case
from tests.people import invite
from tests.support import ON_REDIS, REDIS_URL, LiveServer, streams_ended

pytestmark = pytest.mark.slow

ON_TIME = 5  # seconds: well under the safety polling of a broker (15 s), so the bus itself carried it


async def session_cookie(settings, role: str, **fields) -> dict[str, str]:
    """A signed-in staff member's cookie, from the session store the server shares."""
    issued = await invite(role, **fields)
    token = await Sessions.from_settings(settings).begin(await get_account(issued.account_id))
    return {COOKIE_NAME: token}


def act_over_http(base_url: str, cookies: dict, number: str, action: str, body: str) -> None:
    with httpx.Client(base_url=base_url, cookies=cookies) as http:
        response = http.post(f"/staff/cases/{number}/{action}", data={"body": body})
        assert response.status_code == 303, response.text


async def test_two_workers_deliver_to_each_other(settings, categories):
    number, _, _ = await signed_case(settings, categories)
    leading = await session_cookie(settings, "leader")
    server = LiveServer(workers=2, env={"MINSHENG_LIVE_STREAM_SECONDS": "60"}).start()
    # Enough streams that both workers hold some (the kernel hands connections to either).
    streams = [await open_stream(f"{server.url}/cases/{number}/events") for _ in range(12)]
    try:
        for n in range(3):
            sent = time.monotonic()
            act_over_http(server.url, leading, number, "instruct", f"第 {n} 条批示：今晚修好")
            for stream in streams:
                event = await next_event(stream, ON_TIME)
                assert f"第 {n} 条批示" in event.data
            assert time.monotonic() - sent < ON_TIME
    finally:
        for stream in streams:
            stream.close()
        server.stop()


# Like the session tests, this needs the Redis at MINSHENG_TEST_REDIS_URL (scripts/test starts
# it). The server on Redis is shared with them: what this test's stream hears comes over the bus,
# not from polling the timeline.
async def test_redis_carries_entries_between_processes(live_servers, settings, categories):
    number, _, department = await signed_case(settings, categories)
    server = live_servers(workers=2, **ON_REDIS)
    stream = await open_stream(f"{server.url}/cases/{number}/events")
    try:
        async with bus.publishing(dataclasses.replace(settings, redis_url=REDIS_URL)):
            entry = await workflow.perform(number, "instruct", await leader(), body="经 Redis 送达")
        event = await next_event(stream, ON_TIME)
        assert event.id == str(entry) and "经 Redis 送达" in event.data
    finally:
        stream.close()
    streams_ended(server)


async def test_the_moderation_queue_and_counts_update_live(settings, categories, publishing):
    moderator = await session_cookie(settings, "moderator")
    handler = await session_cookie(settings, "handler", department_id=categories["roads"].department)
    server = LiveServer(env={"MINSHENG_LIVE_STREAM_SECONDS": "60"}).start()
    queue = await open_stream(f"{server.url}/moderation/events", {"cookie": f"{COOKIE_NAME}={moderator[COOKIE_NAME]}"})
    roads = await open_stream(f"{server.url}/department/events", {"cookie": f"{COOKIE_NAME}={handler[COOKIE_NAME]}"})
    counts = await open_stream(f"{server.url}/staff/events", {"cookie": f"{COOKIE_NAME}={moderator[COOKIE_NAME]}"})
    try:
        assert (await next_event(counts)).name == "counts"
        first = {event.name: event.data for event in [await next_event(queue), await next_event(queue)]}
        assert "queue-new" in first["queue"] and 'id="nav-count-1"' in first["counts"]
        await next_event(roads)
        await next_event(roads)

        filed = await file(settings, form(categories["water"], title="新来的停水诉求"))
        update = {event.name: event.data for event in [await next_event(queue), await next_event(queue)]}
        assert "新来的停水诉求" in update["queue"]
        assert 'data-count="1"' in update["counts"]
        assert 'id="nav-count-1" class="nav-count" data-count="1"' in (await next_event(counts)).data  # any staff page
        # Another department's case never reaches the roads office, even once assigned to water.
        await bring_to(filed.number, Status.assigned, categories["water"].department)
        for _ in range(3):
            try:
                event = await next_event(roads, 2)
            except AssertionError:
                break
            assert "新来的停水诉求" not in event.data
        assert await nothing_within(roads, 0.5)
    finally:
        queue.close()
        roads.close()
        counts.close()
        server.stop()
