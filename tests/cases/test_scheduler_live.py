"""The scheduler in `minsheng serve --workers 2`: both worker processes run the clock jobs every
second against the same database, and each case is still flagged and supervised once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from backend import clock
from backend.cases.tables import Case, TimelineEntry
from tests.cases.test_clocks import assigned_case
from tests.support import LiveServer

pytestmark = pytest.mark.slow


async def test_two_worker_processes_flag_and_supervise_each_case_once(settings, categories):
    numbers = [(await assigned_case(settings, categories, clock.now() - timedelta(days=10, minutes=i)))[0] for i in range(6)]
    server = LiveServer(workers=2, env={"MINSHENG_SCHEDULER_SECONDS": "1"}).start()
    try:
        give_up = time.monotonic() + 30
        while await Case.count().where(Case.supervised_at.is_not_null()) < len(numbers):
            assert time.monotonic() < give_up, "the workers' scheduler did not supervise the overdue cases"
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # several more ticks of both workers
    finally:
        server.stop()
    rows = await TimelineEntry.select(TimelineEntry.case.number.as_alias("number"), TimelineEntry.action).where(
        TimelineEntry.actor_role == "system"
    )
    for number in numbers:
        actions = sorted(row["action"] for row in rows if row["number"] == number)
        # Ten days overdue: every flag, and the escalation ladder's last step (the leaders), once each.
        assert actions == [
            "auto_supervise", "leader_attention", "overdue_answer", "overdue_contact", "overdue_response", "overdue_sign"
        ], number
