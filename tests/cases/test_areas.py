"""A case's area: chosen (optionally) when filing, set or changed by the moderator who accepts
it, and shown on the case pages in the reader's language."""

from __future__ import annotations

import pytest

from backend.cases import actions, workflow
from backend.cases.filing import FilingError
from backend.cases.services import Actor
from backend.vocabulary import Role
from backend.cases.tables import Case
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.cases.test_workspaces import intake_fields
from tests.support import report_fields, submission_key

MODERATOR = Actor(Role.moderator)


async def area_of(number: str) -> int | None:
    return (await Case.select(Case.area).where(Case.number == number).first())["area"]


async def test_accepting_puts_the_case_in_an_area(settings, categories, areas):
    filed = await file(settings, form(categories["water"]))
    await workflow.perform(filed.number, actions.Accept(area_id=areas["dongfeng"]), MODERATOR)
    assert await area_of(filed.number) == areas["dongfeng"]


@pytest.mark.parametrize("area", ["dajidian", 0, 999999])
async def test_only_an_active_area_may_be_chosen(settings, categories, areas, area):
    filed = await file(settings, form(categories["water"]))
    area_id = areas.get(area, area)
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, actions.Accept(area_id=area_id), MODERATOR)
    assert (status_of(refused.value), refused.value.message) == (422, "Choose an area from the list.")
    assert await area_of(filed.number) is None
    assert (await Case.select(Case.status).where(Case.number == filed.number).first())["status"] == "submitted"


async def test_a_filer_may_name_the_area(settings, categories, areas):
    filed = await file(settings, form(categories["water"], area_id=str(areas["xianfeng"])))
    assert await area_of(filed.number) == areas["xianfeng"]
    # Accepting without choosing keeps it.
    await workflow.perform(filed.number, "accept", MODERATOR)
    assert await area_of(filed.number) == areas["xianfeng"]
    for bad in ("abc", "0", str(areas["dajidian"]), "999999"):
        with pytest.raises(FilingError) as refused:
            await file(settings, form(categories["water"], area_id=bad))
        assert refused.value.errors == {"area_id": "Choose an area from the list."}, bad


async def test_the_moderator_chooses_the_area_from_a_grouped_list(person, settings, categories, areas, client):
    filed = await file(settings, form(categories["water"], area_id=str(areas["xianfeng"])))
    moderator = await person("moderator")
    page = await moderator.client.get(f"/staff/cases/{filed.number}")
    assert '<optgroup label="Jingxiu District">' in page.text
    assert f'<option value="{areas["xianfeng"]}" selected>Xianfeng Subdistrict</option>' in page.text
    assert "Dajidian Town" not in page.text.split("What you can do")[-1]  # inactive: not offered
    refused = await moderator.post_form(f"/staff/cases/{filed.number}/accept", {"area_id": "abc", "body": "已核实"})
    assert refused.status_code == 422 and "Choose an area from the list." in refused.text and "已核实" in refused.text
    accepted = await moderator.post_form(f"/staff/cases/{filed.number}/accept", {"area_id": str(areas["dongfeng"])})
    assert accepted.status_code == 303
    assert await area_of(filed.number) == areas["dongfeng"]
    public = await client.get(f"/cases/{filed.number}", headers={"accept-language": "en"})
    assert "Jingxiu District · Dongfeng Subdistrict" in public.text
    public = await client.get(f"/cases/{filed.number}", headers={"accept-language": "zh-CN"})
    assert "竞秀区 · 东风街道" in public.text
    follow = await client.get(f"/follow/{filed.follow_token}")
    assert "竞秀区 · 东风街道" in follow.text


async def test_the_report_form_offers_areas_and_keeps_the_choice(client, categories, areas):
    page = await client.get("/report", headers={"accept-language": "en"})
    assert "Jingxiu District (whole district)" in page.text and "Dajidian Town" not in page.text
    data = {**report_fields(categories["water"].id, title=""), "area_id": str(areas["dongfeng"])}
    data.update(submission_key=submission_key(page.text))
    again = await client.post("/report", data=data)
    assert again.status_code == 422
    assert f'<option value="{areas["dongfeng"]}" selected>' in again.text
    data["title"] = "小区停电三四天"
    filed = await client.post("/report", data=data)
    assert filed.status_code == 303
    assert (await Case.select(Case.area).first())["area"] == areas["dongfeng"]


async def test_intake_records_the_area(person, categories, areas):
    moderator = await person("moderator")
    assert "Dongfeng Subdistrict" in (await moderator.client.get("/moderation/intake")).text
    response = await moderator.post_form("/moderation/intake", {**intake_fields(categories), "area_id": str(areas["dongfeng"])})
    assert response.status_code == 201
    assert (await Case.select(Case.area).first())["area"] == areas["dongfeng"]
