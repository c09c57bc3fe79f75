"""Hot topics (/trends): categories, areas and keywords of public cases counted more in the last
7 or 30 days than in as many days before them; read from the per-day counts, never the cases."""

from __future__ import annotations

from datetime import timedelta

from backend import clock
from backend.cases import trends, workflow
from backend.cases.tables import Case, TopicCount
from tests.cases.test_clocks import MODERATOR, at
from tests.cases.test_filing import file, form

TODAY = at(2026, 11, 20, 15, 0)


async def public_case(settings, category, day, **overrides) -> str:
    with clock.travel_to(day):
        filed = await file(settings, form(category, **overrides))
        await workflow.perform(filed.number, "accept", MODERATOR)  # public from now
    return filed.number


def test_keywords_are_the_words_a_case_is_about():
    assert "暖气" in trends.keywords_of("5个区中有4个区域暖气不热", "家里暖气一直不热，温度只有十几度。")
    assert "停电" in trends.keywords_of("小区停电三四天", "小区停电三四天了，没人管。")
    assert all(len(word) >= 2 for word in trends.keywords_of("我们希望尽快解决问题", "问题一直没有解决"))


async def test_rising_topics_compare_the_last_days_with_as_many_before(client, settings, categories, areas):
    water, roads = categories["water"], categories["roads"]
    street = areas["dongfeng"]
    for days_ago in (1, 2, 3):
        await public_case(settings, water, TODAY - timedelta(days=days_ago), title="5个区中有4个区域暖气不热", area_id=str(street))
    await public_case(settings, water, TODAY - timedelta(days=10), title="小区停电三四天")
    for days_ago in (9, 12):
        await public_case(settings, roads, TODAY - timedelta(days=days_ago), title="路面坑洼不平")
    await public_case(settings, roads, TODAY - timedelta(days=1), title="路面坑洼不平")
    private = await file(settings, form(water, title="暖气不热", publication="private"))
    with clock.travel_to(TODAY):
        await workflow.perform(private.number, "accept", MODERATOR)  # not public: not counted
    assert await Case.count() == 8

    today = TODAY.date()
    week = {topic.key: topic for topic in await trends.rising("category", 7, today)}
    assert list(week) == [str(water.id)] and (week[str(water.id)].count, week[str(water.id)].before) == (3, 1)
    assert week[str(water.id)].name == "供水" and week[str(water.id)].change == 2
    keywords = [topic.key for topic in await trends.rising("keyword", 7, today)]
    assert "暖气" in keywords and "停电" not in keywords and "坑洼" not in keywords  # roads fell from 2 to 1
    assert [topic.key for topic in await trends.rising("area", 7, today)] == [str(street)]
    month = {topic.key: (topic.count, topic.before) for topic in await trends.rising("category", 30, today)}
    assert month == {str(water.id): (4, 0), str(roads.id): (3, 0)}
    assert await TopicCount.count() > 0

    with clock.travel_to(TODAY):
        page = await client.get("/trends")
    assert page.status_code == 200
    assert "供水" in page.text and "暖气" in page.text and "+2" in page.text
    assert "王先生" not in page.text and "13800138000" not in page.text
