"""``minsheng seed-demo``: realistic public cases through the real workflow, once."""

from __future__ import annotations

from backend.cases import services
from backend.cases.tables import Case, TimelineEntry
from backend.demo import DEMO_CASES, seed
from backend.photos.tables import Photo


async def test_seed_demo_files_public_cases_once(settings):
    assert await seed() == len(DEMO_CASES)
    assert await seed() == 0, "running it again adds nothing"
    assert await Case.count() == len(DEMO_CASES)
    assert await Photo.count() == len(DEMO_CASES)
    page = await services.public_cases(page_size=50)
    assert len(page.cases) == len(DEMO_CASES)
    heating = next(case for case in page.cases if case.title == "5个区中有4个区域暖气不热")
    view = await services.public_case(heating.number)
    assert view.status == "in_progress" and view.department_name == "市热力公司"
    assert [entry.action for entry in view.timeline][:4] == ["submit", "accept", "assign", "sign"]
    assert len(view.timeline) == 4 + 6
    times = [entry.created_at for entry in view.timeline]
    assert times == sorted(times)
    assert await TimelineEntry.count() > 4 * len(DEMO_CASES)
