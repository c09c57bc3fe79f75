"""Live progress under load: N subscribers on one public case, entries published, delays measured.

    .venv/bin/python bench/live.py                      # 1,000 then 10,000 subscribers, SQLite
    .venv/bin/python bench/live.py --subscribers 2000 --entries 5
    .venv/bin/python bench/live.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

Starts ``minsheng serve`` (one worker) on a fresh database in a temporary directory, and a
separate client process that holds N Server-Sent Events streams to one case on loopback. A
leader then publishes entries through the server (an HTTP action, as in real use); each is
timed from just before the request to its arrival on every stream. Prints p50/p99/max delay,
and the server's memory per subscriber: its RSS with the streams open, less its RSS measured
just before they opened (the server warmed up with one stream), over N.

Goal (the live-progress issue): 10,000 subscribers on one process, p99 under 2 s, under 50 KB
each. The server and the client each need N file descriptors and a few more (``ulimit -n``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(PROJECT_ROOT)  # not bench/, whose calendar.py would hide the standard one
EVENT_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)
BATCH = 50  # streams opened at once (bursts of SQLite query threads would inflate the RSS)


# -- the client process: N streams, the arrival time of every event id on each ------------------


class Subscriber(asyncio.Protocol):
    """One stream, read with as little work as can be (a protocol, not a coroutine per read):
    the client's own delay is part of what is measured."""

    def __init__(self, request: bytes, arrivals: dict[int, list[float]], listening: asyncio.Future):
        self.request = request
        self.arrivals = arrivals
        self.listening = listening
        self.buffer = b""

    def connection_made(self, transport) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        # Whole events only (a blank line ends one); the rest waits for the next chunk.
        complete, _, self.buffer = (self.buffer + data).rpartition(b"\n\n")
        if not self.listening.done() and b"retry:" in complete:
            self.listening.set_result(None)  # the server listens for this stream now
        for match in EVENT_ID.finditer(complete):
            self.arrivals.setdefault(int(match.group(1)), []).append(now)

    def connection_lost(self, error) -> None:
        if not self.listening.done():
            self.listening.set_exception(ConnectionError("the stream ended before it started"))


