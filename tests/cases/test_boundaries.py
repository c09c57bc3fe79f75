"""Dates a person types into the public lists' filters: out of the range a record can have,
they are the client's error (400, saying which range), on every list and export alike."""

from __future__ import annotations

import pytest

from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to

LISTS = ["/cases", "/cases.csv", "/cases.atom", "/cases.geojson", "/api/v1/cases"]
OUT_OF_RANGE = [
    {"from": "0001-01-01"},
    {"to": "9999-12-31"},
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"to": "0001-01-01"},
    {"from": "9999-12-31"},
    {"from": "1969-12-31"},
    {"to": "3000-01-01"},
]


@pytest.mark.parametrize("params", OUT_OF_RANGE, ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()))
@pytest.mark.parametrize("path", LISTS)
async def test_days_out_of_range_are_refused_on_every_list(client, settings, categories, path, params):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    response = await client.get(path, params=params, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "from 1970-01-01 to 2999-12-31" in response.text
    # The ends of the range themselves are days like any other.
    widest = await client.get(path, params={"from": "1970-01-01", "to": "2999-12-31"})
    assert widest.status_code == 200
    assert filed.number in widest.text or path == "/cases.geojson"  # the map lists cases with a place


@pytest.mark.parametrize("on", ["0001-01-01", "9999-12-31", "1969-12-31"])
async def test_figures_of_a_day_out_of_range_are_those_of_today(client, categories, on):
    response = await client.get("/departments/figures.csv", params={"period": "week", "on": on})
    today = await client.get("/departments/figures.csv", params={"period": "week"})
    assert response.status_code == 200 and response.text == today.text
