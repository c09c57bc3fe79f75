"""The public leaderboard (/departments): every department's figures for a period, sorted on
the server by any column, and a page per department with charts and its numbers."""

from __future__ import annotations

import re
from datetime import timedelta

from backend import clock
from backend.cases import actions, figures, workflow
from backend.vocabulary import Role
from backend.cases.services import Actor
from tests.cases.test_clocks import MODERATOR, assigned_case, at
from tests.cases.test_figures import reply

MONDAY = at(2026, 11, 16, 10, 0)


async def two_departments(settings, categories) -> None:
    """Water: two cases, one answered on time in one working day. Roads: one, signed late."""
    roads = categories["roads"].department
    answered, water = await assigned_case(settings, categories, MONDAY)
    await assigned_case(settings, categories, MONDAY)
    late, _ = await assigned_case(settings, categories, MONDAY)
    with clock.travel_to(MONDAY + timedelta(minutes=5)):
        await workflow.perform(answered, "sign", water)
        await workflow.perform(late, "return", water, body="不属于我单位")
        await workflow.perform(late, actions.Assign(department_id=roads), MODERATOR)
    with clock.travel_to(MONDAY + timedelta(hours=3)):
        await workflow.perform(late, "sign", Actor(Role.handler, "市政设施管理处", roads))
    with clock.travel_to(at(2026, 11, 17, 10, 0)):
        await reply(answered, water)


def body_rows(html: str) -> list[str]:
    """The departments in the order the table lists them."""
    tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/departments/\d+">([^<]+)</a>', tbody)


async def test_the_leaderboard_shows_every_department_and_sorts_by_each_column(client, settings, categories):
    await two_departments(settings, categories)
    with clock.travel_to(at(2026, 11, 18, 12, 0)):
        page = await client.get("/departments?period=week")
        assert page.status_code == 200
        assert body_rows(page.text) == ["市政设施管理处", "市自来水公司"]  # by name first
        assert 'aria-sort="ascending"' in page.text and page.text.count('aria-sort="none"') == len(figures.SORTS) - 1
        received = await client.get("/departments?period=week&sort=-received")
        assert body_rows(received.text) == ["市自来水公司", "市政设施管理处"]  # 2 received against 1
        assert re.search(r'aria-sort="descending">\s*<button type="submit" name="sort" value="received"', received.text)
        returned = await client.get("/departments?period=week&sort=returned")
        assert body_rows(returned.text) == ["市政设施管理处", "市自来水公司"]  # 0 % before 33 %
        fragment = await client.get("/departments?period=week&sort=-received", headers={"HX-Request": "true"})
        assert fragment.text.lstrip().startswith('<section id="leaderboard"') and "<html" not in fragment.text
        assert (await client.get("/departments?period=year&sort=nonsense")).status_code == 200
        water = categories["water"].department
        mine = await client.get(f"/departments/{water}")
        assert mine.status_code == 200 and mine.text.count("<svg") == 3
        assert '<title id="received-weeks-title">' in mine.text and "<desc" in mine.text
        assert "<td>2</td>" in mine.text and "7.0" in mine.text  # received, and one working day to answer
        assert "路口自来水管爆裂" in mine.text  # its latest public cases
        assert "style=" not in mine.text and "<script>" not in mine.text
    assert (await client.get("/departments/999999")).status_code == 404
