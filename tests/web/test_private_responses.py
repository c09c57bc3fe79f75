"""What is rendered for someone signed in is kept by no cache, and secrets in paths (follow
links, invitations) stay out of the access log."""

from __future__ import annotations

import logging

from tests.cases.test_ratings import answered
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)


async def test_every_response_for_a_signed_in_session_is_private(person, client, settings, categories):
    filed = await answered(settings, categories)
    moderator = await person("moderator")
    public_pages = ("/", "/cases", f"/cases/{filed.number}", "/departments", "/trends", "/cases.atom")
    for path in (*public_pages, "/report", "/moderation", "/moderation/review", f"/staff/cases/{filed.number}"):
        seen = await moderator.client.get(path)
        assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store", path
        assert "etag" not in seen.headers, path
    for path in public_pages:
        public = await client.get(path)
        assert public.headers["cache-control"].startswith("public"), path  # the same page, for anyone
        # Never a 304 to a signed-in person for the page everyone else gets: theirs is another.
        seen = await moderator.client.get(path, headers={"if-none-match": public.headers["etag"]})
        assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store", path


async def test_the_follow_page_and_keyed_api_reads_are_private(client, api_key, settings, categories):
    filed = await answered(settings, categories)
    for path in (f"/follow/{filed.follow_token}", f"/api/v1/follow/{filed.follow_token}"):
        page = await client.get(path)
        assert page.status_code == 200 and "private" in page.headers["cache-control"] and "no-store" in page.headers["cache-control"], path
        assert "etag" not in page.headers
    keyed = await client.get("/api/v1/cases", headers=bearer(await api_key("read")))
    assert keyed.status_code == 200 and keyed.headers["cache-control"] == "private, no-store" and "etag" not in keyed.headers


async def test_follow_tokens_invitations_and_notification_links_stay_out_of_the_access_log(caplog, client, settings, categories):
    filed = await answered(settings, categories)
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        for path in (f"/follow/{filed.follow_token}?filed=1", f"/api/v1/follow/{filed.follow_token}/rating",
                     f"/open311/v2/tokens/{filed.follow_token}.json", "/invitations/secret-invitation-token/options",
                     "/notifications/unsubscribe/12.signed-unsubscribe-link", "/notifications/verify/12.signed-check-link",
                     "/alerts/unsubscribe/12.signed-alert-stop-link", "/alerts/verify/12.signed-alert-check-link",
                     "/open311/v2/requests.json?service_code=water&api_key=msk_secret-open311-key"):
            # As uvicorn writes each request (after the app has started in the process).
            access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", path, "1.1", 200)
    assert len(caplog.records) == 9
    assert filed.follow_token not in caplog.text and "secret-invitation-token" not in caplog.text
    assert "secret-open311-key" not in caplog.text and "service_code=water&api_key=…" in caplog.text
    assert "signed-unsubscribe-link" not in caplog.text and "signed-check-link" not in caplog.text
    assert "signed-alert-stop-link" not in caplog.text and "signed-alert-check-link" not in caplog.text
    assert '"GET /follow/…?filed=1 HTTP/1.1" 200' in caplog.text and "/open311/v2/tokens/… " in caplog.text
