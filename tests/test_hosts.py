"""Several hosts behind one address: two ``minsheng serve`` processes play two app hosts, each
with its own port and local directories, on one PostgreSQL database, one Redis and one S3 bucket
(``rclone serve s3``), with the same public origin, as behind a load balancer. What one host
does, the other sees: sessions, live events, the public pages' freshness, clock jobs, photos.
When nginx is installed, it stands in front of both with the repository's rules
(``deploy/minsheng-locations.conf``), as the README's deployment section has it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from backend import clock
from backend.cases.tables import TimelineEntry
from tests.cases.test_clocks import assigned_case
from tests.live.test_streams import next_event, open_stream, signed_case
from tests.people import Person, invite
from tests.photos.test_s3 import S3Server, media_names, photo_keys, upload
from tests.support import PROJECT_ROOT, REDIS_URL, LiveServer, free_port, jpeg, report_fields, streams_ended, submission_key

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
    servers = [
        LiveServer(env={**shared, "MINSHENG_DATA_DIR": str(root / name / "data"), "MINSHENG_MEDIA_DIR": str(root / name / "media")})
        for name in ("a", "b")
    ]
    try:
        with ThreadPoolExecutor(2) as starting:  # each start mostly waits: both at once
            list(starting.map(LiveServer.start, servers))
        yield s3, *servers
    finally:
        for server in servers:
            server.stop()
        s3.stop()


async def signed_in_on(url: str, role: str) -> Person:
    """Someone invited, who enrols a passkey and so signs in at this address, over HTTP."""
    issued = await invite(role)
    someone = Person(httpx.AsyncClient(base_url=url, timeout=30), account_id=issued.account_id)
    enrolled = await someone.enrol(issued.token)
    assert enrolled.status_code == 200, enrolled.text
    return someone


async def test_a_session_made_on_one_host_works_on_the_other_and_its_changes_reach_the_other_at_once(hosts, settings, categories):
    _, a, b = hosts
    number, _, _ = await signed_case(settings, categories)
    leader = await signed_in_on(a.url, "leader")
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


NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


@pytest.fixture(scope="module")
def nginx(hosts, tmp_path_factory):
    """nginx in front of both hosts, with the repository's rules and a configuration of its own
    around them, as the README's walk-through runs it (no TLS, a port of its own)."""
    assert NGINX, "nginx is not installed (scripts/test installs Debian's nginx)"
    _, a, b = hosts
    folder, port = tmp_path_factory.mktemp("nginx"), free_port()
    (folder / "nginx.conf").write_text(
        # As root, nginx's workers would be "nobody", who may not enter the test's directories.
        f"""{"user root;" if os.geteuid() == 0 else ""} daemon off; pid {folder}/nginx.pid; events {{}}
        http {{
            access_log off;
            client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
            upstream minsheng_app {{ least_conn; server 127.0.0.1:{a.port}; server 127.0.0.1:{b.port}; keepalive 8; }}
            proxy_cache_path {folder}/cache keys_zone=minsheng_media:1m;
            server {{ listen 127.0.0.1:{port}; include {PROJECT_ROOT}/deploy/minsheng-locations.conf; }}
        }}"""
    )
    process = subprocess.Popen([NGINX, "-e", "stderr", "-p", str(folder), "-c", str(folder / "nginx.conf")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not come up in 10 s"
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


async def test_behind_nginx_pages_pass_through_and_only_what_the_app_allows_is_cached(nginx, hosts, categories):
    _, a, b = hosts
    anonymous = httpx.Client(base_url=nginx, timeout=30)
    moderator = await signed_in_on(nginx, "moderator")
    try:
        # A filing through nginx, its photo larger than nginx's default limit of 1 MB.
        page = anonymous.get("/report")
        assert page.headers["cache-control"] == "no-store" and "x-cache-status" not in page.headers
        big = jpeg(2400, 1800, quality=100)
        assert len(big) > 1024 * 1024
        uploaded = anonymous.post("/photos", files={"photos": ("big.jpg", big, "image/jpeg")}, headers={"hx-request": "true"})
        assert uploaded.status_code == 200, uploaded.text
        key = photo_keys(uploaded.text)
        filed = anonymous.post("/report", data={**report_fields(categories["water"].id), "submission_key": submission_key(page.text), "photo_key": key})
        assert filed.status_code == 303, filed.text
        follow_page = anonymous.get(filed.headers["location"]).text
        number = re.search(r"\d{4}-\d{6,9}", follow_page).group()
        original = sorted(media_names(follow_page))

        # Originals: never kept by nginx (a moderator may withdraw one at any moment).
        for _ in range(2):
            served = anonymous.get(f"/media/{original[0]}.jpg")
            assert served.status_code == 200 and served.headers["x-cache-status"] == "MISS"
        assert (await moderator.post_form(f"/staff/cases/{number}/accept")).status_code == 303
        blacked = await moderator.post_form(
            f"/staff/cases/{number}/black_out_photo",
            {"photo_key": key[0], "region_x": "10", "region_y": "10", "region_width": "50", "region_height": "50"},
        )
        assert blacked.status_code == 303, blacked.text
        for name in original:
            staff = await moderator.client.get(f"/media/{name}.jpg")
            assert staff.status_code == 200 and staff.headers["cache-control"] == "private, no-store"
            assert anonymous.get(f"/media/{name}.jpg").status_code == 404  # what staff saw was not kept

        # The public copy and a static file: immutable, kept by nginx after the first request.
        public_page = anonymous.get(f"/cases/{number}")
        copy = min(media_names(public_page.text) - set(original))
        static = re.search(r'href="(/static/[^"]+)"', public_page.text).group(1).replace("&amp;", "&")
        for path in (f"/media/{copy}.jpg", static):
            assert [anonymous.get(path).headers["x-cache-status"] for _ in range(2)] == ["MISS", "HIT"], path

        # Public pages: the app's headers, untouched; a 304 from whichever host answers.
        tag = public_page.headers["etag"]
        assert public_page.headers["cache-control"] == "public, max-age=0, must-revalidate"
        assert public_page.headers["vary"].endswith("Accept-Language,Cookie,HX-Request,HX-History-Restore-Request")
        assert {anonymous.get(f"/cases/{number}", headers={"if-none-match": tag}).status_code for _ in range(4)} == {304}
        assert re.fullmatch("[0-9a-f]{32}", public_page.headers["x-request-id"])  # nginx's $request_id, kept
        assert anonymous.get("/metrics").status_code == 404

        # A live stream through nginx: its first line arrives at once (not held in a buffer).
        stream = await open_stream(f"{nginx}/cases/{number}/events")
        stream.close()
    finally:
        anonymous.close()
        await moderator.client.aclose()
    streams_ended(a)
    streams_ended(b)
