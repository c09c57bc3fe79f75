"""Live progress over Server-Sent Events, against the real server in its own process (an
in-process client would wait for an endless stream to end).

Entries are made through the services in the test process, beside the server, which learns of
them over the bus (this process publishes on it like a worker would) or, on SQLite, by polling
the timeline: either way, as from another worker process.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from backend.cases import workflow
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of, leader
from tests.support import EventStream, LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(categories):
    """A server of the test's own: on SQLite its streams learn of this process's entries by
    polling the timeline after the last entry they saw, and a shared server may have seen ids
    that an emptied table gives out again."""
    live = LiveServer(env={"MINSHENG_LIVE_HEARTBEAT_SECONDS": "1", "MINSHENG_LIVE_STREAM_SECONDS": "60"}).start()
    yield live
    live.stop()


async def signed_case(settings, categories) -> tuple[str, str, int]:
    """A public case its department has signed for: number, follow token, department."""
    filed = await file(settings, form(categories["water"]))
    department = categories["water"].department
    await bring_to(filed.number, Status.signed, department)
    return filed.number, filed.follow_token, department


async def open_stream(url: str, headers: dict | None = None) -> EventStream:
    stream = await asyncio.to_thread(EventStream(url, headers).start)
    assert stream.status_code == 200
    return stream


async def next_event(stream: EventStream, timeout: float = 10):
    return await asyncio.to_thread(stream.next, timeout)


async def nothing_within(stream: EventStream, seconds: float) -> bool:
    return await asyncio.to_thread(stream.nothing_within, seconds)


async def test_a_published_department_entry_reaches_the_public_and_private_ones_never_do(server, settings, categories, publishing):
    number, token, department = await signed_case(settings, categories)
    public = await open_stream(f"{server.url}/cases/{number}/events")
    follow = await open_stream(f"{server.url}/follow/{token}/events")
    try:
        assert public.retry == follow.retry == 3000
        await workflow.perform(number, "post_internal_note", handler_of(department), body="内部：管道老化严重")
        await workflow.perform(number, "record_contact", handler_of(department), body="已电话联系张女士")
        draft = await workflow.perform(number, "post_progress", handler_of(department), body="21:00 抢修人员已到场")
        # The filer hears of the contact; nobody hears of the note or of the text awaiting review.
        contact = await next_event(follow)
        assert contact.name == "entry" and "已电话联系张女士" in contact.data
        assert await nothing_within(public, 2.5)
        assert await nothing_within(follow, 0.5)

        approval = await workflow.review(draft, "approve", MODERATOR)
        for stream in (public, follow):
            event = await next_event(stream)
            assert event.id == str(approval)  # the entry that revealed it
            assert f'id="entry-{draft}"' in event.data and "21:00 抢修人员已到场" in event.data
            assert 'id="case-status"' in event.data and 'hx-swap-oob="true"' in event.data
            assert "内部" not in event.data and "张女士" not in event.data
        assert ": keep-alive" in public.comments  # heartbeats between events
    finally:
        public.close()
        follow.close()


async def test_a_reconnect_gets_exactly_the_missed_entries_in_order(server, settings, categories, publishing):
    number, token, department = await signed_case(settings, categories)
    instructing = await leader()
    stream = await open_stream(f"{server.url}/cases/{number}/events")
    first = await workflow.perform(number, "instruct", instructing, body="第一条批示")
    seen = await next_event(stream)
    assert seen.id == str(first)
    stream.close()  # the phone goes through a tunnel

    missed = [await workflow.perform(number, "instruct", instructing, body=f"批示 {n}") for n in range(3)]
    await workflow.perform(number, "post_internal_note", handler_of(department), body="内部备注")
    again = await open_stream(f"{server.url}/cases/{number}/events", {"last-event-id": seen.id})
    try:
        got = [await next_event(again) for _ in missed]
        assert [event.id for event in got] == [str(entry) for entry in missed]
        assert all(f"批示 {n}" in event.data for n, event in enumerate(got))
        assert await nothing_within(again, 2)  # exactly once: nothing repeated, nothing private
        later = await workflow.perform(number, "instruct", instructing, body="之后的批示")
        assert (await next_event(again)).id == str(later)
    finally:
        again.close()

    # A page opened meanwhile carries its own cursor (the last entry it shows) in the URL.
    page = httpx.get(f"{server.url}/cases/{number}").text
    assert f"/cases/{number}/events?after={later}" in page
    from_page = await open_stream(f"{server.url}/cases/{number}/events?after={missed[0]}")
    try:
        assert [(await next_event(from_page)).id for _ in range(3)] == [str(missed[1]), str(missed[2]), str(later)]
    finally:
        from_page.close()


async def test_streams_of_cases_nobody_may_see_are_refused(live_server, settings, categories):
    server = live_server  # the run's shared server: no stream opens here
    private = await file(settings, form(categories["water"], publication="private"))
    await bring_to(private.number, Status.assigned, categories["water"].department)
    assert httpx.get(f"{server.url}/cases/{private.number}/events").status_code == 404
    assert httpx.get(f"{server.url}/cases/2020-999999/events").status_code == 404
    assert httpx.get(f"{server.url}/follow/{'x' * 43}/events").status_code == 404
    assert httpx.get(f"{server.url}/moderation/events").status_code in (303, 401)


async def test_streams_are_let_go_when_the_browser_hangs_up(server, settings, categories):
    number, token, _ = await signed_case(settings, categories)
    streams = [await open_stream(f"{server.url}/cases/{number}/events") for _ in range(5)]
    streams.append(await open_stream(f"{server.url}/follow/{token}/events"))
    assert httpx.get(f"{server.url}/healthz").json()["live_streams"] == 6
    for stream in streams:
        stream.close()
    give_up = time.monotonic() + 5
    while httpx.get(f"{server.url}/healthz").json()["live_streams"]:
        assert time.monotonic() < give_up, "the server still holds streams nobody reads"
        await asyncio.sleep(0.1)


async def test_the_server_stops_promptly_with_streams_open(settings, categories):
    number, token, _ = await signed_case(settings, categories)
    live = LiveServer().start()
    streams = [await open_stream(f"{live.url}/cases/{number}/events") for _ in range(3)]
    started = time.monotonic()
    live.stop()
    stopped = time.monotonic() - started
    for stream in streams:
        assert await asyncio.to_thread(stream.ended.wait, 5)
        stream.close()
    assert live.process.returncode is not None
    assert stopped < 3, f"the server took {stopped:.1f} s to stop with streams open"
