"""Benchmark: the public pages at 10,000 and at 1,000,000 cases, on SQLite and on PostgreSQL.

For each database and size, a database of its own is migrated and filled once with
``minsheng seed-demo --cases N`` (``backend.demo_bulk``: two years of cases with timelines,
clocks, ratings, supporters, the full-text index and the materialised figures) and kept for the
next run. Then the median server time of each page is measured with an in-process ASGI client
(Litestar's AsyncTestClient: the whole app, middleware and templates, no network), over
``--requests`` requests after a few to warm up:

- list:   a filtered list page, /cases?category=heating&area=jingxiu (a category, and a
          district with its streets)
- search: /cases?q=暖气 (full-text search)
- case:   a public case's page, a different case each time
- board:  the leaderboard, /departments?period=year
- staff:  the staff search as a moderator, every case open or closed: /staff/search?q=暖气
- staff-filter: the staff search as a moderator with filters and the deadline sort,
          /staff/search?category=heating&area=jingxiu&status=not_finished&sort=due

and, per database, each page's 1M/10k ratio (goal: at most 1.5), whether the leaderboard
stays under 100 ms and the staff search under 150 ms at a million.

Each size's line also gives the median CPU time of the process (its threads: the app and
SQLite), which a busy machine inflates much less than the time.

Run from the repository root (each size and database runs in a process of its own):
    .venv/bin/python bench/scale.py [--sizes 10000,1000000] [--databases sqlite,postgres] [--requests 30]
PostgreSQL: the server of MINSHENG_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the databases are named minsheng_scale_<N>. Files: /tmp/minsheng-scale-<database>-<N>/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/, whose calendar.py would hide the standard library's
POSTGRES = os.environ.get("MINSHENG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGES = {
    "list": "/cases?category=heating&area=jingxiu",
    "search": "/cases?q=%E6%9A%96%E6%B0%94",  # 暖气
    "case": None,  # a public case, a different one each time
    "board": "/departments?period=year",
    "staff": "/staff/search?q=%E6%9A%96%E6%B0%94",  # 暖气, as a moderator
    "staff-filter": "/staff/search?category=heating&area=jingxiu&status=not_finished&sort=due",
}
STAFF_PAGES = {"staff", "staff-filter"}  # asked with a moderator's session
WARM_UP = 3


def _environment(database: str, size: int) -> dict[str, str]:
    data = Path(f"/tmp/minsheng-scale-{database}-{size}")
    env = dict(os.environ, MINSHENG_DATA_DIR=str(data), MINSHENG_MEDIA_DIR=str(data / "media"), PICCOLO_CONF="piccolo_conf")
    env["MINSHENG_SCHEDULER_SECONDS"] = "0"  # no clock jobs in the middle of the measurements
    if database == "postgres":
        env["MINSHENG_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + f"/minsheng_scale_{size}"
    else:
        env["MINSHENG_DATABASE_URL"] = f"sqlite:///{data}/minsheng.sqlite3"
    return env


async def _create_postgres_database(size: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", f"minsheng_scale_{size}"):
            await connection.execute(f"CREATE DATABASE minsheng_scale_{size}")
    finally:
        await connection.close()


async def measure(size: int, requests: int) -> dict:
    """In the child process, whose environment points at the database of this size."""
    from litestar.testing import AsyncTestClient

    from backend.accounts.audit import Who
    from backend.accounts.services import InvitationForm, get_account, invite
    from backend.accounts.sessions import COOKIE_NAME, Sessions, make_store
    from backend.app import create_app
    from backend.cases.tables import Case
    from backend.settings import get_settings
    from backend.cli import _migrate
    from backend.demo_bulk import generate

    await _migrate()
    loaded = None
    if await Case.count() < size:
        started = time.perf_counter()
        await generate(size - await Case.count())
        loaded = time.perf_counter() - started
    cases = await Case.count()
    public = await Case.select(Case.number).where(Case.published_at.is_not_null()).order_by(Case.id)
    numbers = [row["number"] for row in public[:: max(1, len(public) // (requests + WARM_UP))]]
    settings = get_settings()
    issued = await invite(InvitationForm(name="Bench moderator", role="moderator"), actor=Who(None, "bench"))
    session = await Sessions.from_settings(settings, make_store(settings)).begin(await get_account(issued.account_id))
    medians, cpu = {}, {}
    async with AsyncTestClient(app=create_app()) as client:
        for page, url in PAGES.items():
            times, cpu_times = [], []
            cookies = {COOKIE_NAME: session} if page in STAFF_PAGES else {}
            for n in range(requests + WARM_UP):
                path = url or f"/cases/{numbers[n % len(numbers)]}"
                started, cpu_started = time.perf_counter(), time.process_time()
                response = await client.get(path, cookies=cookies)
                elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
                assert response.status_code == 200, (path, response.status_code)
                if n >= WARM_UP:
                    times.append(elapsed)
                    cpu_times.append(cpu_elapsed)
            medians[page] = statistics.median(times) * 1000
            cpu[page] = statistics.median(cpu_times) * 1000
    return {"cases": cases, "loaded_seconds": loaded, "medians_ms": medians, "cpu_ms": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # database:size, in the child process
    args = parser.parse_args()
    if args.child:
        _, size = args.child.split(":")
        print(json.dumps(asyncio.run(measure(int(size), args.requests))))
        return

    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[tuple[str, int], dict] = {}
    for database in args.databases.split(","):
        for size in sizes:
            if database == "postgres":
                asyncio.run(_create_postgres_database(size))
            child = subprocess.run(
                [sys.executable, __file__, "--child", f"{database}:{size}", "--requests", str(args.requests)],
                env=_environment(database, size), cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if child.returncode:
                sys.exit(f"{database} {size}: {child.stderr[-3000:]}")
            results[(database, size)] = json.loads(child.stdout.strip().splitlines()[-1])
            found = results[(database, size)]
            loaded = f", loaded in {found['loaded_seconds']:.0f} s" if found["loaded_seconds"] else ""
            print(f"{database} {found['cases']:>9,} cases{loaded}: " + "  ".join(f"{page} {ms:.1f} ms" for page, ms in found["medians_ms"].items()), flush=True)
            # On a busy machine the time waiting for a core counts too; the CPU time does not.
            print(f"{'':>6} CPU time of the process: " + "  ".join(f"{page} {ms:.1f} ms" for page, ms in found["cpu_ms"].items()), flush=True)

    print(f"\nmedian server time (in-process ASGI client), {args.requests} requests per page")
    print(f"{'database':<9} {'page':<13}" + "".join(f"{size:>12,}" for size in sizes) + (f"{'ratio':>8}" if len(sizes) > 1 else ""))
    for database in args.databases.split(","):
        for page in PAGES:
            times = [results[(database, size)]["medians_ms"][page] for size in sizes]
            ratio = f"{times[-1] / times[0]:>8.2f}" if len(sizes) > 1 else ""
            print(f"{database:<9} {page:<13}" + "".join(f"{ms:>9.1f} ms" for ms in times) + ratio)
        board = results[(database, sizes[-1])]["medians_ms"]["board"]
        print(f"{database}: leaderboard at {sizes[-1]:,} cases {board:.1f} ms ({'under' if board < 100 else 'over'} 100 ms)")
        for page in sorted(STAFF_PAGES):
            staff = results[(database, sizes[-1])]["medians_ms"][page]
            print(f"{database}: {page} at {sizes[-1]:,} cases {staff:.1f} ms ({'under' if staff < 150 else 'over'} 150 ms)")


if __name__ == "__main__":
    main()
