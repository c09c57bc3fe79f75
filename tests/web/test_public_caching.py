"""Anonymous public pages (``backend.web.caching``): the same bytes for everyone, kept by any
cache that asks again each time, 304 while unchanged, and fresh in every worker the moment a
case changes (through the same events as the live timeline)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from backend.cases import actions, workflow
from backend.cases.services import Actor
from backend.vocabulary import Role
from tests.cases.test_browse import publish
from tests.cases.test_lifecycle import MODERATOR

SIGNED = "Signed for by the department"
PUBLIC_PAGES = [
    "/",
    "/cases",
    "/cases?type=complaint&status=open",
    "/cases?q=" + quote("自来水"),
    "/cases/{number}",
    "/cases/{number}/feed",
    "/departments",
    "/trends",
    "/cases.atom",
    "/open311/v2/requests.json",
    "/api/v1/cases",
]


@pytest.fixture
async def number(settings, categories) -> str:
    return await publish(settings, categories["water"], department=categories["water"].department)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
async def test_an_unchanged_public_page_is_a_304(client, number, path):
    path = path.format(number=number)
    page = await client.get(path)
    assert page.status_code == 200, path
    assert page.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert page.headers["etag"].startswith('W/"') and "set-cookie" not in page.headers
    vary = {each.strip().lower() for each in page.headers["vary"].split(",")}
    assert {"accept-language", "cookie", "hx-request"} <= vary
    again = await client.get(path, headers={"if-none-match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == page.headers["etag"]
    assert again.headers["cache-control"] == page.headers["cache-control"]
    assert "content-security-policy" in again.headers  # the security headers all the same


async def test_two_anonymous_visitors_get_the_same_bytes(new_client, number):
    first, second = await new_client(), await new_client()
    for path in ("/", "/cases", f"/cases/{number}", "/departments", "/report/similar?title=x"):
        one, other = await first.get(path), await second.get(path)
        assert one.content == other.content and "set-cookie" not in one.headers, path
    assert first.cookies == {} and second.cookies == {}


async def test_a_change_through_the_workflow_makes_every_page_fresh_at_once(client, categories, number):
    client.headers["accept-language"] = "en"
    paths = ["/", "/cases", f"/cases/{number}", "/cases.atom", "/departments", "/api/v1/cases"]
    before = {path: (await client.get(path)).headers["etag"] for path in paths}
    assert SIGNED not in (await client.get(f"/cases/{number}")).text
    await workflow.perform(number, actions.Sign(), handler(categories))
    for path in paths:
        page = await client.get(path, headers={"if-none-match": before[path]})
        assert page.status_code == 200 and page.headers["etag"] != before[path], path
    assert SIGNED in (await client.get(f"/cases/{number}")).text


async def test_me_too_makes_the_case_page_fresh(client, new_client, number):
    page = await client.get(f"/cases/{number}", headers={"accept-language": "en"})
    assert "0 people have this problem too." in page.text
    supporter = await new_client()
    assert (await supporter.post(f"/cases/{number}/support")).status_code == 303
    again = await client.get(f"/cases/{number}", headers={"accept-language": "en", "if-none-match": page.headers["etag"]})
    assert again.status_code == 200 and "1 person has this problem too." in again.text
    # The supporter's own page says so, and is theirs alone.
    own = await supporter.get(f"/cases/{number}", headers={"accept-language": "en"})
    assert "You are one of them." in own.text and own.headers["cache-control"] == "private, no-store" and "etag" not in own.headers


async def test_each_language_and_fragment_is_a_page_of_its_own(client, number):
    chinese = await client.get("/cases", headers={"accept-language": "zh-CN"})
    english = await client.get("/cases", headers={"accept-language": "en"})
    fragment = await client.get("/cases", headers={"accept-language": "en", "hx-request": "true"})
    assert len({chinese.headers["etag"], english.headers["etag"], fragment.headers["etag"]}) == 3
    refused = await client.get("/cases", headers={"accept-language": "en", "if-none-match": chinese.headers["etag"]})
    assert refused.status_code == 200 and refused.content == english.content
    client.cookies.set("lang", "en")  # the footer's switch
    assert (await client.get("/cases", headers={"if-none-match": english.headers["etag"]})).status_code == 304


async def test_every_worker_answers_fresh_after_a_change(client, categories, number):
    """Two workers share no memory: another app, with its own response cache, on the same database."""
    from backend.app import create_app

    other_worker = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(database_pool=False)), base_url="http://testserver.local", headers={"accept-language": "en"}
    )
    client.headers["accept-language"] = "en"
    async with other_worker:
        for worker in (client, other_worker):
            assert SIGNED not in (await worker.get(f"/cases/{number}")).text
        await workflow.perform(number, actions.Sign(), handler(categories))
        for worker in (client, other_worker):
            assert SIGNED in (await worker.get(f"/cases/{number}")).text


async def test_errors_and_redirects_are_not_kept(client, number):
    missing = await client.get("/cases/2026-999999")
    assert missing.status_code == 404 and "etag" not in missing.headers
    bad_filter = await client.get("/cases?category=nothing-like-it")
    assert bad_filter.status_code == 400 and "etag" not in bad_filter.headers


def handler(categories) -> Actor:
    return Actor(Role.handler, "市自来水公司", department_id=categories["water"].department)


async def test_organisation_changes_and_rebuilt_figures_make_pages_fresh(client, number):
    from backend.accounts.audit import Who
    from backend.cases import figures
    from backend.departments.services import AreaForm, create_area

    listed = await client.get("/cases")
    await create_area(AreaForm(name="竞秀区", name_en="Jingxiu District", slug="jingxiu", parent_id="", active="yes"), actor=Who(None, "test admin"))
    again = await client.get("/cases", headers={"if-none-match": listed.headers["etag"]})
    assert again.status_code == 200 and "竞秀区" in again.text
    board = await client.get("/departments")
    await figures.rebuild()
    assert (await client.get("/departments", headers={"if-none-match": board.headers["etag"]})).status_code == 200


async def test_answers_from_the_response_cache_are_the_same_each_time(new_client, number):
    client = await new_client()
    answers = [await client.get("/cases") for _ in range(3)]
    assert len({answer.content for answer in answers}) == 1
    # (but for each request's own id)
    assert len({tuple(sorted(item for item in answer.headers.multi_items() if item[0] != "x-request-id")) for answer in answers}) == 1
    # A session cookie that no longer works is cleared on a private page, never on the shared one.
    stale = await new_client()
    stale.cookies.set("minsheng_session", "expired-or-forged")
    cleared = await stale.get("/cases")
    assert cleared.headers["cache-control"] == "private, no-store" and "etag" not in cleared.headers
    assert "minsheng_session=" in cleared.headers["set-cookie"]
    assert "set-cookie" not in (await client.get("/cases")).headers
