"""Routing over HTTP: the admin's rules (overlaps refused with the form kept), areas' boundaries
pasted or uploaded (a bad one refused with the form kept), the return rate page, the moderation
queue's suggestion taken with one button, and the JSON API's reads."""

from __future__ import annotations

import json

import pytest
from markupsafe import escape

from backend.cases import workflow
from backend.cases.actions import Return, Route
from backend.departments.services import area_form, update_area
from backend.departments.tables import Area
from backend.routing import services
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, handler_of
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)
from tests.routing.helpers import ADMIN, rule
from tests.routing.test_services import square


@pytest.fixture
async def admin(person):
    return await person("admin")


async def test_an_admin_adds_a_rule_and_an_overlapping_one_is_refused_with_the_form_kept(admin, categories, areas):
    roads, water = categories["roads"], categories["water"]
    fields = {"category_id": str(roads.id), "area_id": str(areas["jingxiu"]), "department_id": str(roads.department)}
    added = await admin.post_form("/admin/routing", {**fields, "co_department_ids": str(water.department), "automatic": "yes"})
    assert added.status_code == 303
    [view] = await services.rule_views()
    assert added.headers["location"] == f"/admin/routing#rule-{view.id}" and view.automatic
    page = await admin.client.get("/admin/routing")
    assert f"rule {view.id}: Roads in Jingxiu District" in page.text and "Automatic" in page.text
    refused = await admin.post_form("/admin/routing", {**fields, "department_id": str(water.department), "co_department_ids": str(roads.department)})
    assert refused.status_code == 422
    assert "Another rule already routes this category in this area" in refused.text
    assert f'<option value="{water.department}" selected' in refused.text  # the lead typed, kept
    assert f'value="{roads.department}" checked' in refused.text  # and the co-handler ticked
    assert f'<option value="{areas["jingxiu"]}" selected' in refused.text
    admin.client.headers["accept-language"] = "zh-CN"
    chinese = await admin.post_form("/admin/routing", {**fields})
    assert chinese.status_code == 422 and "已有规则" in chinese.text
    assert f"规则 {view.id}：道路 在 竞秀区" in (await admin.client.get("/admin/routing")).text
    hostile = await admin.post_form("/admin/routing", {"category_id": "' OR 1=1", "area_id": "9" * 40, "department_id": "-1"})
    assert hostile.status_code == 422 and len(await services.rule_views()) == 1


async def test_an_admin_changes_moves_and_deletes_rules(admin, categories, areas):
    roads = categories["roads"]
    first, second = await rule(roads.department, roads.id), await rule(roads.department, roads.id, areas["lianchi"])
    edit = await admin.client.get(f"/admin/routing/{first}")
    assert edit.status_code == 200 and f'<option value="{roads.id}" selected' in edit.text
    changed = await admin.post_form(f"/admin/routing/{first}", {"category_id": str(roads.id), "department_id": str(categories["water"].department)})
    assert changed.status_code == 303 and (await services.rule_view(first)).department_id == categories["water"].department
    overlapping = await admin.post_form(f"/admin/routing/{first}", {"category_id": str(roads.id), "area_id": str(areas["lianchi"]), "department_id": str(roads.department)})
    assert overlapping.status_code == 422 and "Another rule already routes" in overlapping.text
    assert (await admin.post_form(f"/admin/routing/{second}/move", {"direction": "up"})).status_code == 303
    assert [view.id for view in await services.rule_views()] == [second, first]
    assert (await admin.post_form(f"/admin/routing/{second}/move", {"direction": "sideways"})).status_code == 422
    assert (await admin.post_form(f"/admin/routing/{second}/delete")).status_code == 303
    assert [view.id for view in await services.rule_views()] == [first]
    assert (await admin.post_form(f"/admin/routing/{second}/delete")).status_code == 404
    assert (await admin.client.get(f"/admin/routing/{second}")).status_code == 404
    assert (await admin.post_form(f"/admin/routing/{second}", {"department_id": str(roads.department)})).status_code == 404
    audit = await admin.client.get("/admin/audit")
    assert "Routing rule moved" in audit.text and "Routing rule deleted" in audit.text and "Routing rule changed" in audit.text


