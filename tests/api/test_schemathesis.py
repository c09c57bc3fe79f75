"""Schemathesis against /schema/openapi.json of a running server: for every operation,
generated requests (valid and not) never get a server error, and every answer keeps to the
schema: its status is documented, its body fits, its content type is the declared one."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation: about a minute for the whole API


@pytest.fixture
def server(live_server):
    """The run's shared server: hundreds of requests in a few seconds are far below its API limit
    (the limit is tested elsewhere)."""
    return live_server


@pytest.mark.slow
async def test_the_api_keeps_to_its_schema(server, api_key, categories):
    keys = {"file": await api_key("file"), "moderator": await api_key("moderator")}
    schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        # A key that gets past authentication: the staff routes' for staff, the filing one elsewhere.
        key = keys["moderator"] if operation.path.startswith("/api/v1/staff") else keys["file"]

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def keeps_to_the_schema(case):
            case.call_and_validate(base_url=server.url, headers={"authorization": f"Bearer {key}"}, checks=CHECKS)

        keeps_to_the_schema()
