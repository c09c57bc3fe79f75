"""What a hostile client may send the JSON API: every refusal is a 4xx in the documented error
shape ({"code", "message", "fields"}), unknown paths and wrong methods included."""

from __future__ import annotations

import base64

import pytest

from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.keys import bearer

DEEP = ["[" * 100_000, '{"a":' * 100_000, "[" * 50_000 + "]" * 50_000]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["message"]
    assert code is None or body["code"] == code, body
    return body


@pytest.fixture
async def accepted(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    return filed


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects", "balanced"])
async def test_json_nested_too_deeply_is_a_bad_request_on_every_body(client, api_key, accepted, body):
    file_key, moderator = bearer(await api_key("file")), bearer(await api_key("moderator"))
    for url, headers in [
        ("/api/v1/cases", file_key),
        (f"/api/v1/follow/{accepted.follow_token}/rating", file_key),
        (f"/api/v1/staff/cases/{accepted.number}/actions/post_progress", moderator),
        ("/api/v1/staff/reviews/1", moderator),
    ]:
        response = await client.post(url, content=body, headers={**headers, "content-type": "application/json"})
        assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/nothing"),
        ("GET", "/api/v1"),
        ("POST", "/api/v1/cases/2026-000001/x"),
        ("GET", "/api/v1/staff/cases/2026-000001/actions"),
    ],
)
async def test_unknown_paths_answer_in_the_error_shape(client, api_key, method, path):
    response = await client.request(method, path, headers=bearer(await api_key("moderator")))
    assert_error(response, 404, "not_found")


async def test_an_id_that_is_no_id_answers_in_the_error_shape(client, api_key):
    response = await client.post("/api/v1/staff/reviews/false", json={}, headers=bearer(await api_key("moderator")))
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path, allowed", [("/api/v1/cases", {"GET", "POST"}), ("/api/v1/categories", {"GET"})])
async def test_wrong_methods_answer_405_with_allow(client, method, path, allowed):
    response = await client.request(method, path, headers={"accept-language": "en"})
    assert_error(response, 405, "method_not_allowed")
    assert allowed <= {each.strip() for each in response.headers["allow"].split(",")} and method not in response.headers["allow"]


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/cases"), ("GET", "/api/v1/staff/cases"), ("POST", "/api/v1/cases")])
async def test_a_key_in_the_url_is_refused(client, api_key, method, path):
    key = await api_key("moderator")
    response = await client.request(method, path, params={"api_key": key}, headers={"accept-language": "en"})
    assert "Authorization" in assert_error(response, 400, "api_key_in_url")["message"]


@pytest.mark.parametrize("number", ["2026-1234567890", "２０２６-000001", "2026-000001%00", "99999999999999999999"])
async def test_case_numbers_are_checked_before_any_query(client, api_key, accepted, number):
    moderator = bearer(await api_key("moderator"))
    assert_error(await client.get(f"/api/v1/staff/cases/{number}", headers=moderator), 400)
    assert_error(await client.get(f"/api/v1/cases/{number}", headers=moderator), 400)
    action = await client.post(f"/api/v1/staff/cases/{number}/actions/accept", json={}, headers=moderator)
    assert_error(action, 400)


@pytest.mark.parametrize("key", ["abcdefghijk\x00", "\x00" * 12, "a" * 33, "abc"])
async def test_photo_keys_are_checked_before_any_query(client, api_key, accepted, key):
    moderator = bearer(await api_key("moderator"))
    url = f"/api/v1/staff/cases/{accepted.number}/actions/post_progress"
    assert_error(await client.post(url, json={"text": "正在处理", "photo_keys": [key]}, headers=moderator), 400)
    filing = await client.post("/api/v1/cases", json={"photo_keys": [key]}, headers=bearer(await api_key("file")))
    assert_error(filing, 400)


@pytest.mark.parametrize("count", [2**31, 2**31 + 7, 10**16])
async def test_a_supported_cursor_past_integer_is_a_bad_filter(client, accepted, count):
    cursor = base64.urlsafe_b64encode(f"supported.{count}.1".encode()).rstrip(b"=").decode()
    for url in ("/api/v1/cases", "/cases"):
        response = await client.get(url, params={"sort": "supported", "cursor": cursor}, headers={"accept": "application/json"})
        assert response.status_code == 400, url


async def test_the_schema_documents_the_400_of_an_unknown_filter(client):
    schema = (await client.get("/schema/openapi.json")).json()
    listing = schema["paths"]["/api/v1/cases"]["get"]
    described = listing["responses"]["400"]["description"]
    assert all(word in described for word in ("category", "department", "area", "bad_filter", "api_key_in_url"))
    parameters = {parameter["name"]: parameter for parameter in listing["parameters"]}
    for name in ("category", "department", "area"):
        assert "400" in parameters[name]["description"], name