async def test_a_boundary_is_pasted_or_uploaded_and_a_bad_one_comes_back_as_typed(admin, areas):
    area = areas["dongfeng"]
    fields = {"name": "东风街道", "name_en": "Dongfeng Subdistrict", "slug": "dongfeng", "parent_id": str(areas["jingxiu"]), "position": "0", "active": "yes"}
    crossing = '{"type": "Polygon", "coordinates": [[[115.4, 38.8], [115.5, 38.9], [115.5, 38.8], [115.4, 38.9], [115.4, 38.8]]]}'
    refused = await admin.post_form(f"/admin/areas/{area}", {**fields, "boundary": crossing})
    assert refused.status_code == 422 and "The boundary crosses itself" in refused.text
    assert str(escape(crossing)) in refused.text  # kept as typed
    garbage = await admin.client.post(f"/admin/areas/{area}", data=fields, files={"boundary_file": ("street.geojson", b"\xff\xfe not json", "application/geo+json")})
    assert garbage.status_code == 422 and "This is not GeoJSON" in garbage.text
    admin.client.headers["accept-language"] = "zh-CN"
    chinese = await admin.post_form(f"/admin/areas/{area}", {**fields, "boundary": '{"type": "Point", "coordinates": [1, 2]}'})
    assert chinese.status_code == 422 and "Polygon" in chinese.text and "多边形" in chinese.text
    assert (await Area.select(Area.boundary).where(Area.id == area).first())["boundary"] == ""
    upload = {"boundary_file": ("street.geojson", square(115.40, 38.80, 115.45, 38.85).encode(), "application/geo+json")}
    saved = await admin.client.post(f"/admin/areas/{area}", data=fields, files=upload)
    assert saved.status_code == 303
    assert json.loads((await Area.select(Area.boundary).where(Area.id == area).first())["boundary"])["type"] == "Polygon"
    assert "38.85" in (await admin.client.get(f"/admin/areas/{area}")).text  # shown to edit
    audit = await admin.client.get("/admin/audit")
    assert "characters of GeoJSON" in audit.text


async def test_the_return_rate_page_shows_each_rule(admin, settings, categories):
    roads = categories["roads"]
    rule_id = await rule(roads.department, roads.id)
    for _ in range(2):
        number = (await file(settings, form(roads))).number
        await workflow.perform(number, Route(rule_id=rule_id), MODERATOR)
    await workflow.perform(number, Return(text="不归我们管"), handler_of(roads.department))
    page = await admin.client.get("/admin/routing/returns")
    assert page.status_code == 200
    row = page.text.split(f'id="returns-{rule_id}"')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:5]] == ["2", "0", "1", "50.0 %"]


async def test_the_moderator_takes_the_queue_s_suggestion_with_one_button(person, settings, categories, areas):
    roads = categories["roads"]
    rule_id = await rule(roads.department, roads.id, areas["jingxiu"])
    number = (await file(settings, form(roads, area_id=str(areas["dongfeng"])))).number
    unmatched = (await file(settings, form(categories["water"]))).number
    moderator = await person("moderator")
    queue = await moderator.client.get("/moderation")
    card = queue.text.split(f'id="new-{number}"')[1].split("</li>")[0]
    assert "Municipal Facilities Office" in card and f"rule {rule_id}: Roads in Jingxiu District" in card
    assert f'name="rule_id" value="{rule_id}"' in card
    assert "Accept and assign as suggested" not in queue.text.split(f'id="new-{unmatched}"')[1].split("</li>")[0]
    case_page = await moderator.client.get(f"/staff/cases/{number}")
    assert 'id="action-route"' in case_page.text and f"rule {rule_id}" in case_page.text
    taken = await moderator.post_form(f"/staff/cases/{number}/route", {"rule_id": str(rule_id)})
    assert taken.status_code == 303
    view = await moderator.client.get(taken.headers["location"])
    assert "Accepted and assigned as the routing rule suggests" in view.text and f"规则 {rule_id}：道路 在 竞秀区" in view.text
    again = await moderator.post_form(f"/staff/cases/{unmatched}/route", {"rule_id": str(rule_id)})
    assert again.status_code == 422 and "The suggested department has changed" in again.text
    assert (await moderator.post_form(f"/staff/cases/{unmatched}/route", {"rule_id": "abc"})).status_code == 422


