"""Public pages, photo files, security headers, languages, health, and error pages."""

from __future__ import annotations

import io
import re

from PIL import Image

from backend.cases import actions, services, workflow
from backend.vocabulary import Role
from backend.photos.services import upload_photo
from tests.cases.test_filing import file, form
from tests.support import jpeg

MODERATOR = services.Actor(Role.moderator)


async def public_case_with_photo(settings, categories, **overrides):
    photo = await upload_photo(jpeg(gps=(38.87, 115.46)))
    filed = await file(settings, form(categories["water"], photo_keys=[photo.key], **overrides))
    await workflow.perform(filed.number, "accept", MODERATOR)
    await workflow.perform(filed.number, actions.Assign(department_id=categories["water"].department), MODERATOR)
    return filed, photo


async def test_home_explains_and_links(client, categories, settings):
    await public_case_with_photo(settings, categories)
    page = await client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    for link in ('href="/report"', 'href="/cases"', "路口自来水管爆裂"):
        assert link in page.text


async def test_public_case_page_shows_the_case_and_no_personal_data(client, categories, settings):
    filed, photo = await public_case_with_photo(settings, categories)
    page = await client.get(f"/cases/{filed.number}", headers={"accept-language": "en"})
    assert page.status_code == 200
    for text in ("路口自来水管爆裂", "Assigned to a department", "City Water Supply Company", "Water supply", photo.thumb_url):
        assert text in page.text
    assert "王先生" not in page.text and "13800138000" not in page.text
    assert filed.follow_token not in page.text and "/follow/" not in page.text


async def test_list_shows_only_public_cases(client, categories, settings):
    public, _ = await public_case_with_photo(settings, categories)
    private, _ = await public_case_with_photo(settings, categories, publication="private", title="不公开的诉求")
    waiting = await file(settings, form(categories["water"], title="等待审核的诉求"))
    page = await client.get("/cases")
    assert public.number in page.text
    assert "不公开的诉求" not in page.text and "等待审核的诉求" not in page.text
    for number in (private.number, waiting.number, "2026-999999"):
        assert (await client.get(f"/cases/{number}")).status_code == 404
    assert (await client.get("/cases/not-a-number")).status_code == 400  # not even a case number


async def test_list_pages_by_cursor_and_serves_the_fragment_to_htmx(client, categories, settings):
    for _ in range(21):
        filed = await file(settings, form(categories["water"]))
        await workflow.perform(filed.number, "accept", MODERATOR)
    first = await client.get("/cases")
    cursor = re.search(r'href="/cases\?cursor=([A-Za-z0-9_-]+)"', first.text).group(1)
    second = await client.get(f"/cases?cursor={cursor}", headers={"hx-request": "true"})
    assert second.text.lstrip().startswith('<section id="case-results"')
    assert second.text.count('class="case-card"') == 1
    restore = await client.get(
        f"/cases?cursor={cursor}", headers={"hx-request": "true", "hx-history-restore-request": "true"}
    )
    assert restore.text.startswith("<!doctype html>")
    assert (await client.get("/cases?cursor=garbage")).status_code == 400


async def test_photo_files_are_served_safely_and_carry_no_metadata(client, categories, settings):
    _, photo = await public_case_with_photo(settings, categories)
    response = await client.get(photo.display_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, no-cache" and response.headers["etag"] == f"\"{photo.display_sha256}\""
    image = Image.open(io.BytesIO(response.content))
    assert not image.getexif() and image.size == (photo.display_width, photo.display_height)
    for bad in ("/media/../secret_key", "/media/" + "a" * 64 + ".png", "/media/" + "0" * 64 + ".jpg"):
        assert (await client.get(bad)).status_code == 404


async def test_security_headers_on_pages_and_errors(client, categories):
    for path, status in (("/", 200), ("/report", 200), ("/nope", 404)):
        response = await client.get(path)
        assert response.status_code == status
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
    page = (await client.get("/report")).text
    assert "<script>" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+\s*=", page), "no inline event handlers"
    assert '"allowEval":false' in page


async def test_pages_set_no_cookie_for_forms(client, categories):
    """Forms need no token (backend.web.csrf): a page sets no cookie before someone acts."""
    for path in ("/", "/report", "/cases"):
        assert "set-cookie" not in (await client.get(path)).headers, path


async def test_language_switch_is_remembered_and_never_redirects_off_site(client, categories):
    response = await client.post("/language", data={"language": "en", "next": "/cases"})
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    assert '<html lang="en">' in (await client.get("/")).text
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await client.post("/language", data={"language": "zh_CN", "next": target})
        assert response.headers["location"] == "/"


async def test_health_check(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "live_streams": 0}


async def test_error_pages_are_readable_in_each_language(client):
    chinese = await client.get("/nope")
    assert chinese.status_code == 404 and "找不到这个页面" in chinese.text
    english = await client.get("/nope", headers={"accept-language": "en"})
    assert "We could not find this page." in english.text
    wrong_method = await client.get("/photos", headers={"accept-language": "en"})
    assert wrong_method.status_code == 405 and "This page cannot be used that way." in wrong_method.text
    fragment = await client.get("/nope", headers={"hx-request": "true"})
    assert fragment.text.startswith('<p class="alert" role="alert">')


async def test_cursor_values_out_of_range_are_client_errors(client, categories):
    for cursor in ("1.9223372036854775808", "1.2147483648", "1.-5", "-1.5", "1.2.3", "nan.1", "99999999999999999999.1"):
        assert (await client.get("/cases", params={"cursor": cursor})).status_code == 400, cursor


async def test_static_files_never_set_cookies(client):
    response = await client.get("/static/css/app.css")
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert "max-age=31536000" in response.headers["cache-control"]