async def hold_streams(host: str, port: int, path: str, count: int, results: str) -> None:
    arrivals: dict[int, list[float]] = {}
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    transports = []
    for start in range(0, count, BATCH):  # as phones come, not all in one instant
        batch = [loop.create_future() for _ in range(min(BATCH, count - start))]
        opened = await asyncio.gather(
            *[loop.create_connection(lambda listening=listening: Subscriber(request, arrivals, listening), host, port) for listening in batch]
        )
        transports += [transport for transport, _ in opened]
        await asyncio.wait_for(asyncio.gather(*batch), 60)
    print(f"ready {len(transports)}", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # until told to stop
    Path(results).write_text(json.dumps(arrivals))
    for transport in transports:
        transport.close()


# -- the bench itself ------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def prepare_case() -> tuple[str, str]:
    """A public case a department signed for, and a leader's session token."""
    from backend.accounts.services import InvitationForm, get_account, invite
    from backend.accounts.audit import Who
    from backend.accounts.sessions import Sessions
    from backend.cases import services, workflow
    from backend.cases.actions import Assign
    from backend.cases.filing import CaseForm
    from backend.vocabulary import Role
    from backend.cases.services import Actor
    from backend.cli import _migrate
    from backend.departments.services import ensure_category, ensure_department
    from backend.settings import get_settings

    await _migrate()
    settings = get_settings()
    department = await ensure_department("市自来水公司", "City Water Supply Company", "water")
    category = await ensure_category("供水", "Water supply", "water", department, "complaint", 0)
    form = CaseForm(
        case_type="complaint", category_id=str(category.id), title="小区停水", description="从早上开始停水，至今没有恢复。",
        address="文津花园小区3号楼", filer_name="张女士", filer_phone="13800138000", publication="public",
    )
    filed = await services.file_case(form, secret_key=settings.secret_key, time_zone=settings.time_zone)
    moderator = Actor(Role.moderator)
    await workflow.perform(filed.number, "accept", moderator)
    await workflow.perform(filed.number, Assign(department_id=department.id), moderator)
    await workflow.perform(filed.number, "sign", Actor(Role.handler, "市自来水公司", department.id))
    issued = await invite(InvitationForm(name="市领导", role="leader"), actor=Who(None, "bench"))
    token = await Sessions.from_settings(settings).begin(await get_account(issued.account_id))
    return filed.number, token


def start_server(port: int, env: dict) -> subprocess.Popen:
    import httpx

    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up")


def run(subscribers: int, entries: int, interval: float, number: str, session: str, env: dict, port: int) -> dict:
    import httpx

    from backend.accounts.sessions import COOKIE_NAME

    server = start_server(port, env)
    results = tempfile.mktemp(prefix="live-arrivals-", suffix=".json")
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, cookies={COOKIE_NAME: session}, timeout=30) as http, http.stream(
            "GET", f"/cases/{number}/events"
        ) as warm:
            next(warm.iter_lines())  # warmed up: a stream is open, the case's feed exists
            time.sleep(1)
            baseline = rss_kib(server.pid)
            client = subprocess.Popen(
                [sys.executable, __file__, "--client", str(port), f"/cases/{number}/events", str(subscribers), results],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            )
            line = client.stdout.readline()
            assert line.startswith("ready"), line
            time.sleep(1)
            loaded = rss_kib(server.pid)
            published: dict[int, float] = {}
            cpu_before = cpu_seconds(server.pid)
            for n in range(entries):
                sent = time.time()
                response = http.post(
                    f"/staff/cases/{number}/instruct", data={"body": f"第 {n} 条进展：抢修中"}
                )
                assert response.status_code == 303, response.text
                published[int(response.headers["location"].rsplit("-", 1)[1])] = sent
                time.sleep(interval)
            time.sleep(3)  # the last entry's stragglers
            cpu = cpu_seconds(server.pid) - cpu_before
            client.stdin.write("stop\n")
            client.stdin.flush()
            client.wait(60)
        arrivals = {int(key): times for key, times in json.loads(Path(results).read_text()).items()}
    finally:
        server.terminate()
        server.wait(30)
        Path(results).unlink(missing_ok=True)
    delays = [arrival - sent for entry, sent in published.items() for arrival in arrivals.get(entry, [])]
    missing = sum(subscribers - len(arrivals.get(entry, [])) for entry in published)
    return {
        "subscribers": subscribers,
        "entries": entries,
        "missing": missing,
        "p50": percentile(delays, 0.50),
        "p99": percentile(delays, 0.99),
        "max": max(delays),
        "baseline_mib": baseline / 1024,
        "loaded_mib": loaded / 1024,
        "kib_each": (loaded - baseline) / subscribers,
        "cpu_per_entry": cpu / entries,  # includes the heartbeats meanwhile
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--entries", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between entries")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server to make a scratch database on")
    parser.add_argument("--client", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.client:
        port, path, count, results = args.client
        import uvloop

        uvloop.run(hold_streams("127.0.0.1", int(port), path, int(count), results))
        return
    if max(args.subscribers) + 100 > hard:  # in each of the two processes
        sys.exit(f"needs {max(args.subscribers) + 100} file descriptors per process; ulimit -n allows {hard}")

    scratch = Path(tempfile.mkdtemp(prefix="minsheng-live-bench-"))
    database = ""
    if args.postgres:
        database = f"minsheng_live_bench_{os.getpid()}"
        database_url = urlunsplit(urlsplit(args.postgres)._replace(path=f"/{database}"))
        asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{database}"'))
    else:
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "MINSHENG_DATABASE_URL": database_url,
        "MINSHENG_DATA_DIR": str(scratch / "data"),
        "MINSHENG_MEDIA_DIR": str(scratch / "media"),
        "MINSHENG_ORIGIN": f"http://127.0.0.1:{port}",
        "MINSHENG_SCHEDULER_SECONDS": "0",
        "MINSHENG_LIVE_STREAM_SECONDS": "3600",
        "PICCOLO_CONF": "piccolo_conf",
    }
    os.environ.update(env)
    try:
        number, session = asyncio.run(prepare_case())
        print(f"database {'PostgreSQL' if args.postgres else 'SQLite'}; one server process; {args.entries} entries, {args.interval} s apart")
        print(f"{'subscribers':>11} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'missing':>7} {'RSS before':>11} {'RSS with':>10} {'KiB each':>9} {'CPU s/entry':>11}")
        for subscribers in args.subscribers:
            r = run(subscribers, args.entries, args.interval, number, session, env, port)
            print(
                f"{r['subscribers']:>11} {r['p50']:>7.3f} {r['p99']:>7.3f} {r['max']:>7.3f} {r['missing']:>7} "
                f"{r['baseline_mib']:>8.1f} MiB {r['loaded_mib']:>6.1f} MiB {r['kib_each']:>9.1f} {r['cpu_per_entry']:>11.2f}",
                flush=True,
            )
    finally:
        if database:
            asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
