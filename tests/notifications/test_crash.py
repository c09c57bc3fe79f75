"""A server killed between the commit that wrote notifications and their sending loses none of
them, and no message is sent twice: the real server (SIGKILL), its workers, the real channels."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from backend import clock
from backend.notifications import delivery, subscriptions
from backend.notifications.tables import Message, Subscription
from tests.cases.test_filing import file, form
from tests.keys import api_key, bearer  # noqa: F401  (the fixture)
from tests.notifications.conftest import channel_settings
from tests.support import LiveServer

pytestmark = pytest.mark.slow
CASES = 4


async def sent(count: int, seconds: float = 90) -> int:
    """Waits until ``count`` messages are sent (a server on a busy machine is slow to start)."""
    deadline = time.monotonic() + seconds
    while (done := await Message.count().where(Message.status == "sent")) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return done


def act(server: LiveServer, key: str, number: str, action: str, body: dict) -> None:
    response = httpx.post(f"{server.url}/api/v1/staff/cases/{number}/actions/{action}", json=body, headers=bearer(key), timeout=30)
    assert response.status_code == 200, response.text


def received(smtp, sms, push) -> Counter:
    """Every message each channel's server accepted, by what it says."""
    return Counter(
        [("email", m["Subject"]) for m in smtp.messages]
        + [("sms", m["TemplateParam"]["text"]) for m in sms.messages]
        + [("push", p["title"]) for p in push.received]
    )


async def test_a_server_killed_after_commit_loses_nothing_and_sends_nothing_twice(servers, settings, categories, api_key):
    smtp, sms, push = servers
    for kept in (smtp.raw, sms.messages, push.received):
        kept.clear()
    numbers = []
    for n in range(CASES):
        filed = await file(settings, form(categories["water"]))
        await subscriptions.subscribe_email(filed.follow_token, f"filer{n}@example.com", "en")
        await subscriptions.subscribe_sms(filed.follow_token, f"1390013900{n}", True, "en")
        await subscriptions.subscribe_push(filed.follow_token, json.dumps(push.subscribe()), "en")
        numbers.append(filed.number)
    await Message.delete(force=True)  # the addresses' checks: this test is about what the case's news
    await Subscription.update({Subscription.verified_at: clock.now()}, force=True)
    key = await api_key("moderator")
    env = channel_settings(smtp, sms)

    # A server that commits and dies before sending anything: no courier, no clock job.
    server = LiveServer(env={**env, "MINSHENG_SCHEDULER_SECONDS": "0"}).start()
    try:
        for number in numbers:
            act(server, key, number, "accept", {})
    finally:
        server.kill()
    assert await Message.count().where(Message.status == "pending") == 3 * CASES
    assert not received(smtp, sms, push)

    # Two workers start: their clock job sends what the dead one left, and each commit of theirs
    # wakes their courier, while the other worker's job looks for the same rows.
    server = LiveServer(workers=2, env={**env, "MINSHENG_SCHEDULER_SECONDS": "1"}).start()
    try:
        assert await sent(3 * CASES) == 3 * CASES
        for number in numbers:
            act(server, key, number, "assign", {"department_id": categories["water"].department})
        assert await sent(6 * CASES) == 6 * CASES
    finally:
        server.stop()  # its supervisor stops both workers (a SIGKILL would leave them running)

    counts = received(smtp, sms, push)
    assert sum(counts.values()) == 6 * CASES and set(counts.values()) == {1}, "each message once"
    for number in numbers:
        assert counts[("email", f"Case {number}: Accepted")] == counts[("push", f"Case {number}: Assigned")] == 1
    # Nothing is left for anyone, however late.
    assert await delivery.deliver_due(clock.now() + timedelta(days=1)) == 0
