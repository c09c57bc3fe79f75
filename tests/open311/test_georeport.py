"""Open311 GeoReport v2 conformance, every endpoint in XML and JSON, errors and defaults."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from backend import clock
from backend.cases import actions, workflow
from backend.vocabulary import Status
from backend.cases.tables import Case, TimelineEntry
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of
from tests.support import jpeg

BASE = "/open311/v2"
FORMATS = ["json", "xml"]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]


async def get(client, path: str, fmt: str, **params):
    """GET in either format, answered as Python data: XML parsed into lists of dicts."""
    response = await client.get(f"{BASE}/{path}.{fmt}", params=params, headers={"accept-language": "en"})
    return response, parse(response, fmt)


def parse(response, fmt: str):
    if fmt == "json":
        assert response.headers["content-type"] == "application/json"
        return response.json()
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return _from_xml(ElementTree.fromstring(response.content))


def _from_xml(element):
    children = list(element)
    if not children:
        return element.text
    names = {child.tag for child in children}
    if len(names) == 1 and len(children) > 1 or element.tag in {"services", "service_requests", "errors", "attributes", "service_request_updates", "endpoints", "formats"}:
        return [_from_xml(child) for child in children]
    return {child.tag: _from_xml(child) for child in children}


async def public_case(settings, categories, **overrides) -> str:
    filed = await file(settings, form(categories["water"], **overrides))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    return filed.number


@pytest.mark.parametrize("fmt", FORMATS)
async def test_discovery(client, fmt):
    response, body = await get(client, "discovery", fmt)
    assert response.status_code == 200
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_services_are_the_active_categories(client, categories, fmt):
    response, services = await get(client, "services", fmt)
    assert response.status_code == 200
    assert [service["service_code"] for service in services] == ["water", "roads", "advice"]
    water = services[0]
    assert water["service_name"] == "Water supply" and water["group"] == "City Water Supply Company"
    assert water["type"] == "realtime" and water["metadata"] in (False, "false")
    assert set(water) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


@pytest.mark.parametrize("fmt", FORMATS)
async def test_service_definition(client, categories, fmt):
    response, definition = await get(client, "services/water", fmt)
    assert response.status_code == 200 and definition["service_code"] == "water"
    assert definition["attributes"] in ([], None)
    missing, errors = await get(client, "services/nothing", fmt)
    assert missing.status_code == 404 and errors[0]["code"] in (404, "404") and errors[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_requests_maps_the_public_cases(client, settings, categories, fmt):
    number = await public_case(settings, categories, filer_name="李明", filer_phone="13912345678")
    private = await file(settings, form(categories["water"], publication="private"))
    await bring_to(private.number, Status.assigned, categories["water"].department)
    await file(settings, form(categories["water"]))  # submitted: not public yet
    response, requests = await get(client, "requests", fmt)
    assert response.status_code == 200
    assert [request["service_request_id"] for request in requests] == [number]
    request = requests[0]
    assert list(request) == REQUEST_FIELDS
    assert request["status"] == "open" and request["service_code"] == "water"
    assert request["agency_responsible"] == "City Water Supply Company"
    assert W3C.match(request["requested_datetime"]) and W3C.match(request["expected_datetime"])
    assert request["status_notes"] == "说明"  # the latest public entry with text (the assignment's)
    assert "李明" not in response.text and "13912345678" not in response.text


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_requests_filters_and_defaults(client, settings, categories, fmt):
    now = clock.now()
    with clock.travel_to(now - timedelta(days=100)):
        old = await public_case(settings, categories, title="一百天前的老问题")
    fresh = await public_case(settings, categories)
    roads = await file(settings, form(categories["roads"]))
    await bring_to(roads.number, Status.assigned, categories["roads"].department)
    closed = await public_case(settings, categories)
    await bring_to_closed(closed, categories)

    async def ids(**params):
        response, found = await get(client, "requests", fmt, **params)
        assert response.status_code == 200, response.text
        return [request["service_request_id"] for request in found or []]

    assert old not in await ids(), "the last 90 days by default"
    assert set(await ids(service_code="water")) == {fresh, closed}
    assert set(await ids(service_code="water,roads")) == {fresh, closed, roads.number}
    assert await ids(status="closed") == [closed]
    assert set(await ids(status="open")) == {fresh, roads.number}
    assert await ids(service_request_id=f"{old},{fresh}") == [fresh, old], "overrides every other parameter"
    start = (now - timedelta(days=101)).isoformat()
    assert await ids(start_date=start, end_date=(now - timedelta(days=99)).isoformat()) == [old]
    assert set(await ids(service_code="", status="", start_date="")) == {fresh, closed, roads.number}, "empty is absent"
    first, second = await ids(page_size="2"), await ids(page_size="2", page="2")
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    for params in ({"start_date": "yesterday"}, {"status": "fixed"}, {"page_size": "1001"}, {"page": "0"},
                   {"start_date": (now - timedelta(days=200)).isoformat(), "end_date": now.isoformat()}):
        response, errors = await get(client, "requests", fmt, **params)
        assert response.status_code == 400, params
        assert errors[0]["code"] in (400, "400") and errors[0]["description"]


async def bring_to_closed(number: str, categories) -> None:
    department = categories["water"].department
    await workflow.perform(number, "sign", handler_of(department))
    await workflow.perform(number, "draft_reply", handler_of(department), body="已经修好了。")
    pending = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()
    await workflow.review(pending["id"], "approve", MODERATOR)
    case = await Case.objects().where(Case.number == number).first()
    await workflow.perform(number, actions.CloseUnrated(replied_before=case.answered_at), workflow.Actor(workflow.Role.system))


@pytest.mark.parametrize("fmt", FORMATS)
async def test_get_one_request_and_tokens(client, settings, categories, fmt):
    number = await public_case(settings, categories)
    response, found = await get(client, f"requests/{number}", fmt)
    assert response.status_code == 200 and [request["service_request_id"] for request in found] == [number]
    private = await file(settings, form(categories["water"], publication="private"))
    missing, errors = await get(client, f"requests/{private.number}", fmt)
    assert missing.status_code == 404 and errors[0]["description"]
    response, found = await get(client, f"tokens/{private.follow_token}", fmt)
    assert response.status_code == 200 and found[0] == {"service_request_id": private.number, "token": private.follow_token}
    assert (await get(client, "tokens/" + "x" * 43, fmt))[0].status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_requests(client, api_key, categories, fmt):
    key = await api_key("file", "城市 App")
    fields = {
        "api_key": key,
        "service_code": "water",
        "lat": "38.873",
        "long": "115.464",
        "description": "小区门口水管爆裂，路面全是水，请尽快处理。",
        "first_name": "明",
        "last_name": "李",
        "phone": "13912345678",
        "attribute[floor]": "3",
    }
    response = await client.post(f"{BASE}/requests.{fmt}", data=fields, files={"media": ("a.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 201, response.text
    created = parse(response, fmt)[0]
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    case = await Case.objects().where(Case.number == created["service_request_id"]).first()
    assert case.source == "api" and case.filer_phone == "13912345678" and case.filer_name == "明 李"
    assert (case.latitude, case.longitude) == (38.873, 115.464) and case.status == "submitted"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_requests_errors(client, api_key, categories, fmt):
    file_key, read_key = await api_key("file"), await api_key("read")
    good = {"service_code": "water", "address_string": "朝阳大街 1 号", "description": "路面塌陷，很危险，请尽快修。"}
    for fields, status in [
        (good, 403),  # no api_key
        ({**good, "api_key": ""}, 403),  # empty is absent
        ({**good, "api_key": read_key}, 403),
        ({**good, "api_key": "msk_" + "a" * 43}, 403),
        ({**good, "api_key": file_key, "service_code": "nothing"}, 400),
        ({**good, "api_key": file_key, "address_string": ""}, 400),
        ({**good, "api_key": file_key, "address_string": "", "lat": "38.8"}, 400),
        ({**good, "api_key": file_key, "description": "短"}, 400),
        ({**good, "api_key": file_key, "jurisdiction_id": "elsewhere.example"}, 404),
    ]:
        response = await client.post(f"{BASE}/requests.{fmt}", data=fields)
        assert response.status_code == status, (fields, response.text)
        assert parse(response, fmt)[0]["code"] in (status, str(status))
    assert await Case.count() == 0
    accepted = await client.post(f"{BASE}/requests.{fmt}", data={**good, "api_key": file_key, "jurisdiction_id": "localhost"})
    assert accepted.status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
async def test_service_request_updates(client, settings, categories, fmt):
    before = clock.now() - timedelta(seconds=1)
    number = await public_case(settings, categories)
    department = categories["water"].department
    await workflow.perform(number, "post_internal_note", handler_of(department), body="内部：不对外")
    await workflow.perform(number, "sign", handler_of(department))
    await workflow.perform(number, "draft_reply", handler_of(department), body="已经修好了。")
    response, updates = await get(client, "servicerequestupdates", fmt, start_date=before.isoformat())
    assert response.status_code == 200
    texts = [update["description"] for update in updates]
    assert "内部：不对外" not in response.text and "已经修好了。" not in texts, "internal and unreviewed text never"
    pending = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()
    await workflow.review(pending["id"], "approve", MODERATOR)
    response, updates = await get(client, "servicerequestupdates", fmt, start_date=before.isoformat())
    reply = next(update for update in updates if update["description"] == "已经修好了。")
    assert reply["service_request_id"] == number and reply["status"] == "OPEN" and W3C.match(reply["updated_datetime"])
    assert set(reply) == {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"}
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert (await get(client, "servicerequestupdates", fmt, start_date=later))[1] in ([], None)
