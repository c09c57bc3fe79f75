"""The installable app's parts over HTTP: manifest, service worker, offline page, and the report
form answering a report sent from the device's outbox as data."""

from __future__ import annotations

import json
import re

from PIL import Image

from backend.cases.tables import Case
from backend.photos.tables import Photo
from backend.web.templating import STATIC_DIR
from tests.support import CROSS_SITE, jpeg, report_fields
from tests.web.test_report import open_form

OUTBOX = {"accept": "application/json"}


async def test_manifest_is_in_the_visitors_language_with_installable_icons(client):
    chinese = await client.get("/manifest.webmanifest", headers={"accept-language": "zh-CN"})
    english = await client.get("/manifest.webmanifest", headers={"accept-language": "en"})
    assert chinese.headers["content-type"].startswith("application/manifest+json")
    assert "Accept-Language" in chinese.headers["vary"]
    assert chinese.json()["short_name"] == "民生" and chinese.json()["lang"] == "zh-CN"
    assert english.json()["short_name"] == "Minsheng" and english.json()["lang"] == "en"
    manifest = english.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        path = STATIC_DIR / icon["src"].removeprefix("/static/").split("?")[0]
        width = int(icon["sizes"].split("x")[0])
        assert Image.open(path).size == (width, width)


async def test_every_page_links_the_manifest_and_loads_the_outbox(client):
    page = await client.get("/")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert "/static/js/outbox.js?v=" in page.text
    assert 'id="outbox"' in page.text


async def test_service_worker_precaches_the_versioned_shell(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"  # a new release is seen at once
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", response.text).group(1))
    assert {"/", "/report", "/offline"} <= set(precache)
    home = (await client.get("/")).text
    # The very URLs the pages load, so that the cached copies are the ones used.
    for url in re.findall(r'(?:src|href)="(/static/[^"]+\?v=[0-9a-f]+)"', home):
        assert url in precache
    for url in precache:
        assert (await client.get(url)).status_code == 200
    assert re.search(r'const CACHE = "minsheng-" \+ "[0-9a-f]{16}";', response.text)


async def test_offline_page_offers_the_report_form(client):
    page = await client.get("/offline", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "You are offline" in page.text and 'href="/report"' in page.text


async def test_a_report_from_the_outbox_is_answered_with_its_number_and_link(client, categories):
    key = await open_form(client)
    fields = {**report_fields(categories["water"].id), "submission_key": key}
    photo = ("photos", ("kept.jpg", jpeg(), "image/jpeg"))
    first = await client.post("/report", data=fields, files=[photo], headers=OUTBOX)
    assert first.status_code == 201
    case = await Case.objects().first()
    assert first.json()["number"] == case.number
    assert re.fullmatch(r"http://localhost:8000/follow/[A-Za-z0-9_-]{43}", first.json()["follow_url"])
    assert await Photo.count().where(Photo.case == case.id) == 1
    # Sent again (the answer was lost on the way): the same case, filed once.
    again = await client.post("/report", data=fields, files=[photo], headers=OUTBOX)
    assert again.status_code == 201 and again.json() == first.json()
    assert await Case.count() == 1


async def test_a_refused_outbox_report_gets_readable_errors_as_data(client, categories):
    key = await open_form(client)
    fields = {**report_fields(categories["water"].id, title=""), "submission_key": key}
    response = await client.post("/report", data=fields, headers={**OUTBOX, "accept-language": "en"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"title"}
    assert response.json()["errors"]["title"].strip()
    cross_site = await client.post("/report", data=fields, headers={**OUTBOX, **CROSS_SITE, "accept-language": "en"})
    assert cross_site.status_code == 403 and "another website" in cross_site.json()["message"]
    assert await Case.count() == 0
