"""The staff search over HTTP: the page (a number jumps to its case, bad input keeps the form),
the phone field for whom it is for, the CSV, the saved views, and the JSON API's search."""

from __future__ import annotations

from backend.vocabulary import Status
from tests.cases.test_lifecycle import bring_to, filed_case
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)


async def assigned_cases(settings, categories) -> dict[str, str]:
    water = await filed_case(settings, categories, title="路口水管爆裂", filer_phone="13800138000", filer_name="李明")
    await bring_to(water, Status.assigned, categories["water"].department)
    roads = await filed_case(settings, categories, title="路面塌陷严重", filer_phone="13900139000")
    await bring_to(roads, Status.assigned, categories["roads"].department)
    return {"water": water, "roads": roads}


async def test_a_number_jumps_to_its_case_and_the_table_lists_the_others(person, settings, categories):
    cases = await assigned_cases(settings, categories)
    moderator = await person("moderator")
    jump = await moderator.client.get("/staff/search", params={"q": cases["water"]})
    assert jump.status_code == 303 and jump.headers["location"] == f"/staff/cases/{cases['water']}"
    listed = await moderator.client.get("/staff/search", params={"status": "with_department"})
    assert listed.status_code == 200 and listed.headers["cache-control"] == "private, no-store"
    assert cases["water"] in listed.text and cases["roads"] in listed.text
    assert "13800138000" not in listed.text and "李明" not in listed.text
    assert 'id="field-phone"' in listed.text and "/staff/search.csv?status=with_department" in listed.text


async def test_a_handler_finds_only_its_departments_cases(person, settings, categories):
    cases = await assigned_cases(settings, categories)
    handler = await person("handler", department_id=categories["water"].department)
    page = await handler.client.get("/staff/search")
    assert cases["water"] in page.text and cases["roads"] not in page.text
    assert "/staff/search.csv" not in page.text  # no export for one department's handlers
    other = await handler.client.get("/staff/search", params={"q": cases["roads"]})
    assert other.status_code == 200 and "No case matches." in other.text
    by_phone = await handler.client.get("/staff/search", params={"phone": "13800138000"})
    assert cases["water"] in by_phone.text and "13800138000" in by_phone.text  # kept in its field only
    admin = await person("admin")
    log = await admin.client.get("/admin/audit", params={"action": "searched_by_phone"})
    assert f"138****8000 · {cases['water']}" in log.text and "13800138000" not in log.text


async def test_bad_input_is_refused_with_the_form_as_typed(person, settings, categories):
    await assigned_cases(settings, categories)
    moderator = await person("moderator")
    bad = await moderator.client.get("/staff/search", params={"from": "2026-02-30", "q": "暖气", "channel": "fax"})
    assert bad.status_code == 400
    assert "Give a date as YYYY-MM-DD" in bad.text and "Choose a channel from the list." in bad.text
    assert 'value="2026-02-30"' in bad.text and 'value="暖气"' in bad.text
    chinese = await moderator.client.get("/staff/search", params={"channel": "fax"}, headers={"accept-language": "zh-CN"})
    assert chinese.status_code == 400 and "Choose a channel" not in chinese.text
    damaged = await moderator.client.get("/staff/search", params={"cursor": "x" * 40})
    assert damaged.status_code == 400 and "start again from the first page" in damaged.text
    huge = await moderator.client.get("/staff/search", params={"q": "字" * 5000})
    assert huge.status_code == 400


async def test_leaders_search_everything_but_not_by_phone(person, settings, categories):
    cases = await assigned_cases(settings, categories)
    leader = await person("leader")
    page = await leader.client.get("/staff/search")
    assert cases["water"] in page.text and cases["roads"] in page.text and 'id="field-phone"' not in page.text
    refused = await leader.client.get("/staff/search", params={"phone": "13800138000"})
    assert refused.status_code == 403 and "Only the platform centre and the lead department" in refused.text
    assert cases["water"] not in refused.text
    csv = await leader.client.get("/staff/search.csv", params={"department": "water"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("number,type,status") and len(lines) == 2 and lines[1].startswith(cases["water"])
    assert "13800138000" not in csv.text and "李明" not in csv.text
    assert (await leader.client.get("/staff/search.csv", params={"flag": "soon"})).status_code == 400


async def test_saved_views_are_saved_listed_and_deleted(person, settings, categories):
    await assigned_cases(settings, categories)
    moderator, other = await person("moderator"), await person("moderator")
    saved = await moderator.post_form("/staff/search/views?department=water&sort=due", {"name": "供水"})
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/search?department=water&sort=due"
    page = await moderator.client.get("/staff/search")
    assert 'href="/staff/search?department=water&amp;sort=due">供水</a>' in page.text
    assert "供水</a>" not in (await other.client.get("/staff/search")).text
    nameless = await moderator.post_form("/staff/search/views?department=water", {"name": " "})
    assert nameless.status_code == 422 and "Give the view a name" in nameless.text
    with_phone = await moderator.post_form("/staff/search/views?phone=13800138000", {"name": "电话"})
    assert with_phone.status_code == 422 and 'value="电话"' in with_phone.text and "cannot keep a phone number" in with_phone.text
    bad_filter = await moderator.post_form("/staff/search/views?flag=soon", {"name": "坏的"})
    assert bad_filter.status_code == 400 and "Choose overdue, overdue at some time, or supervised." in bad_filter.text
    view_id = page.text.split('action="/staff/search/views/')[1].split("/")[0]
    assert (await other.post_form(f"/staff/search/views/{view_id}/delete")).status_code == 404
    deleted = await moderator.post_form(f"/staff/search/views/{view_id}/delete")
    assert deleted.status_code == 303
    assert "供水</a>" not in (await moderator.client.get("/staff/search")).text


async def test_the_api_searches_as_the_key_may(client, api_key, settings, categories):
    cases = await assigned_cases(settings, categories)
    moderator = bearer(await api_key("moderator"))
    water_key = bearer(await api_key(f"staff:{categories['water'].department}"))
    everything = await client.get("/api/v1/staff/search", headers=moderator)
    assert everything.status_code == 200
    assert {case["number"] for case in everything.json()["cases"]} == set(cases.values())
    own = await client.get("/api/v1/staff/search", params={"phone": "13900139000"}, headers=water_key)
    assert own.json()["cases"] == []  # another department's filer
    found = await client.get("/api/v1/staff/search", params={"phone": "13800138000"}, headers=water_key)
    assert [case["number"] for case in found.json()["cases"]] == [cases["water"]]
    assert "13800138000" not in found.text
    paged = await client.get("/api/v1/staff/search", params={"page_size": 1, "sort": "oldest"}, headers=moderator)
    follow = await client.get("/api/v1/staff/search", params={"page_size": 1, "sort": "oldest", "cursor": paged.json()["next_cursor"]}, headers=moderator)
    assert [paged.json()["cases"][0]["number"], follow.json()["cases"][0]["number"]] == [cases["water"], cases["roads"]]
    bad = await client.get("/api/v1/staff/search", params={"status": "draft"}, headers=moderator)
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    assert (await client.get("/api/v1/staff/search")).status_code == 401
