"""Benchmark: one tick of the clock jobs (``backend.jobs``) over 100,000 open cases on SQLite,
which every worker runs every minute.

Measured: a quiet tick (nothing newly due: the common minute) and a tick that flags and
supervises 1,000 newly overdue cases, with the partial indexes of the cases migration, against
the same quiet tick once those indexes are dropped (the baseline: the jobs' reads then scan the
cases). Medians of time.perf_counter over several runs; the database is a fresh file, migrated
and filled with plain INSERTs (open cases with deadlines in the past, met, and in the future).

Run from the repository root:  .venv/bin/python bench/clock_jobs.py [--cases 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
_DATA = tempfile.mkdtemp(prefix="minsheng-bench-")
os.environ["MINSHENG_DATA_DIR"] = _DATA
os.environ["MINSHENG_DATABASE_URL"] = f"sqlite:///{_DATA}/bench.sqlite3"
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
LATE = 1000  # cases whose every clock ran out just before NOW


async def fill(cases: int) -> None:
    from backend.cases.tables import Case
    from backend.departments.services import ensure_category, ensure_department

    department = await ensure_department("市自来水公司", "City Water Supply Company", "water")
    category = await ensure_category("供水", "Water supply", "water", department, "complaint", 0)
    rows = []
    for i in range(cases):
        late = i < LATE
        assigned = NOW - (timedelta(days=4) if late else timedelta(minutes=10))
        met = None if late else assigned + timedelta(minutes=5)  # the on-time ones signed already
        due = assigned + timedelta(days=3)
        rows.append(
            Case(
                number=f"2026-{i:07d}", case_type="complaint", category=category.id, department=department.id,
                title="小区停水", description="小区从昨天开始停水。", address="某小区", filer_name="市民",
                filer_phone="13800000000", status="signed" if met else "assigned", follow_token_hash=f"{i:064d}",
                created_at=assigned, updated_at=assigned, first_assigned_at=assigned, assigned_at=assigned,
                sign_due_at=assigned + timedelta(minutes=15), signed_at=met,
                contact_due_at=assigned + timedelta(minutes=30), contacted_at=met,
                response_due_at=assigned + timedelta(hours=1), responded_at=met,
                answer_due_at=due, answer_warning_at=assigned + timedelta(days=2, hours=10),
            )
        )
        if len(rows) == 2000:
            await Case.insert(*rows)
            rows = []
    if rows:
        await Case.insert(*rows)


async def timed(function, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


async def main(cases: int, runs: int) -> None:
    from backend.cli import _migrate
    from backend.db import engine
    from backend.jobs import JOBS
    from backend.scheduler import run_jobs

    await _migrate()
    await fill(cases)
    quiet_moment = NOW - timedelta(days=3, hours=23)  # before the late ones' answers, after their other clocks

    async def quiet_tick():
        done = await run_jobs(JOBS, quiet_moment)
        assert not any(done.values()), done

    await run_jobs(JOBS, quiet_moment)  # flags what is due by then, so the timed ticks are quiet
    quiet = await timed(quiet_tick, runs)
    started = time.perf_counter()
    done = await run_jobs(JOBS, NOW)
    busy = time.perf_counter() - started
    from backend.cases.piccolo_migrations.cases_2026_12_07t02_37_09_999999 import CLOCK_JOB_INDEXES

    for name in CLOCK_JOB_INDEXES:
        await engine().run_ddl(f"DROP INDEX {name}")
    baseline = await timed(quiet_tick, runs)
    print(f"{cases:,} open cases on SQLite, median of {runs} runs")
    print(f"  quiet tick, partial indexes:     {quiet * 1000:8.2f} ms")
    print(f"  quiet tick, without them (base): {baseline * 1000:8.2f} ms  ({baseline / quiet:.0f}x)")
    print(f"  tick flagging {done['flag_overdue']:,} clocks and supervising {done['supervise_overdue']:,} cases: {busy * 1000:8.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.cases, arguments.runs))
