"""What a hostile client may put in a URL: ids past any row, bytes no path holds, methods no
route has. Each is the client's error (4xx, in the reader's language), never the server's."""

from __future__ import annotations

import pytest

from backend.cases.lifecycle import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to

OUT_OF_RANGE = ["2147483648", "99999999999999999999", "0", "-1"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_public_path_ids_out_of_range_are_client_errors(client, value):
    response = await client.get(f"/departments/{value}", headers={"accept-language": "en"})
    assert response.status_code == 400 and "We could not understand what was sent." in response.text


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_draft_ids_out_of_range_are_client_errors(person, value):
    lead = await person("representative", body="npc", level="city", constituency="竞秀区")
    assert (await lead.client.get(f"/representatives/drafts/{value}")).status_code == 400
    for action in ("invite", "co-sign", "submit", "attachments"):
        response = await lead.post_form(f"/representatives/drafts/{value}/{action}", {"account_id": "1"})
        assert response.status_code == 400, action


@pytest.mark.parametrize("path", ["/static/js/minsheng.js/x", "/static/css/app.css/..x", "/static/" + "x" * 5000, "/static/js/minsheng.js/x/y"])
async def test_impossible_static_paths_are_not_found(client, path):
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cases/2026-000001%00",
        "/cases/2026-000001%00/feed",
        "/cases/%00",
        "/follow/abc%00def",
        "/representatives/attachments/%00" + "a" * 63,
        "/representatives/suggestions/2026-000001%00",
        "/static/js/minsheng.js%00.png",
        "/static/%00",
        "/cases?q=%00&category=a%00b",
    ],
)
async def test_nul_bytes_in_urls_are_refused(client, path):
    response = await client.get(path, headers={"accept-language": "en"})
    assert response.status_code == 400 and "We could not understand what was sent." in response.text


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/cases", "/report", "/static/css/app.css"])
async def test_wrong_methods_are_told_the_allowed_ones(client, method, path):
    response = await client.request(method, path, headers={"accept-language": "en"})
    assert response.status_code == 405 and "This page cannot be used that way." in response.text
    allowed = {each.strip() for each in response.headers["allow"].split(",")}
    assert "GET" in allowed and method not in allowed


@pytest.mark.parametrize("value", ["2026-000001%00", "2026-1234567890", "２０２６-000001"])
async def test_staff_case_numbers_are_checked_before_any_query(person, settings, categories, value):
    moderator = await person("moderator")
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    page = await moderator.client.get(f"/staff/cases/{value}")
    assert page.status_code == 400
    action = await moderator.post_form(f"/staff/cases/{value}/accept", {"body": "x"})
    assert action.status_code == 400


@pytest.mark.parametrize("key", ["abcdefghijk\x00", "abc\x00defghijklmn", "a" * 33, "ab\ncdefghijk"])
async def test_photo_keys_are_checked_before_any_query(person, settings, categories, key):
    moderator = await person("moderator")
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    response = await moderator.post_form(f"/staff/cases/{filed.number}/hide_photo", {"photo_key": key, "body": "x"})
    assert response.status_code == 400
