"""What is rendered for someone signed in is kept by no cache, and secrets in paths (follow
links, invitations) stay out of the access log."""

from __future__ import annotations

import logging

from tests.cases.test_ratings import answered


async def test_every_response_for_a_signed_in_session_is_private(person, client, settings, categories):
    filed = await answered(settings, categories)
    moderator = await person("moderator")
    for path in ("/", "/cases", f"/cases/{filed.number}", "/departments", "/report", "/moderation"):
        seen = await moderator.client.get(path)
        assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store", path
    public = await client.get("/cases")
    assert "private" not in public.headers.get("cache-control", "")  # the same page, for anyone


async def test_follow_tokens_invitations_and_notification_links_stay_out_of_the_access_log(caplog, client, settings, categories):
    filed = await answered(settings, categories)
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        for path in (f"/follow/{filed.follow_token}?filed=1", f"/api/v1/follow/{filed.follow_token}/rating",
                     f"/open311/v2/tokens/{filed.follow_token}.json", "/invitations/secret-invitation-token/options",
                     "/notifications/unsubscribe/12.signed-unsubscribe-link", "/notifications/verify/12.signed-check-link"):
            # As uvicorn writes each request (after the app has started in the process).
            access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", path, "1.1", 200)
    assert len(caplog.records) == 6
    assert filed.follow_token not in caplog.text and "secret-invitation-token" not in caplog.text
    assert "signed-unsubscribe-link" not in caplog.text and "signed-check-link" not in caplog.text
    assert '"GET /follow/…?filed=1 HTTP/1.1" 200' in caplog.text and "/open311/v2/tokens/… " in caplog.text
