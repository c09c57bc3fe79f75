"""The department figures as open data: CSV per period, with no personal data, and safe to open
in a spreadsheet."""

from __future__ import annotations

import csv
import io

from backend.cases import figures
from backend.departments.services import ensure_department
from tests.cases.test_leaderboard import two_departments


async def test_the_figures_of_a_period_download_as_csv(client, settings, categories):
    await ensure_department("=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "evil")
    await two_departments(settings, categories)
    response = await client.get("/departments/figures.csv?period=week&on=2026-11-18")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="department-figures-week-2026-11-16.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["period", "starts", "department", "department_en", *figures.FIGURES]
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["市自来水公司"][:5] == ["week", "2026-11-16", "市自来水公司", "City Water Supply Company", "2"]
    median = 4 + figures.FIGURES.index("median_hours_to_answer")
    assert by_name["市自来水公司"][median] == "7.0" and by_name["市政设施管理处"][median] == ""  # nothing answered yet
    assert by_name["'=HYPERLINK(\"http://evil\")"][3] == "'+cmd|' /C calc'!A0"  # no formula runs
    for personal in ("王先生", "13800138000", "朝阳大街"):
        assert personal not in response.text
    other_week = await client.get("/departments/figures.csv?period=week&on=2026-11-25")
    assert {row[4] for row in list(csv.reader(io.StringIO(other_week.text.lstrip("\ufeff"))))[1:]} == {"0"}
    assert (await client.get("/departments/figures.csv?period=nonsense&on=garbage")).status_code == 200
