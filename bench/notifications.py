"""Benchmark: one published answer fanned out to 10,000 subscribers of its case, and the time
until every message is handed to the (local) channels.

A fresh database, migrated; one case with a department's reply waiting for review, and 10,000
confirmed subscriptions, a third each by email, SMS and push. Measured with time.perf_counter:
the moderator's approval (its transaction writes the 10,000 outbox rows), then the delivery
runs of the worker processes (``delivery.deliver_due``, as their couriers and clock jobs run it,
each claiming its own rows) until every message is sent: email to a local SMTP server (aiosmtpd), SMS to a local gateway, Web Push (VAPID, RFC 8291
encryption per message) to a local push service that checks and decrypts each one. The servers
run in a process of their own (as real ones would be elsewhere). Goal: under 30 s.

Meanwhile (``--pages SECONDS``, 8 by default; 0: not measured) the case's public page is read
by wrk at 64 connections from ``minsheng serve`` on the same database, first alone, then while
the answer fans out on the same cores: the public pages' goal (p99 under 50 ms, issue 20) must
hold during a fan-out too.

Run from the repository root:  .venv/bin/python bench/notifications.py [--subscribers 10000] [--workers 2] [--pages 8] [--profile [cumulative]]
(MINSHENG_DATABASE_URL=postgresql://… to measure on PostgreSQL: a database of its own is made.)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import queue
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
_SERVER_URL = os.environ.get("MINSHENG_DATABASE_URL", "")
_DATABASE = f"minsheng_bench_{os.getpid()}"
if "MINSHENG_BENCH_WORKER" not in os.environ:  # the workers (spawned) keep the run's database
    _DATA = tempfile.mkdtemp(prefix="minsheng-bench-")
    os.environ["MINSHENG_DATA_DIR"] = _DATA
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    if _SERVER_URL.startswith("postgres"):
        os.environ["MINSHENG_DATABASE_URL"] = _SERVER_URL.rsplit("/", 1)[0] + f"/{_DATABASE}"
    else:
        os.environ["MINSHENG_DATABASE_URL"] = f"sqlite:///{_DATA}/bench.sqlite3"

import multiprocessing  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from tests.notifications.conftest import channel_settings  # noqa: E402
from tests.notifications.servers import PushService, SmsGateway, SmtpServer  # noqa: E402


def serve_channels(pipe, push_subscriptions: int) -> None:
    """The channels' servers, in a process of their own: they answer until told to stop, then
    report what they received."""
    smtp, sms, push = SmtpServer().start(), SmsGateway().start(), PushService().start()
    pipe.send((smtp.port, sms.url, [push.subscribe() for _ in range(push_subscriptions)]))
    pipe.recv()
    pipe.send({"email": len(smtp.raw), "sms": len(sms.messages), "push": len(push.received), "push refused": len(push.refused),
               "servers' CPU seconds": round(time.process_time(), 1)})
    for server in (smtp, sms, push):
        server.stop()


def worker(ready, go, results, profile: str = "") -> None:
    """One of the app's worker processes: ready with its pool, it delivers what is due once the
    answer is published, as its courier and clock job do, alongside the others. ``profile``
    (``tottime`` or ``cumulative``): it prints where its CPU time went, sorted so (cProfile)."""

    async def run() -> int:
        from backend import clock, db
        from backend.notifications import delivery

        await db.start_pool()
        ready.release()
        go.wait()
        tried = await delivery.deliver_due(clock.now())
        await db.close_pool()
        return tried

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        tried = profiler.runcall(asyncio.run, run())
        pstats.Stats(profiler).sort_stats(profile).print_stats(25)
    else:
        tried = asyncio.run(run())
    results.put((tried, time.process_time()))


PAGE_CONNECTIONS = 64


class PublicPage:
    """The case's public page under wrk, from ``minsheng serve`` (one worker, no clock jobs or
    courier of its own: the bench's workers deliver) on the bench's database: once alone at
    once, then again in a thread, started with the approval, beside the fan-out."""

    def __init__(self, number: str, seconds: float):
        from bench.throughput import Server, wrk
        from tests.support import free_port

        port = free_port()
        env = dict(os.environ, MINSHENG_SCHEDULER_SECONDS="0", MINSHENG_ORIGIN=f"http://127.0.0.1:{port}")
        env.pop("MINSHENG_BENCH_WORKER", None)
        self.server = Server([str(Path(sys.executable).parent / "minsheng"), "serve", "--port", str(port), "--workers", "1"], env, port)
        url = f"http://127.0.0.1:{port}/cases/{number}"
        wrk(url, 2, PAGE_CONNECTIONS)  # warm: the first requests of a new worker load what it keeps
        self.alone = wrk(url, seconds, PAGE_CONNECTIONS)
        self.meanwhile = concurrent.futures.ThreadPoolExecutor(1).submit(wrk, url, seconds, PAGE_CONNECTIONS)

    def result(self) -> tuple[dict, dict]:
        try:
            return self.alone, self.meanwhile.result()
        finally:
            self.server.stop()


async def admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_SERVER_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def case_with_a_reply_to_review() -> tuple[int, int, str, str]:
    """(case id, the reply's entry id, follow token, case number), made through the services."""
    from backend.cases import actions, services, workflow
    from backend.cases.filing import CaseForm
    from backend.cases.services import Actor
    from backend.departments.services import ensure_category, ensure_department
    from backend.settings import get_settings
    from backend.vocabulary import Role

    department = await ensure_department("市自来水公司", "City Water Supply Company", "water")
    category = await ensure_category("供水", "Water supply", "water", department, "complaint", 0)
    form = CaseForm(
        case_type="complaint", category_id=str(category.id), title="整个小区停水三天", description="从周一开始停水，至今没有恢复。",
        address="文津花园小区", filer_name="张女士", filer_phone="13800138000", publication="public",
    )
    settings = get_settings()
    filed = await services.file_case(form, secret_key=settings.secret_key, time_zone=settings.time_zone)
    moderator, handler = Actor(Role.moderator, ""), Actor(Role.handler, "市自来水公司", department.id)
    await workflow.perform(filed.number, actions.Accept(), moderator)
    await workflow.perform(filed.number, actions.Assign(department_id=department.id), moderator)
    await workflow.perform(filed.number, actions.Sign(), handler)
    entry_id = await workflow.perform(filed.number, actions.DraftReply(text="管道已修复，今晚起恢复供水。"), handler)
    case = await services.case_of_follow_token(filed.follow_token)
    return case["id"], entry_id, filed.follow_token, filed.number


async def subscribe(case_id: int, token: str, count: int, channels: list[str], browsers: list[dict]) -> None:
    """``count`` confirmed subscriptions, shared evenly by the channels, in plain INSERTs."""
    from backend import clock
    from backend.db import execute_many
    from backend.notifications.subscriptions import sealed_follow_link

    now, sealed = clock.now(), sealed_follow_link(token)
    rows = []
    for n in range(count):
        channel = channels[n % len(channels)]
        keys = ""
        if channel == "email":
            address = f"subscriber{n}@example.com"
        elif channel == "sms":
            address = f"139{n:08d}"
        else:
            browser = browsers.pop()
            address, keys = browser["endpoint"], json.dumps(browser["keys"])
        rows.append((case_id, channel, address, keys, "zh_CN", sealed, now, now))
    await execute_many(
        "INSERT INTO notification_subscription (\"case\", channel, address, push_keys, language, follow_link, verified_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def main(subscribers: int, channels: list[str], workers: int, profile: str = "", page_seconds: float = 8) -> None:
    from backend import db
    from backend.cli import _migrate
    from backend.notifications.tables import Message
    from backend.cases import workflow
    from backend.cases.services import Actor
    from backend.settings import get_settings
    from backend.vocabulary import Role
    from backend import listeners

    ours, theirs = multiprocessing.Pipe()
    pushes = sum(1 for n in range(subscribers) if channels[n % len(channels)] == "push")
    servers = multiprocessing.get_context("fork").Process(target=serve_channels, args=(theirs, pushes))
    servers.start()
    smtp_port, sms_url, browsers = ours.recv()
    os.environ.update(channel_settings(SimpleNamespace(port=smtp_port), SimpleNamespace(url=sms_url)))
    get_settings.cache_clear()
    if _SERVER_URL.startswith("postgres"):
        await admin(f'CREATE DATABASE "{_DATABASE}"')
    try:
        await _migrate()
        await db.start_pool()
        listeners.wire()
        case_id, entry_id, token, number = await case_with_a_reply_to_review()
        await subscribe(case_id, token, subscribers, channels, browsers)

        spawn = multiprocessing.get_context("spawn")
        ready, go, results = spawn.Semaphore(0), spawn.Event(), spawn.Queue()
        os.environ["MINSHENG_BENCH_WORKER"] = "1"
        processes = [spawn.Process(target=worker, args=(ready, go, results, profile)) for _ in range(workers)]
        for process in processes:
            process.start()
        for _ in processes:
            ready.acquire()

        page = PublicPage(number, page_seconds) if page_seconds else None
        started = time.perf_counter()
        await workflow.review(entry_id, "approve", Actor(Role.moderator, ""))
        committed = time.perf_counter()
        go.set()
        outcomes = []
        while len(outcomes) < len(processes):  # a worker that died says so instead of hanging the run
            try:
                outcomes.append(results.get(timeout=1))
            except queue.Empty:
                dead = [process.exitcode for process in processes if process.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"a worker process failed (exit codes {dead})") from None
        tried, cpu = sum(n for n, _ in outcomes), sum(seconds for _, seconds in outcomes)
        done = time.perf_counter()
        for process in processes:
            process.join()
        written = await Message.count()
        statuses = Counter(await Message.select(Message.status).output(as_list=True))
        ours.send("stop")
        received = ours.recv()
        engine = "PostgreSQL" if _SERVER_URL.startswith("postgres") else "SQLite"
        print(f"one published answer, {subscribers:,} subscribers, on {engine}, {workers} worker processes delivering")
        print(f"  approval's transaction, writing {written:,} outbox rows: {committed - started:7.2f} s")
        print(f"  delivery of {tried:,} messages:                     {done - committed:7.2f} s  ({tried / (done - committed):,.0f} a second)")
        print(f"  from the approval to the last one handed over:    {done - started:7.2f} s  (goal: under 30 s)")
        print(f"  the workers' CPU: {cpu:.1f} s (with their start)")
        print(f"  outcomes: {dict(statuses)}; received: {received}")
        if page:
            alone, meanwhile = page.result()
            print(f"  the case's public page, {PAGE_CONNECTIONS} connections (goal: p99 under 50 ms, during a fan-out too):")
            for name, figures in (("alone", alone), ("during the fan-out", meanwhile)):
                print(f"    {name:<20} {figures['rps']:7.0f} requests/s, p50 {figures['p50']:6.1f} ms, p99 {figures['p99']:6.1f} ms, errors {figures['errors']}")
        await db.close_pool()
    finally:
        servers.join(10)
        if servers.is_alive():
            servers.kill()
        if _SERVER_URL.startswith("postgres"):
            await admin(f'DROP DATABASE IF EXISTS "{_DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--channels", default="email,sms,push", help="the subscribers' channels, shared evenly")
    parser.add_argument("--workers", type=int, default=2, help="worker processes delivering, as the app's workers do")
    parser.add_argument("--profile", nargs="?", const="tottime", default="", choices=["tottime", "cumulative"],
                        help="each worker prints where its CPU time went (slower)")
    parser.add_argument("--pages", type=float, default=8, help="seconds of wrk on the case's public page, alone and during the fan-out (0: none)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.subscribers, arguments.channels.split(","), arguments.workers, arguments.profile, arguments.pages))
