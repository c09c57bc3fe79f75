"""A search lists its few matches and sorts them, or, when many cases match, reads the cases in
order and looks each up in the index (cases.search): both give the same pages."""

from __future__ import annotations

from datetime import timedelta

from backend.cases import browse, search
from tests.cases.test_clocks import at
from tests.cases.test_trends import public_case


async def test_many_matches_give_the_same_pages_as_few(settings, categories, monkeypatch):
    first = at(2026, 11, 2, 10, 0)
    for day in range(5):
        await public_case(settings, categories["water"], first + timedelta(days=day), title=f"{day + 4}个区域暖气不热")
    await public_case(settings, categories["roads"], first + timedelta(days=6), title="路面坑洼不平")
    query = browse.CaseFilter(query="暖气")

    async def pages() -> list[list[str]]:
        found, cursor = [], None
        while True:
            page = await browse.browse(query, cursor=cursor, limit=2)
            found.append([case.number for case in page.cases])
            if not (cursor := page.next_cursor):
                return found

    few = await pages()
    assert sum(map(len, few)) == 5
    monkeypatch.setattr(search, "_few_matches", _one)  # so that five matches are many
    assert await pages() == few


async def _one(in_id_order: bool = False) -> int:
    return 1
