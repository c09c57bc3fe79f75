"""Browsing public cases: every filter, their combinations, the sorts, keyset pages that neither
repeat nor skip a case while others are published, and the /cases page that carries them."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

from backend import clock
from backend.cases import actions, browse, workflow
from backend.cases.browse import BadFilter, CaseFilter, Sort
from backend.cases.tables import Case
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR

DAY_1 = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


async def publish(settings, category, *, at=DAY_1, area=None, department=None, **overrides) -> str:
    """A case filed and accepted (public) at ``at``; assigned to ``department`` if given."""
    with clock.travel_to(at):
        filed = await file(settings, form(category, area_id=str(area or ""), **overrides))
        await workflow.perform(filed.number, "accept", MODERATOR)
        if department is not None:
            await workflow.perform(filed.number, actions.Assign(department_id=department), MODERATOR)
    return filed.number


async def numbers(case_filter: CaseFilter, sort: Sort = Sort.newest) -> list[str]:
    return [case.number async for case in browse.each_case(case_filter, sort)]


def params(**values) -> CaseFilter:
    return CaseFilter.from_params(values)


@pytest.fixture
async def three(settings, categories, areas):
    """A water complaint in a street of 竞秀区 handled by the water company (day 1), a roads
    complaint in 莲池区 (day 2) and a suggestion for 竞秀区 as a whole (day 3)."""
    water = categories["water"]
    return {
        "water": await publish(settings, water, area=areas["dongfeng"], department=water.department),
        "roads": await publish(settings, categories["roads"], at=DAY_1 + timedelta(days=1), area=areas["lianchi"]),
        "advice": await publish(
            settings, categories["advice"], at=DAY_1 + timedelta(days=2), area=areas["jingxiu"], case_type="suggestion"
        ),
    }


async def test_each_filter_and_their_combinations(three, settings, categories):
    hidden = await file(settings, form(categories["water"], publication="private"))
    await workflow.perform(hidden.number, "accept", MODERATOR)
    water, roads, advice = three["water"], three["roads"], three["advice"]
    expectations = [
        ({}, [advice, roads, water]),
        ({"type": "suggestion"}, [advice]),
        ({"type": "complaint"}, [roads, water]),
        ({"category": "water"}, [water]),
        ({"department": "water"}, [water]),
        ({"area": "jingxiu"}, [advice, water]),  # a district includes its streets
        ({"area": "dongfeng"}, [water]),
        ({"area": "xianfeng"}, []),
        ({"status": "open"}, [advice, roads, water]),
        ({"status": "answered"}, []),
        ({"from": "2026-11-03"}, [advice, roads]),
        ({"to": "2026-11-03"}, [roads, water]),
        ({"from": "2026-11-03", "to": "2026-11-03"}, [roads]),
        ({"type": "complaint", "area": "jingxiu"}, [water]),
        ({"category": "roads", "area": "lianchi", "to": "2026-11-02"}, []),
        ({"category": "roads", "area": "lianchi", "from": "2026-11-03", "status": "open"}, [roads]),
        ({"q": "自来水", "area": "jingxiu", "type": "complaint"}, [water]),
    ]
    for given, expected in expectations:
        assert await numbers(params(**given)) == expected, given


async def test_on_time_and_overdue(three):
    due = DAY_1 + timedelta(days=3)
    await Case.update({Case.answer_due_at: due, Case.answered_at: due - timedelta(hours=1)}).where(
        Case.number == three["water"]
    )
    await Case.update({Case.answer_due_at: due, Case.answered_at: due + timedelta(hours=1)}).where(
        Case.number == three["roads"]
    )
    await Case.update({Case.answer_due_at: due, Case.answer_overdue_at: due}).where(Case.number == three["advice"])
    assert await numbers(params(timeliness="on_time")) == [three["water"]]
    assert await numbers(params(timeliness="overdue")) == [three["advice"], three["roads"]]


@pytest.mark.parametrize(
    "given, wrong",
    [
        ({"type": "letter"}, "type"),
        ({"status": "lost"}, "status"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to"),
        ({"timeliness": "late"}, "timeliness"),
        ({"category": "水"}, "category"),
        ({"area": "x" * 61}, "area"),
        ({"q": "停" * 101}, "q"),
    ],
)
def test_values_that_cannot_be_used_are_refused_by_name(given, wrong):
    with pytest.raises(BadFilter) as refused:
        CaseFilter.from_params(given)
    assert list(refused.value.errors) == [wrong] and status_of(refused.value) == 400


async def test_unknown_slugs_sorts_and_cursors_are_refused(three):
    for given in ({"category": "nothing"}, {"department": "nobody"}, {"area": "nowhere"}):
        with pytest.raises(BadFilter):
            await browse.browse(params(**given))
    with pytest.raises(BadFilter):
        browse.parse_sort("loudest")
    page = await browse.browse(CaseFilter(), Sort.newest, limit=1)
    for sort, cursor in [(Sort.supported, page.next_cursor), (Sort.newest, "garbage"), (Sort.newest, "bmV3ZXN0LjEuMA")]:
        with pytest.raises(BadFilter):
            await browse.browse(CaseFilter(), sort, cursor)


async def test_a_filter_gives_back_its_parameters():
    given = {"q": "暖气", "type": "complaint", "area": "jingxiu", "from": "2026-11-01", "timeliness": "overdue"}
    assert CaseFilter.from_params(CaseFilter.from_params(given).params()) == CaseFilter.from_params(given)
    assert CaseFilter.from_params({"unknown": "x", "q": "  "}) == CaseFilter()


async def test_sorts(three):
    water, roads, advice = three["water"], three["roads"], three["advice"]
    assert await numbers(CaseFilter(), Sort.newest) == [advice, roads, water]
    await Case.update({Case.updated_at: DAY_1 + timedelta(days=9)}).where(Case.number == water)
    assert await numbers(CaseFilter(), Sort.updated) == [water, advice, roads]
    await Case.update({Case.support_count: 3}).where(Case.number == roads)
    await Case.update({Case.support_count: 1}).where(Case.number == water)
    assert await numbers(CaseFilter(), Sort.supported) == [roads, water, advice]


@pytest.mark.parametrize("sort", list(Sort))
async def test_keyset_pages_neither_repeat_nor_skip_while_cases_are_published(settings, categories, sort):
    category = categories["water"]
    # Several cases share each moment, so the id must break the ties.
    before = [await publish(settings, category, at=DAY_1 + timedelta(hours=i // 3)) for i in range(14)]
    for index, number in enumerate(before):
        await Case.update({Case.support_count: index % 4}).where(Case.number == number)
    seen, cursor, more = [], None, 0

    async def publish_more():
        for _ in range(2):
            await publish(settings, category, at=clock.now())

    while True:
        page, _ = await asyncio.gather(browse.browse(CaseFilter(), sort, cursor, limit=4), publish_more())
        seen += [case.number for case in page.cases]
        more += 2
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)), "a case was shown twice"
    assert set(before) <= set(seen), "a case that was there all along was skipped"


async def test_the_page_carries_the_filters_and_htmx_gets_the_results(client, three, settings, categories):
    client.headers["accept-language"] = "en"
    for _ in range(20):
        await publish(settings, categories["water"], area=None)
    page = await client.get("/cases", params={"category": "water", "sort": "updated"})
    assert page.status_code == 200 and 'name="category"' in page.text
    assert 'value="water" selected' in page.text and 'value="updated" selected' in page.text
    assert 'data-template="{num} cases on the map."' in page.text
    assert "Showing 20 cases; there are more." in page.text
    following = re.search(r'href="(/cases\?[^"]*cursor=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert "category=water" in following and "sort=updated" in following
    rest = await client.get(following, headers={"hx-request": "true"})
    assert rest.text.lstrip().startswith('<section id="case-results"')
    assert rest.text.count('class="case-card"') == 1  # 21 water cases in all
    assert 'hx-swap-oob="innerHTML"' in rest.text and "Showing 1 case." in rest.text
    assert "王先生" not in page.text + rest.text and "13800138000" not in page.text + rest.text


@pytest.mark.parametrize(
    "query", ["category=nothing", "from=2026-13-01", "sort=loudest", "cursor=garbage", "status=%E6%B0%B4", "type=x&to=y"]
)
async def test_the_page_answers_bad_filters_with_400_and_a_message(client, three, query):
    page = await client.get(f"/cases?{query}")
    assert page.status_code == 400
    assert 'class="filter-errors"' in page.text
    assert 'aria-invalid="true"' in page.text or query.startswith("cursor")
    fragment = await client.get(f"/cases?{query}", headers={"hx-request": "true"})
    assert fragment.status_code == 400 and 'class="filter-errors"' in fragment.text
