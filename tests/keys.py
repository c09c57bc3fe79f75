"""API keys made through the service, as an admin would (a fixture for the API and Open311 tests)."""

from __future__ import annotations

import pytest


@pytest.fixture
def api_key():
    """``await api_key("file")``: a new key of that scope, in full."""
    from backend.accounts.api_keys import create_key
    from backend.accounts.audit import Who

    async def make(scope: str = "read", name: str = "") -> str:
        return (await create_key(name or f"test {scope}", scope, actor=Who(None, "test"))).key

    return make


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "accept-language": "en"}
