"""Writes anyone may make without signing in — photo uploads and "me too" — are limited per
address, each kind on its own count, in the store the API's limits use."""

from __future__ import annotations

import pytest

from backend.settings import get_settings
from tests.cases.test_browse import publish
from tests.support import jpeg

LIMIT = 3


@pytest.fixture
async def limited_client(monkeypatch, new_client):
    """A client of an app that allows LIMIT such writes a minute, its address's counts emptied."""
    monkeypatch.setenv("MINSHENG_ADDRESS_WRITES_PER_MINUTE", str(LIMIT))
    get_settings.cache_clear()
    try:
        client = await new_client()
        store = client.app.stores.get("rate_limit")
        for kind in ("photos", "support"):  # earlier tests' writes from the same test address
            await store.delete(f"RateLimitMiddleware::{kind}:address:testclient")
        yield client
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_anonymous_uploads_and_me_too_are_limited_per_address(limited_client, settings, categories):
    client = limited_client
    picture = jpeg(width=300, height=200)
    uploads = [
        (await client.post("/photos", files=[("photos", ("a.jpg", picture, "image/jpeg"))], headers={"hx-request": "true"})).status_code
        for _ in range(LIMIT + 1)
    ]
    assert uploads == [200] * LIMIT + [429]
    # "Me too" has its own count, on as many cases as someone likes to flood.
    numbers = [await publish(settings, categories["water"], title=f"路灯不亮{n}") for n in range(LIMIT + 1)]
    supports = [(await client.post(f"/cases/{number}/support")).status_code for number in numbers]
    assert supports[:LIMIT] == [303] * LIMIT and supports[LIMIT] == 429
    refused = await client.post(f"/cases/{numbers[0]}/support", headers={"accept-language": "en"})
    assert refused.status_code == 429 and "Too many attempts" in refused.text


async def test_signed_in_staff_uploads_are_not_counted_per_address(limited_client, person, categories):
    handler = await person("handler", department_id=categories["water"].department)
    picture = jpeg(width=300, height=200)
    for _ in range(LIMIT + 1):
        answer = await handler.client.post("/photos", files=[("photos", ("a.jpg", picture, "image/jpeg"))], headers={"hx-request": "true"})
        assert answer.status_code == 200
