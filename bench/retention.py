"""Benchmark: the retention job (``cases.retention.anonymise_finished``) over a backlog of
finished cases, on SQLite and PostgreSQL.

The cases come from the demo generator (``demo_bulk``: two years of cases with timelines,
ratings and figures). The job runs at a moment when every finished case is past the retention
period, once in its batches (``retention.BATCH``) and once, as the baseline, in batches of
``BASELINE_BATCH`` (the same code; a baseline transaction over a whole large backlog would pass
PostgreSQL's limit of query parameters in the photos' step).
Meanwhile a probe writes a small row every 20 ms, as a filing or an action would, and records
how long each write waited: the worst wait is how long the job held the write lock (SQLite) or
blocked a writer (PostgreSQL). The figures are read before and after each run and after
``figures.rebuild``; they must not change.

Run from the repository root:
    .venv/bin/python bench/retention.py [--cases 100000] [--databases sqlite,postgres]
PostgreSQL: the server of MINSHENG_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the bench makes and drops a database of its own there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/, whose calendar.py would hide the standard library's
POSTGRES = os.environ.get("MINSHENG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "minsheng_bench_retention"
BASELINE_BATCH = 20_000


async def _figures() -> list:
    from backend.cases.tables import CaseContribution, DepartmentFigure, TopicCount

    # Without row ids (a rebuild writes the rows afresh) and without counters at zero: counting a
    # case in and out again leaves a zero row where a rebuild writes none, and both read as zero.
    tables = (CaseContribution, DepartmentFigure, TopicCount)
    return [
        sorted(repr({k: v for k, v in row.items() if k != "id"}) for row in await table.select() if row.get("value") != 0)
        for table in tables
    ]


async def _run(moment, batch: int) -> dict:
    """One run of the job with the probe writing beside it."""
    from backend import clock
    from backend.accounts.tables import AuditEvent
    from backend.cases import retention

    waits: list[float] = []
    running = True

    async def probe() -> None:
        while running:
            started = time.perf_counter()
            await AuditEvent.insert(AuditEvent(created_at=clock.now(), action="signed_out", detail="probe"))
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    erased = await retention.anonymise_finished(moment, batch=batch)
    seconds = time.perf_counter() - started
    running = False
    await prober
    return {"erased": erased, "seconds": seconds, "worst_wait_ms": max(waits) * 1000, "probe_writes": len(waits)}


async def measure(cases: int) -> dict:
    from backend import clock
    from backend.cases import figures
    from backend.cases.tables import Case
    from backend.cli import _migrate
    from backend.demo_bulk import generate
    from backend.listeners import wire
    from backend.settings import get_settings
    from backend.vocabulary import FINISHED

    wire()
    await _migrate()
    started = time.perf_counter()
    await generate(cases)
    loaded = time.perf_counter() - started
    finished = await Case.count().where(Case.status.is_in([status.value for status in FINISHED]))
    moment = clock.now() + timedelta(days=get_settings().personal_data_days + 1)
    before = await _figures()
    batched = await _run(moment, batch=500)
    same_after = await _figures() == before
    # Put the backlog back, untimed, for the baseline: far larger batches.
    await Case.update({Case.anonymised_at: None, Case.filer_name: "市民", Case.filer_phone: "13800000000"}).where(
        Case.anonymised_at.is_not_null()
    )
    baseline = await _run(moment, batch=BASELINE_BATCH)
    await figures.rebuild()
    rebuilt_same = await _figures() == before
    return {
        "cases": await Case.count(),
        "finished": finished,
        "loaded_seconds": loaded,
        "batched": batched,
        "baseline": baseline,
        "figures_unchanged": same_after,
        "figures_rebuilt_unchanged": rebuilt_same,
    }


def _child_environment(database: str, data: str) -> dict[str, str]:
    env = dict(os.environ, MINSHENG_DATA_DIR=data, MINSHENG_MEDIA_DIR=f"{data}/media", PICCOLO_CONF="piccolo_conf")
    env["MINSHENG_SCHEDULER_SECONDS"] = "0"
    if database == "postgres":
        env["MINSHENG_DATABASE_URL"] = POSTGRES.rsplit("/", 1)[0] + f"/{DATABASE}"
    else:
        env["MINSHENG_DATABASE_URL"] = f"sqlite:///{data}/minsheng.sqlite3"
    return env


async def _postgres(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.cases))))
        return
    print(f"retention job over {args.cases:,} generated cases: batches of 500 vs of {BASELINE_BATCH:,} (baseline)")
    print(f"{'database':<10} {'finished':>9} {'erased':>7} {'500s: s':>9} {'worst wait':>11} {'base: s':>9} {'worst wait':>11} {'ratio':>6}  figures")
    for database in args.databases.split(","):
        if database == "postgres":
            asyncio.run(_postgres(f"DROP DATABASE IF EXISTS {DATABASE}"))
            asyncio.run(_postgres(f"CREATE DATABASE {DATABASE}"))
        with tempfile.TemporaryDirectory(prefix="minsheng-retention-") as data:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--cases", str(args.cases)],
                env=_child_environment(database, data), capture_output=True, text=True, cwd=ROOT,
            )
        if database == "postgres":
            asyncio.run(_postgres(f"DROP DATABASE IF EXISTS {DATABASE}"))
        if out.returncode != 0:
            print(f"{database}: failed\n{out.stderr[-3000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        batched, baseline = result["batched"], result["baseline"]
        same = "unchanged, and after a rebuild" if result["figures_unchanged"] and result["figures_rebuilt_unchanged"] else "CHANGED"
        print(
            f"{database:<10} {result['finished']:>9,} {batched['erased']:>7,} {batched['seconds']:>9.1f} "
            f"{batched['worst_wait_ms']:>9.0f}ms {baseline['seconds']:>9.1f} {baseline['worst_wait_ms']:>9.0f}ms "
            f"{baseline['worst_wait_ms'] / batched['worst_wait_ms']:>5.0f}x  {same}"
        )


if __name__ == "__main__":
    main()