async def test_a_case_routed_automatically_waits_in_the_queue_until_a_moderator_publishes_it(person, client, settings, categories):
    roads = categories["roads"]
    await rule(roads.department, roads.id, automatic=True)
    number = (await file(settings, form(roads))).number
    assert (await client.get(f"/cases/{number}")).status_code == 404  # read by nobody yet
    moderator = await person("moderator")
    queue = (await moderator.client.get("/moderation")).text
    assert 'id="queue-unpublished"' in queue and number in queue.split('id="queue-unpublished"')[1]
    case_page = (await moderator.client.get(f"/staff/cases/{number}")).text
    assert 'id="action-publish"' in case_page and 'id="action-redact"' in case_page
    assert (await moderator.post_form(f"/staff/cases/{number}/publish")).status_code == 303
    assert (await client.get(f"/cases/{number}")).status_code == 200
    assert 'id="queue-unpublished"' not in (await moderator.client.get("/moderation")).text
    assert 'id="action-publish"' not in (await moderator.client.get(f"/staff/cases/{number}")).text
    again = await moderator.post_form(f"/staff/cases/{number}/publish")
    assert again.status_code == 409


async def test_the_api_reads_areas_rules_and_a_case_s_suggestion(client, api_key, settings, categories, areas):
    roads = categories["roads"]
    changed = await area_form(areas["dongfeng"])
    changed.boundary = square(115.40, 38.80, 115.45, 38.85)
    await update_area(areas["dongfeng"], changed, actor=ADMIN)
    rule_id = await rule(roads.department, roads.id, areas["dongfeng"], co=[categories["water"].department])
    listed = (await client.get("/api/v1/areas")).json()
    dongfeng = next(area for area in listed if area["id"] == areas["dongfeng"])
    assert dongfeng["parent_id"] == areas["jingxiu"] and dongfeng["boundary"]["type"] == "Polygon"
    assert next(area for area in listed if area["id"] == areas["jingxiu"])["boundary"] is None
    assert areas["dajidian"] not in [area["id"] for area in listed]  # inactive
    key = bearer(await api_key("moderator"))
    rules = (await client.get("/api/v1/staff/routing-rules", headers=key)).json()
    assert [(each["id"], each["area_id"], each["co_handlers"][0]["name"]) for each in rules] == [(rule_id, areas["dongfeng"], "市自来水公司")]
    number = (await file(settings, form(roads, latitude="38.82", longitude="115.42"))).number
    suggestion = (await client.get(f"/api/v1/staff/cases/{number}/routing", headers=key)).json()
    assert suggestion["rule"]["id"] == rule_id and suggestion["reason"] == f"规则 {rule_id}：道路 在 东风街道"
    assert suggestion["area_id"] == areas["dongfeng"] and suggestion["flagged"] is False
    assert (await client.get("/api/v1/staff/cases/2020-999999/routing", headers=key)).status_code == 404
    taken = await client.post(f"/api/v1/staff/cases/{number}/actions/route", json={"rule_id": rule_id}, headers=key)
    assert taken.status_code == 200 and taken.json()["status"] == Status.assigned.value
    assert (await client.get(f"/api/v1/staff/cases/{number}/routing", headers=key)).json()["rule"]["id"] == rule_id


async def test_the_queue_says_when_a_point_is_near_a_boundary(person, settings, categories, areas):
    roads = categories["roads"]
    for area, boundary in ((areas["jingxiu"], square(115.40, 38.80, 115.50, 38.90)), (areas["dongfeng"], square(115.40, 38.80, 115.45, 38.85))):
        changed = await area_form(area)
        changed.boundary = boundary
        await update_area(area, changed, actor=ADMIN)
    rule_id = await rule(roads.department, roads.id, areas["jingxiu"], automatic=True)
    near = (await file(settings, form(roads, latitude="38.8502", longitude="115.42"))).number  # 22 m north of Dongfeng
    inside = (await file(settings, form(roads, latitude="38.82", longitude="115.42"))).number
    queue = (await (await person("moderator")).client.get("/moderation")).text
    card = queue.split(f'id="new-{near}"')[1].split("</li>")[0]
    assert f"rule {rule_id}: Roads in Jingxiu District" in card and "within 50 m of an area's boundary" in card
    assert f'id="new-{inside}"' not in queue  # routed by itself: no longer new
