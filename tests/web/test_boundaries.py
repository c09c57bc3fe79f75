"""What a hostile client may put in a URL: ids past any row, bytes no path holds, methods no
route has. Each is the client's error (4xx, in the reader's language), never the server's."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from backend.accounts.tables import Account
from backend.vocabulary import Status
from backend.cases.tables import Case
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to

OUT_OF_RANGE = ["2147483648", "99999999999999999999", "0", "-1"]
# What Python's int() reads as the id and no id is written as: a space, a sign, a leading zero,
# full-width and Arabic-Indic digits, a new line.
ODD_FORMS = {
    "space": lambda n: f"%20{n}",
    "sign": lambda n: f"+{n}",
    "leading zero": lambda n: f"0{n}",
    "full-width": lambda n: quote("".join(chr(0xFF10 + int(d)) for d in str(n))),
    "arabic-indic": lambda n: quote("".join(chr(0x0660 + int(d)) for d in str(n))),
    "new line": lambda n: f"{n}%0A",
}


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_public_path_ids_out_of_range_are_client_errors(client, value):
    response = await client.get(f"/departments/{value}", headers={"accept-language": "en"})
    assert response.status_code == 400 and "We could not understand what was sent." in response.text


@pytest.mark.parametrize("form", ODD_FORMS)
async def test_ids_in_odd_forms_name_nothing(client, person, categories, form):
    odd = ODD_FORMS[form]
    department = categories["water"].department
    assert (await client.get(f"/departments/{department}")).status_code == 200
    response = await client.get(f"/departments/{odd(department)}", headers={"accept-language": "en"})
    assert response.status_code == 400 and "We could not understand what was sent." in response.text
    admin = await person("admin")
    someone = await person("moderator", sign_in=False)
    refused = await admin.post_form(f"/admin/accounts/{odd(someone.account_id)}/disable")
    assert refused.status_code == 400
    assert (await Account.select(Account.active).where(Account.id == someone.account_id).first())["active"] is True


def test_no_route_reads_an_id_with_the_routers_lenient_int():
    """Litestar's router parses ``{id:int}`` with Python's int(), which reads " 5" and "５" as 5;
    ids are declared ``{id:str}`` and typed ``RowId``, which msgspec parses strictly."""
    from backend.app import create_app

    lenient = [(route.path, each.name) for route in create_app().routes for each in route.path_parameters.values() if each.type is int]
    assert lenient == []


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


@pytest.mark.parametrize("field", ["source_url", "title", "filer_name", "unknown"])
async def test_nul_bytes_in_form_fields_never_reach_the_database(person, categories, field):
    """Every text typed is cleaned of control characters (PostgreSQL refuses a NUL with an
    error): the form is filed or refused with its fields, never a server error."""
    from tests.cases.test_workspaces import intake_fields

    moderator = await person("moderator")
    fields = intake_fields(categories, source="social", source_url="https://weibo.com/1")
    fields[field] = fields.get(field, "") + "a\x00b"
    response = await moderator.post_form("/moderation/intake", fields)
    assert response.status_code in (201, 422)
    for row in await Case.select(Case.title, Case.source_url, Case.filer_name):
        assert not any("\x00" in value for value in row.values())
