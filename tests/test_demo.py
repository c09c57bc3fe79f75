"""``minsheng seed-demo``: realistic public cases through the real workflow, once."""

from __future__ import annotations

from backend.cases import services, workflow
from backend.cases.tables import Case, TimelineEntry
from backend.demo import DEMO_CASES, seed
from backend.departments.tables import Area
from backend.photos.tables import Photo


async def test_seed_demo_files_public_cases_once(settings):
    assert await seed() == len(DEMO_CASES)
    assert await seed() == 0, "running it again adds nothing"
    assert await Case.count() == len(DEMO_CASES)
    assert await Photo.count() == len(DEMO_CASES)
    page = await services.public_cases(page_size=50)
    # One case waits for review and one was refused: neither is public.
    assert len(page.cases) == len(DEMO_CASES) - 2
    statuses = [row["status"] for row in await Case.select(Case.status)]
    for status in ("submitted", "rejected", "replied", "in_progress", "signed", "assigned", "accepted"):
        assert status in statuses, status
    heating = next(case for case in page.cases if case.title == "5个区中有4个区域暖气不热")
    view = await services.public_case(heating.number)
    assert view.status == "replied" and view.department_name == "市热力公司"
    assert (view.district_name, view.area_name) == ("竞秀区", "东风街道")  # set by the centre on accepting
    waiting = await Case.select(Case.area.name).where(Case.status == "submitted").first()
    assert waiting["area.name"] == "中华路街道"  # chosen by the filer
    assert await Area.count() == 5 + 22
    assert [entry.action for entry in view.timeline][:4] == ["submit", "accept", "assign", "sign"]
    assert [entry.action for entry in view.timeline][-1] == "draft_reply"  # the published reply
    assert len(view.timeline) == 4 + 6 + 1
    times = [entry.created_at for entry in view.timeline]
    assert times == sorted(times)
    assert len(await workflow.pending_reviews()) == 1  # a department's last post still waits
    assert await TimelineEntry.count() > 4 * len(DEMO_CASES)
