"""Several hosts behind one address: two ``minsheng serve`` processes play two app hosts, each
with its own port and local directories, on one PostgreSQL database, one Redis and one S3 bucket
(``rclone serve s3``), with the same public origin, as behind a load balancer. What one host
does, the other sees: sessions, live events, the public pages' freshness, clock jobs, photos."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from datetime import timedelta

import httpx
import pytest

from backend import clock
from backend.cases.tables import TimelineEntry
from tests.cases.test_clocks import assigned_case
from tests.live.test_streams import next_event, open_stream, signed_case
from tests.people import Person, invite
from tests.photos.test_s3 import S3Server, media_names, photo_keys, upload
from tests.support import REDIS_URL, LiveServer, report_fields, streams_ended, submission_key

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ["MINSHENG_DATABASE_URL"].startswith("postgresql://"),
        reason="hosts on separate machines share one PostgreSQL database; an SQLite file lives on one machine's disk",
    ),
]

# The public origin both hosts answer for (the load balancer's), not either host's own port.
ORIGIN = "http://localhost:8000"


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """Hosts A and B, started once for this module; each test starts from the emptied database.
    Both run the clock jobs every second, as every worker of every host does."""
    root = tmp_path_factory.mktemp("hosts")
    s3 = S3Server(root / "s3").start()
    shared = {
        **s3.env,
        "MINSHENG_ORIGIN": ORIGIN,
        "MINSHENG_REDIS_URL": REDIS_URL,
        "MINSHENG_REDIS_NAMESPACE": os.environ["MINSHENG_REDIS_NAMESPACE"] + "-hosts",
        "MINSHENG_SCHEDULER_SECONDS": "1",
        "MINSHENG_LIVE_STREAM_SECONDS": "60",
    }
    started = []
    try:
        for name in ("a", "b"):
            local = {"MINSHENG_DATA_DIR": str(root / name / "data"), "MINSHENG_MEDIA_DIR": str(root / name / "media")}
            started.append(LiveServer(env={**shared, **local}).start())
        yield s3, *started
    finally:
        for server in started:
            server.stop()
        s3.stop()


async def signed_in_on(host: LiveServer, role: str) -> Person:
    """Someone invited, who enrols a passkey and so signs in on this host, over HTTP."""
    issued = await invite(role)
    someone = Person(httpx.AsyncClient(base_url=host.url, timeout=30), account_id=issued.account_id)
    enrolled = await someone.enrol(issued.token)
    assert enrolled.status_code == 200, enrolled.text
    return someone


async def test_a_session_made_on_one_host_works_on_the_other_and_its_changes_reach_the_other_at_once(hosts, settings, categories):
    _, a, b = hosts
    number, _, _ = await signed_case(settings, categories)
    leader = await signed_in_on(a, "leader")
    on_b = httpx.AsyncClient(base_url=b.url, cookies=leader.client.cookies, headers=leader.client.headers, timeout=30)
    anonymous = httpx.AsyncClient(base_url=b.url, timeout=30)
    stream = await open_stream(f"{b.url}/cases/{number}/events")
    try:
        staff_page = await on_b.get(f"/staff/cases/{number}")
        assert staff_page.status_code == 200 and "Leader's instruction" in staff_page.text

        # The public page as B has it, and as A has it: the same tag (the same release and
        # settings, whatever each host's own directories), so either host answers a 304.
        before = await anonymous.get(f"/cases/{number}")
        tag = before.headers["etag"]
        assert before.headers["cache-control"] == "public, max-age=0, must-revalidate"
        assert httpx.get(f"{a.url}/cases/{number}").headers["etag"] == tag
        assert (await anonymous.get(f"/cases/{number}", headers={"if-none-match": tag})).status_code == 304
        assert "今晚修好" not in before.text

        # The leader's instruction, given on A with the session made there.
        given = await leader.post_form(f"/staff/cases/{number}/instruct", {"body": "批示：今晚修好"})
        assert given.status_code == 303, given.text
        event = await next_event(stream, 5)  # on B's stream, carried by the bus
        assert "今晚修好" in event.data

        after = await anonymous.get(f"/cases/{number}", headers={"if-none-match": tag})
        assert after.status_code == 200 and "今晚修好" in after.text  # fresh on B at once
        assert after.headers["etag"] != tag
        assert httpx.get(f"{a.url}/cases/{number}", headers={"if-none-match": after.headers["etag"]}).status_code == 304

        # Signed out on B: the session is gone on A too.
        assert (await on_b.post("/logout")).status_code == 303
        signed_out = await leader.client.get(f"/staff/cases/{number}")
        assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login?next=")
    finally:
        stream.close()
        for client in (leader.client, on_b, anonymous):
            await client.aclose()
    streams_ended(b)


def test_a_photo_filed_on_one_host_is_served_by_the_other(hosts, categories):
    s3, a, b = hosts
    with httpx.Client(base_url=a.url, timeout=30) as client:
        page = client.get("/report")
        uploaded = upload(client, (30, 120, 200))
        assert uploaded.status_code == 200, uploaded.text
        fields = {**report_fields(categories["water"].id), "submission_key": submission_key(page.text), "photo_key": photo_keys(uploaded.text)}
        filed = client.post("/report", data=fields)
        assert filed.status_code == 303, filed.text
        names = media_names(client.get(filed.headers["location"]).text)
    assert len(names) == 2  # the display copy and the thumbnail
    for name in names:
        served = httpx.get(f"{b.url}/media/{name}.jpg", timeout=30)
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == name
        assert served.headers["etag"] == f'"{name}"' and served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "public, no-cache"  # an original: a moderator may still hide it
        assert s3.object_path(name).read_bytes() == served.content
        assert httpx.get(f"{b.url}/media/{name}.jpg", headers={"if-none-match": f'"{name}"'}).status_code == 304
    assert not [p for p in (s3.root.parent / "a" / "media").rglob("*") if p.is_file()], "nothing on host A's disk"


async def test_both_hosts_run_the_clock_jobs_and_each_case_is_flagged_once(hosts, settings, categories):
    numbers = [(await assigned_case(settings, categories, clock.now() - timedelta(days=10, minutes=i)))[0] for i in range(2)]
    give_up = time.monotonic() + 30
    wanted = ["auto_supervise", "leader_attention", "overdue_answer", "overdue_contact", "overdue_response", "overdue_sign"]

    async def flags() -> dict[str, list[str]]:
        rows = await TimelineEntry.select(TimelineEntry.case.number.as_alias("number"), TimelineEntry.action).where(
            TimelineEntry.actor_role == "system"
        )
        return {number: sorted(row["action"] for row in rows if row["number"] == number) for number in numbers}

    while any(len(each) < len(wanted) for each in (await flags()).values()):
        assert time.monotonic() < give_up, f"the hosts' clock jobs did not flag the overdue cases: {await flags()}"
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.5)  # a few more ticks of both hosts
    # Ten days overdue: every flag, and the escalation ladder's last step (the leaders), once each.
    assert await flags() == {number: wanted for number in numbers}
