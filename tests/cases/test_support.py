"""Before filing: nearby and alike open cases; "me too" counted once per person."""

from __future__ import annotations

import asyncio

import pytest

from backend.cases import support, workflow
from backend.cases.browse import CaseFilter, Sort
from backend.cases.tables import Case, Support
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_browse import numbers, publish
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR
from tests.support import CROSS_SITE

HERE = (38.873, 115.464)
METRES_NORTH = 1 / 111_320  # degrees of latitude per metre


def north(metres: float) -> tuple[str, str]:
    return str(round(HERE[0] + metres * METRES_NORTH, 6)), str(HERE[1])


async def publish_at(settings, category, metres, **overrides) -> str:
    latitude, longitude = north(metres)
    return await publish(settings, category, latitude=latitude, longitude=longitude, **overrides)


async def test_nearby_cases_of_the_category_nearest_first(settings, categories):
    water = categories["water"]
    far = await publish_at(settings, water, 400)
    near = await publish_at(settings, water, 120)
    nearest = await publish_at(settings, water, 30)
    await publish_at(settings, categories["roads"], 10)  # another category
    private = await file(settings, form(water, latitude=north(5)[0], longitude=north(5)[1], publication="private"))
    await workflow.perform(private.number, "accept", MODERATOR)
    closed = await publish_at(settings, water, 20)
    await Case.update({Case.status: "closed"}).where(Case.number == closed)
    found = await support.nearby(water.id, *HERE)
    assert [(s.case.number, s.metres) for s in found] == [(nearest, 30), (near, 120)]
    assert far not in [s.case.number for s in await support.nearby(water.id, *HERE, metres=300)]
    assert not hasattr(found[0].case, "filer_name")


def test_distance_is_the_great_circle():
    assert round(support.distance_metres(39.9042, 116.4074, 31.2304, 121.4737) / 1000) == 1067  # Beijing–Shanghai, about 1,067 km


async def test_alike_cases_by_their_words(settings, categories):
    heating = await publish(settings, categories["water"], title="5个区中有4个区域暖气不热")
    await publish(settings, categories["water"], title="小区停电三四天")
    other_category = await publish(settings, categories["roads"], title="暖气管道漏水")
    found = await support.suggestions(categories["water"].id, None, None, "我家暖气也不热")
    assert [s.case.number for s in found] == [heating]
    anywhere = [s.case.number for s in await support.alike("暖气不热")]
    assert anywhere[0] == heating and other_category in anywhere


async def test_me_too_counts_once_per_person(settings, categories):
    number = await publish(settings, categories["water"])
    browser = support.supporter_hashes(settings.secret_key, "browser-token-" + "a" * 20, None)
    assert await support.support(number, browser) == (1, True)
    assert await support.support(number, browser) == (1, False)
    # Signed in later on the same browser: still the same person.
    signed_in = support.supporter_hashes(settings.secret_key, "browser-token-" + "a" * 20, 7)
    assert await support.support(number, signed_in) == (1, False)
    # The same account on another browser: the same person too, once it has counted itself.
    assert await support.support(number, support.supporter_hashes(settings.secret_key, None, 8)) == (2, True)
    assert await support.support(number, support.supporter_hashes(settings.secret_key, "other-" + "b" * 20, 8)) == (2, False)
    # A double tap, all at once: counted once.
    tap = support.supporter_hashes(settings.secret_key, "tapper-" + "c" * 20, None)
    results = await asyncio.gather(*[support.support(number, tap) for _ in range(6)])
    assert [counted for _, counted in results].count(True) == 1
    assert await Case.select(Case.support_count).where(Case.number == number).first() == {"support_count": 3}
    assert await Support.count() == 3
    stored = {row["supporter"] for row in await Support.select(Support.supporter)}
    assert not any("tapper" in value or "browser" in value for value in stored)


async def test_most_supported_sort_follows_the_count(settings, categories):
    first = await publish(settings, categories["water"])
    second = await publish(settings, categories["water"])
    await support.support(second, support.supporter_hashes(settings.secret_key, "x" * 24, None))
    assert await numbers(CaseFilter(), Sort.supported) == [second, first]


async def test_only_open_public_cases_take_support(settings, categories):
    hashes = support.supporter_hashes(settings.secret_key, "x" * 24, None)
    waiting = await file(settings, form(categories["water"]))
    with pytest.raises(Refusal) as refused:
        await support.support(waiting.number, hashes)
    assert status_of(refused.value) == 404
    closed = await publish(settings, categories["water"])
    await Case.update({Case.status: "closed"}).where(Case.number == closed)
    with pytest.raises(Refusal) as refused:
        await support.support(closed, hashes)
    assert status_of(refused.value) == 409


async def test_me_too_on_the_case_page(client, new_client, settings, categories):
    client.headers["accept-language"] = "en"
    number = await publish(settings, categories["water"])
    page = await client.get(f"/cases/{number}")
    assert "I have this problem too" in page.text and "0 people have this problem too." in page.text
    refused = await client.post(f"/cases/{number}/support", headers=CROSS_SITE)
    assert refused.status_code == 403 and "sent from another website" in refused.text
    answer = await client.post(f"/cases/{number}/support", headers={"sec-fetch-site": "same-origin"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{number}#support"
    assert support.SUPPORTER_COOKIE in answer.cookies
    again = await client.post(f"/cases/{number}/support", headers={"hx-request": "true"})
    assert again.status_code == 200 and "1 person has this problem too." in again.text and "You are one of them." in again.text
    page = await client.get(f"/cases/{number}")
    assert "You are one of them." in page.text and "I have this problem too" not in page.text
    other = await new_client()
    other.headers["accept-language"] = "en"
    await other.post(f"/cases/{number}/support")
    assert "2 people have this problem too." in (await other.get(f"/cases/{number}")).text
    assert (await client.post("/cases/2026-999999/support")).status_code == 404


async def test_the_report_form_suggests_cases_to_support(client, settings, categories):
    client.headers["accept-language"] = "en"
    water = categories["water"]
    nearby = await publish_at(settings, water, 50, title="这里的水管坏了")
    alike = await publish(settings, water, title="小区停电三四天")
    latitude, longitude = north(0)
    answer = await client.get(
        "/report/similar",
        params={"category_id": str(water.id), "latitude": latitude, "longitude": longitude, "title": "又停电了"},
        headers={"hx-request": "true"},
    )
    assert answer.status_code == 200
    assert answer.text.index(nearby) < answer.text.index(alike)
    assert "about 50 m away" in answer.text and 'hx-params="none"' in answer.text
    for params in ({}, {"category_id": "x", "latitude": "north", "longitude": "1e999", "title": "；"}):
        nothing = await client.get("/report/similar", params=params)
        assert nothing.status_code == 200 and "similar-list" not in nothing.text
    assert 'id="similar-cases"' in (await client.get("/report")).text
