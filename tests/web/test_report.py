"""Filing over HTTP: the form, its errors (typed text kept), photos, forms from other sites, and the follow page."""

from __future__ import annotations

import re

import pytest

from backend.cases.tables import Case
from backend.photos.tables import Photo
from tests.support import CROSS_SITE, OLD_BROWSER_CROSS_SITE, SVG, jpeg, png_bomb, report_fields, submission_key

HTMX = {"hx-request": "true"}


async def open_form(client) -> str:
    """The form's submission key."""
    page = await client.get("/report")
    assert page.status_code == 200
    return submission_key(page.text)


async def upload(client, files, keys=()):
    return await client.post("/photos", files=[("photos", f) for f in files], data={"photo_key": list(keys)}, headers=HTMX)


def photo_keys(html: str) -> list[str]:
    return re.findall(r'name="photo_key" value="([^"]+)"', html)


async def test_form_lists_categories_and_carries_tokens(client, categories):
    page = await client.get("/report", headers={"accept-language": "en"})
    assert "Water supply" in page.text and "City Water Supply Company" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert len(submission_key(page.text)) >= 22
    assert 'hx-post="/photos"' in page.text


async def test_filing_redirects_to_the_private_follow_page(client, categories):
    key = await open_form(client)
    upload_response = await upload(client, [("a.jpg", jpeg(gps=(38.87, 115.46)), "image/jpeg")])
    assert upload_response.status_code == 200
    assert 'data-gps-latitude="38.87"' in upload_response.text
    keys = photo_keys(upload_response.text)
    response = await client.post(
        "/report",
        data={**report_fields(categories["water"].id), "submission_key": key, "photo_key": keys},
    )
    assert response.status_code == 303
    follow_url = response.headers["location"]
    assert re.fullmatch(r"/follow/[A-Za-z0-9_-]{43}\?filed=1", follow_url)

    page = await client.get(follow_url, headers={"accept-language": "zh-CN"})
    assert page.status_code == 200
    case = await Case.objects().first()
    assert case.number in page.text
    assert "已提交，等待审核" in page.text
    assert "http://localhost:8000" + follow_url.split("?")[0] in page.text
    assert "张女士" not in page.text and "13800138000" not in page.text.replace(" ", "")
    assert page.headers["cache-control"] == "private, no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert (await Photo.objects().first()).case == case.id


async def test_a_replayed_key_with_other_content_never_leads_to_anothers_case(new_client, categories):
    first, second = await new_client(), await new_client()
    key = await open_form(first)
    filed = await first.post("/report", data={**report_fields(categories["water"].id), "submission_key": key})
    assert filed.status_code == 303
    await open_form(second)
    fields = {**report_fields(categories["water"].id), "title": "别人的投诉", "submission_key": key}
    replayed = await second.post("/report", data=fields, headers={"accept-language": "en"})
    assert replayed.status_code == 409 and "location" not in replayed.headers
    assert "already sent with other content" in replayed.text and "别人的投诉" in replayed.text
    assert filed.headers["location"].split("?")[0] not in replayed.text
    fresh = submission_key(replayed.text)
    assert fresh != key  # sent again as it stands, it is a case of its own
    again = await second.post("/report", data={**fields, "submission_key": fresh})
    assert again.status_code == 303 and again.headers["location"] != filed.headers["location"]
    assert await Case.count() == 2


