"""A running server, read by the ``georeport`` Open311 client from PyPI, in both formats."""

from __future__ import annotations

import anyio
import pytest
from georeport import GeoReport

from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to


@pytest.fixture
def server(live_server):
    return live_server


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_the_georeport_client_reads_services_and_requests(server, settings, categories, fmt):
    public = await file(settings, form(categories["water"], filer_phone="13912345678"))
    await bring_to(public.number, Status.assigned, categories["water"].department)
    second = await file(settings, form(categories["roads"]))
    await bring_to(second.number, Status.accepted, categories["roads"].department)
    client = GeoReport(f"{server.url}/open311/v2", jurisdiction="localhost", output_format=fmt)

    def read():
        return (
            client.get_service_list(),
            client.get_service_definition("water"),
            client.get_service_requests(service_code="water", status="open"),
            client.get_service_requests(),
            client.get_service_request(public.number),
        )

    services, definition, water, everything, one = await anyio.to_thread.run_sync(read)
    assert [service["service_code"] for service in services] == ["water", "roads", "advice"]
    assert definition["service_code"] == "water"
    water = water if isinstance(water, list) else [water]  # xmltodict: one element is not a list
    assert [request["service_request_id"] for request in water] == [public.number]
    assert {request["service_request_id"] for request in everything} == {public.number, second.number}
    assert one["service_request_id"] == public.number and one["status"] == "open"
    assert "13912345678" not in repr(everything)
