"""Hostile values in Open311 requests: each is refused with a 4xx, in the format asked for and
in the specification's error shape, never a server error."""

from __future__ import annotations

import pytest

from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.open311.test_georeport import BASE, FORMATS, get, parse


def assert_error(response, fmt: str, status: int, words: str = "") -> None:
    assert response.status_code == status, response.text
    (error,) = parse(response, fmt)
    assert str(error["code"]) == str(status) and words in error["description"]


@pytest.fixture
async def public_case(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    return filed.number


DATES = [
    {"start_date": "9999-12-31T00:00:00Z"},
    {"end_date": "0001-01-01T00:00:00Z"},
    {"start_date": "0001-01-01T00:00:00Z", "end_date": "0001-01-02T00:00:00Z"},
    {"start_date": "9999-12-30T00:00:00+14:00", "end_date": "9999-12-31T23:59:59-12:00"},
    {"end_date": "1969-12-31T23:00:00Z"},
]


@pytest.mark.parametrize("params", DATES, ids=lambda params: "&".join(params.values()))
@pytest.mark.parametrize("path", ["requests", "servicerequestupdates"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_dates_out_of_range_are_refused(client, public_case, fmt, path, params):
    response, _ = await get(client, path, fmt, **params)
    assert_error(response, fmt, 400, "between 1970-01-01 and 2999-12-31")


@pytest.mark.parametrize("codes", ["no-such-service", "water,no-such-service", "WATER", "水"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_an_unknown_service_code_is_refused(client, public_case, fmt, codes):
    response, _ = await get(client, "requests", fmt, service_code=codes)
    assert_error(response, fmt, 400, "service_code is not a service of this server.")


@pytest.mark.parametrize(
    "params",
    [
        {"service_request_id": "2026-000001\x00"},
        {"service_request_id": "\x00,2026-000001"},
        {"service_code": "water\x00"},
        {"jurisdiction_id": "localhost\x00"},
    ],
    ids=lambda params: next(iter(params)),
)
@pytest.mark.parametrize("fmt", FORMATS)
async def test_nul_bytes_in_parameters_are_refused(client, public_case, fmt, params):
    response, _ = await get(client, "requests", fmt, **params)
    assert_error(response, fmt, 400)


@pytest.mark.parametrize("path", ["requests/2026-000001%00", "tokens/abc%00", "services/water%00"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_nul_bytes_in_paths_are_refused(client, public_case, fmt, path):
    response = await client.get(f"{BASE}/{path}.{fmt}", headers={"accept-language": "en"})
    assert_error(response, fmt, 400)


@pytest.mark.parametrize("path", ["nothing", "requests/x/y", "services/a/b"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_unknown_paths_answer_in_the_format_asked_for(client, fmt, path):
    response = await client.get(f"{BASE}/{path}.{fmt}", headers={"accept-language": "en"})
    assert_error(response, fmt, 404)


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
@pytest.mark.parametrize("fmt", FORMATS)
async def test_wrong_methods_answer_405_with_allow_in_the_format_asked_for(client, fmt, method):
    response = await client.request(method, f"{BASE}/requests.{fmt}", headers={"accept-language": "en"})
    assert_error(response, fmt, 405)
    assert {each.strip() for each in response.headers["allow"].split(",")} >= {"GET", "POST"}