async def test_htmx_filing_answers_with_a_client_redirect(client, categories):
    key = await open_form(client)
    response = await client.post(
        "/report",
        data={**report_fields(categories["water"].id), "submission_key": key},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"].startswith("/follow/")


async def test_errors_come_back_with_everything_typed_kept(client, categories):
    key = await open_form(client)
    long_text = "很长的描述" * 10_000  # 50,000 characters
    fields = report_fields(categories["water"].id, description=long_text, filer_phone="abc", title="<script>x</script>")
    response = await client.post(
        "/report", data={**fields, "submission_key": key}, headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    assert "Describe the problem in 10 to 5,000 characters." in response.text
    assert "Give a phone number the department can call" in response.text
    assert long_text in response.text
    assert "&lt;script&gt;x&lt;/script&gt;" in response.text and "<script>x</script>" not in response.text
    assert 'value="文津花园小区3号楼"' in response.text
    assert f'value="{key}"' in response.text
    assert 'aria-invalid="true" aria-describedby="error-filer_phone"' in response.text
    assert await Case.count() == 0


async def test_htmx_errors_return_only_the_form(client, categories):
    key = await open_form(client)
    response = await client.post(
        "/report", data={"submission_key": key, "title": "半截"}, headers=HTMX
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form") and "<html" not in response.text
    assert 'value="半截"' in response.text


async def test_uploaded_photos_survive_a_form_error(client, categories):
    key = await open_form(client)
    keys = photo_keys((await upload(client, [("a.jpg", jpeg(), "image/jpeg")])).text)
    response = await client.post(
        "/report", data={"submission_key": key, "photo_key": keys, "title": "只有标题"}
    )
    assert response.status_code == 422
    assert photo_keys(response.text) == keys


@pytest.mark.parametrize(
    "upload_file, message",
    [
        (("bomb.png", png_bomb(), "image/png"), "too many pixels"),
        (("notes.jpg", b"just some text\n" * 100, "image/jpeg"), "not a JPEG"),
        (("vector.svg", SVG, "image/svg+xml"), "not a JPEG"),
        (("cut.jpg", jpeg()[:4000], "image/jpeg"), "damaged or incomplete"),
    ],
    ids=["png-bomb", "text-as-jpg", "svg", "truncated"],
)
async def test_hostile_photos_get_a_readable_error(client, categories, upload_file, message):
    await open_form(client)
    response = await client.post(
        "/photos", files=[("photos", upload_file)], headers={"accept-language": "en", **HTMX}
    )
    assert response.status_code == 422
    assert message in response.text and upload_file[0] in response.text
    assert await Photo.count() == 0


async def test_errors_are_in_the_persons_language(client, categories):
    await open_form(client)
    response = await client.post(
        "/photos", files=[("photos", ("x.svg", SVG, "image/svg+xml"))], headers={**HTMX}
    )
    assert "不是 JPEG、PNG、WebP 或 HEIC 照片" in response.text


async def test_seventh_photo_is_refused_without_script(client, categories):
    key = await open_form(client)
    files = [("photos", (f"{i}.jpg", jpeg(width=200, height=150, colour=(i * 30, 10, 10)), "image/jpeg")) for i in range(7)]
    response = await client.post(
        "/report",
        data={**report_fields(categories["water"].id), "submission_key": key},
        files=files,
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert "6.jpg: Add at most 6 photos." in response.text
    assert len(photo_keys(response.text)) == 6, "the six good photos are kept for the next try"
    assert await Case.count() == 0


async def test_upload_counts_photos_already_in_the_form(client, categories):
    await open_form(client)
    response = await upload(client, [("a.jpg", jpeg(), "image/jpeg")], keys=[f"key-{i:08d}" for i in range(6)])
    assert response.status_code == 422
    assert await Photo.count() == 0


async def test_a_form_filed_from_this_site_needs_no_token(client, categories):
    """As browsers send it: Sec-Fetch-Site, or (before it) an Origin naming this host."""
    fields = {**report_fields(categories["water"].id), "submission_key": await open_form(client)}
    filed = await client.post("/report", data=fields, headers={"sec-fetch-site": "same-origin", "origin": "http://testserver.local"})
    assert filed.status_code == 303 and "set-cookie" not in filed.headers
    again = {**fields, "submission_key": "s" * 30}
    assert (await client.post("/report", data=again, headers={"origin": "http://testserver.local"})).status_code == 303
    assert await Case.count() == 2


@pytest.mark.parametrize(
    "headers",
    [CROSS_SITE, OLD_BROWSER_CROSS_SITE, {"sec-fetch-site": "same-site"}, {"origin": "null"}, {"origin": "https://testserver.local.evil.example"}],
    ids=["cross-site", "old-browser", "same-site", "opaque-origin", "look-alike-host"],
)
async def test_forms_sent_from_other_sites_are_refused(client, categories, headers):
    await client.get("/report")
    photo = await client.post("/photos", files=[("photos", ("a.jpg", jpeg(), "image/jpeg"))], headers={**headers, **HTMX})
    assert photo.status_code == 403 and photo.headers["hx-retarget"] == "#alerts"
    language = await client.post("/language", data={"language": "en"}, headers={**headers, "accept-language": "en"})
    assert language.status_code == 403 and "This was sent from another website, so nothing was done." in language.text
    report = await client.post("/report", data=report_fields(categories["water"].id), headers={**headers, "accept-language": "zh-CN"})
    assert report.status_code == 403 and "此请求来自其他网站" in report.text
    assert await Photo.count() == 0 and await Case.count() == 0


async def test_malformed_bodies_are_client_errors(client, categories):
    await open_form(client)
    broken = await client.post(
        "/photos",
        content=b"--xyz\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n\r\nabc",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert 400 <= broken.status_code < 500
    no_boundary = await client.post(
        "/report", content=b"abc", headers={"content-type": "multipart/form-data"}
    )
    assert 400 <= no_boundary.status_code < 500
    odd_fields = await client.post(
        "/report",
        data={"title": "标题", "category_id": "9" * 40, "latitude": "NaN", "longitude": "inf"},
    )
    assert odd_fields.status_code == 422


def multipart(*parts: bytes) -> bytes:
    return b"".join(b"--x\r\n" + part + b"\r\n" for part in parts) + b"--x--\r\n"


async def test_undecodable_form_parts_are_client_errors(client, categories):
    await open_form(client)
    headers = {"content-type": "multipart/form-data; boundary=x"}
    not_utf8 = multipart(b'Content-Disposition: form-data; name="title"\r\n\r\n\xff\xfe')
    unknown_charset = multipart(
        b'Content-Disposition: form-data; name="title"\r\nContent-Type: text/plain; charset=bogus\r\n\r\nabc'
    )
    for path in ("/report", "/photos", "/language"):
        for body in (not_utf8, unknown_charset):
            response = await client.post(path, content=body, headers=headers)
            assert response.status_code == 400, (path, response.text[:200])


async def test_odd_origin_headers_are_refused_not_crashed_on(client, categories):
    fields = report_fields(categories["water"].id)
    for headers in ({"origin": ("http://é" * 64).encode("latin-1")}, {"origin": "http://[::1"}, {"sec-fetch-site": "Same-Origin"}):
        assert (await client.post("/report", data=fields, headers=headers)).status_code == 403, headers
    assert await Case.count() == 0


async def test_odd_identifiers_in_the_form_are_ordinary_errors(client, categories):
    key = await open_form(client)
    fields = {**report_fields("²"), "submission_key": key}
    response = await client.post("/report", data={**fields, "photo_key": ["abc\x00def-ghijklmnop"]})
    assert response.status_code == 422
    assert 'id="error-category_id"' in response.text
    assert await Case.count() == 0


async def test_htmx_errors_go_to_the_alert_region_and_leave_the_form_alone(client, categories):
    response = await client.get("/nope", headers=HTMX)
    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#alerts" and response.headers["hx-reswap"] == "innerHTML"
    page = await client.get("/report")
    assert '<div id="alerts" aria-live="assertive"></div>' in page.text
