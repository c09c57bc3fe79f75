"""Each key has its own rate limit, kept across the server's workers; requests without a key
count per address."""

from __future__ import annotations

import httpx
import pytest

from tests.keys import bearer
from tests.support import TWO_WORKERS

LIMIT = int(TWO_WORKERS["MINSHENG_API_REQUESTS_PER_MINUTE"])


@pytest.fixture
def server(live_servers):
    return live_servers(workers=2, **TWO_WORKERS)


@pytest.mark.slow
async def test_each_key_is_limited_on_its_own_across_workers(server, api_key):
    first, second = await api_key("read"), await api_key("read")
    async with httpx.AsyncClient(base_url=server.url) as client:
        # New connections each time: the two workers take turns and share the count.
        answers = [
            (await client.get("/api/v1/categories", headers={**bearer(first), "connection": "close"})).status_code
            for _ in range(LIMIT + 2)
        ]
        assert answers == [200] * LIMIT + [429, 429]
        refused = await client.get("/open311/v2/services.json", headers=bearer(first))
        assert refused.status_code == 429 and refused.json()[0]["code"] == 429
        limited = await client.get("/api/v1/categories", headers=bearer(first))
        assert limited.json()["code"] == "rate_limited" and int(limited.headers["ratelimit-reset"]) <= 60
        assert (await client.get("/api/v1/categories", headers=bearer(second))).status_code == 200
        assert (await client.get("/api/v1/categories")).status_code == 200, "without a key: the address's own count"
