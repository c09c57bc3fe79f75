"""Benchmark: working-time arithmetic, as the per-department figures over a million cases use it.

Measured, per call, over random starts in 2025–2026 (nights, weekends and holidays included) and
random durations up to 5 working days: ``WorkingCalendar.add_working_time`` and
``working_time_between`` (the calendar is built once and its year tables are warm, as in the
app), against a naive ``add_working_time`` that steps minute by minute asking whether each minute
is working time, on fewer calls. Medians of several runs of time.perf_counter are reported.

Run from the repository root:  .venv/bin/python bench/calendar.py [--calls 100000] [--naive-calls 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# In place of this script's folder: this file would otherwise shadow the standard library's calendar.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("MINSHENG_DATA_DIR", tempfile.mkdtemp(prefix="minsheng-bench-"))

from backend.deadlines.calendar import WorkingCalendar  # noqa: E402
from backend.settings import WORKING_HOURS, parse_working_hours  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)


def naive_add_working_time(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The obvious loop: walk the clock a minute at a time, counting working minutes."""
    moment, left = start.astimezone(SHANGHAI), duration
    while left > timedelta(0):
        clock_time = moment.time()
        if calendar.is_working_day(moment.date()) and any(s <= clock_time < e for s, e in calendar.working_hours):
            left -= MINUTE
        moment += MINUTE
    return moment


def per_call(function, cases, runs: int) -> float:
    """Median seconds per call over ``runs`` passes through ``cases``."""
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        for case in cases:
            function(*case)
        timings.append((time.perf_counter() - began) / len(cases))
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--naive-calls", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    calendar = WorkingCalendar(parse_working_hours(WORKING_HOURS), "Asia/Shanghai")
    rng = random.Random(2025)
    origin = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    # Whole minutes, so that the naive loop computes the same answers.
    starts = [origin + timedelta(minutes=rng.randrange(2 * 365 * 1440)) for _ in range(args.calls)]
    durations = [timedelta(minutes=rng.randrange(1, 5 * 7 * 60)) for _ in range(args.calls)]
    additions = list(zip(starts, durations))
    ends = [calendar.add_working_time(start, duration) for start, duration in additions]  # warms the year tables
    spans = list(zip(starts, ends))
    naive = additions[: args.naive_calls]
    assert all(naive_add_working_time(calendar, *case) == calendar.add_working_time(*case) for case in naive[:50])

    add = per_call(calendar.add_working_time, additions, args.runs)
    between = per_call(calendar.working_time_between, spans, args.runs)
    baseline = per_call(lambda s, d: naive_add_working_time(calendar, s, d), naive, max(1, args.runs // 2))
    print(f"add_working_time      {add * 1e6:8.2f} µs/call over {len(additions):,} calls")
    print(f"working_time_between  {between * 1e6:8.2f} µs/call over {len(spans):,} calls")
    print(f"naive per-minute add  {baseline * 1e6:8.0f} µs/call over {len(naive):,} calls")
    print(f"add_working_time is {baseline / add:,.0f}× faster than the per-minute loop")
    print(f"a million cases: {add * 1e6:.1f} s of add_working_time, {between * 1e6:.1f} s of working_time_between")
    # A date far away (an extension typed as 9999-12-31) costs what a near one does, on a fresh calendar.
    for until in (datetime(2027, 12, 31, tzinfo=SHANGHAI), datetime(9999, 12, 31, tzinfo=SHANGHAI)):
        fresh = WorkingCalendar(parse_working_hours(WORKING_HOURS), "Asia/Shanghai")
        tracemalloc.start()
        began = time.perf_counter()
        fresh.add_working_time(origin, fresh.working_time_between(origin, until))
        took, peak = time.perf_counter() - began, tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"fresh calendar, 2025 to {until.year}: {took * 1e3:6.1f} ms, {peak / 1e6:5.2f} MB at most")


if __name__ == "__main__":
    main()
