"""Open data: the public cases as CSV, as the list's filters select them, with no personal
data ever, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

from backend.cases import browse, workflow
from backend.cases.export import COLUMNS
from backend.web.csv_export import cell
from backend.cases.services import follow_token_for
from backend.cases.tables import Case
from tests.cases.test_browse import publish
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR


def rows_of(body: bytes) -> list[dict]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


async def test_the_csv_has_the_public_cases_of_the_filter_and_nothing_personal(client, settings, categories, areas):
    water = categories["water"]
    number = await publish(settings, water, area=areas["dongfeng"], department=water.department, latitude="38.87", longitude="-115.46")
    await Case.update({Case.source_url: "https://weibo.example/post/123"}).where(Case.number == number)
    other = await publish(settings, categories["roads"], title="=HYPERLINK(\"http://evil\")", description="+1 @everyone -5 正文足够长")
    hidden = await file(settings, form(water, title="不公开的诉求", publication="private"))
    await workflow.perform(hidden.number, "accept", MODERATOR)
    answer = await client.get("/cases.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = rows_of(answer.content)
    assert list(rows[0]) == COLUMNS
    assert [row["number"] for row in rows] == [other, number]
    body = answer.content.decode()
    submission = (await Case.select(Case.submission_key).where(Case.number == number).first())["submission_key"]
    for secret in ("王先生", "13800138000", "weibo.example", "不公开的诉求", submission, follow_token_for(submission, settings.secret_key)):
        assert secret not in body
    water_row = rows[1]
    assert water_row["category"] == "供水" and water_row["department"] == "市自来水公司"
    assert water_row["district"] == "竞秀区" and water_row["area"] == "东风街道"
    assert water_row["longitude"] == "-115.46"  # numbers stay numbers
    assert rows[0]["title"].startswith("'=") and rows[0]["description"].startswith("'+")
    filtered = rows_of((await client.get("/cases.csv?category=roads&sort=updated")).content)
    assert [row["number"] for row in filtered] == [other]
    assert (await client.get("/cases.csv?category=nothing")).status_code == 400


async def test_a_large_export_streams_every_case_once(client, settings, categories, monkeypatch):
    """Across pages, a last one part full: pages of 4 here rather than of 100 (filing 205 cases
    one by one took seconds)."""
    monkeypatch.setattr(browse, "PAGE_SIZE_MAX", 4)
    numbers = [await publish(settings, categories["water"]) for _ in range(11)]
    rows = rows_of((await client.get("/cases.csv")).content)
    assert sorted(row["number"] for row in rows) == sorted(numbers)


def test_formula_cells_are_defused():
    for value in ("=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert cell(value) == "'" + value
    assert cell("停电三天") == "停电三天" and cell("") == ""
