"""Full-text search of public cases in Chinese and English, on the database's own index."""

from __future__ import annotations

import pytest

from backend.cases import actions, search, workflow
from backend.cases.browse import CaseFilter
from backend.cases.tables import CaseSearch
from tests.cases.test_browse import numbers, publish
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR


@pytest.fixture
async def published(settings, categories):
    water = categories["water"]
    return {
        "heating": await publish(settings, water, title="5个区中有4个区域暖气不热", description="入冬以来家里温度只有十四度，老人孩子都受不了。"),
        "power": await publish(settings, water, title="小区停电三四天", description="物业说是线路老化，一直没有人来修。"),
        "light": await publish(settings, categories["roads"], title="路灯不亮", description="The street light at the corner is broken, very dark at night."),
    }


async def found(query: str) -> list[str]:
    return await numbers(CaseFilter(query=query))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("暖气", ["heating"]),
        ("停电", ["power"]),
        ("路灯", ["light"]),  # jieba cuts 路灯不亮 as 路 / 灯不亮: two characters are found all the same
        ("区域", ["heating"]),
        ("暖气 不热", ["heating"]),
        ("线路老化", ["power"]),
        ("street light", ["light"]),
        ("STREET", ["light"]),
        ("暖气 停电", []),  # every word must be there
        ("地铁", []),
    ],
)
async def test_chinese_and_english_queries(published, query, expected):
    assert await found(query) == [published[name] for name in expected]


async def test_queries_of_punctuation_or_fts_syntax_are_harmless(published):
    assert len(await found("，。！")) == 3  # no words: no text filter
    for query in ['"', "light OR 暖气", "NEAR(light", "light*", "暖气'", "a & b | !c", "'; DROP TABLE cases; --"]:
        assert isinstance(await found(query), list)


async def test_only_public_text_is_indexed_and_redaction_reindexes(settings, categories):
    private = await file(settings, form(categories["water"], title="私密的暖气问题", publication="private"))
    await workflow.perform(private.number, "accept", MODERATOR)
    waiting = await file(settings, form(categories["water"], title="待审核的暖气问题"))
    assert await found("暖气") == []
    assert await CaseSearch.count() == 0
    number = await publish(settings, categories["water"], title="王五家暖气不热", description="王五说暖气从上周起就不热了。")
    assert await found("王五") == [number]
    await workflow.perform(number, actions.Redact(title="某户暖气不热", description="住户说暖气从上周起就不热了。"), MODERATOR)
    assert await found("王五") == [] and await found("暖气") == [number]
    await workflow.perform(waiting.number, "accept", MODERATOR)
    assert sorted(await found("暖气")) == sorted([number, waiting.number])


async def test_index_cases_rebuilds_and_drops(published):
    await CaseSearch.delete(force=True)
    assert await found("暖气") == []
    await search.index_cases(list(published_ids := await _ids(published)))
    assert await found("暖气") == [published["heating"]]
    await search.index_cases(published_ids)  # again: rewritten, not doubled
    assert await CaseSearch.count() == 3


async def _ids(published) -> list[int]:
    from backend.cases.tables import Case

    rows = await Case.select(Case.id).where(Case.number.is_in(list(published.values())))
    return [row["id"] for row in rows]


def test_words_are_cut_for_search():
    words = search.words_of("5个区中有4个区域暖气不热 Street-Light")
    assert {"暖气", "区域", "不热", "street", "light"} <= set(words)
    assert "暖气" in search.query_words("暖气")
    assert search.query_words("  ，。 ") == []
