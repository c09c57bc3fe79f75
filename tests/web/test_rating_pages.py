"""Rating an answer over HTTP: the form on the follow page in both languages, with and without
htmx, its refusals, and the moderators' pages that reopen, close and publish."""

from __future__ import annotations

import re

from backend.cases.tables import Case, Rating, TimelineEntry
from tests.cases.test_ratings import answered
from tests.support import CROSS_SITE, jpeg

ZH = {"accept-language": "zh-CN"}
EN = {"accept-language": "en"}


async def rating_form(client, token: str, headers=EN) -> str:
    page = await client.get(f"/follow/{token}", headers=headers)
    assert page.status_code == 200
    return page.text


async def test_the_follow_page_offers_the_rating_form_once_answered_in_both_languages(settings, categories, client):
    filed = await answered(settings, categories)
    chinese = await rating_form(client, filed.follow_token, ZH)
    for text in ("评价答复", "满意", "基本满意", "不满意", "问题是否真正解决了？", f'action="/follow/{filed.follow_token}/rating"'):
        assert text in chinese, text
    english = await rating_form(client, filed.follow_token, EN)
    for text in ("Rate the answer", "Satisfied", "Basically satisfied", "Unsatisfied", "Was the problem actually solved?"):
        assert text in english, text
    assert 'enctype="multipart/form-data"' in english and "<script>" not in english and "style=" not in english
    assert '<label for="field-comment">' in english


async def test_a_satisfied_rating_over_a_plain_form_post(settings, categories, client):
    filed = await answered(settings, categories)
    await rating_form(client, filed.follow_token)
    fields = {"satisfaction": "satisfied", "solved": "yes", "comment": "谢谢，修好了"}
    response = await client.post(f"/follow/{filed.follow_token}/rating", data=fields, headers=EN)
    assert response.status_code == 303 and response.headers["location"] == f"/follow/{filed.follow_token}?rated=1#rating"
    page = await client.get(response.headers["location"], headers=EN)
    assert "Thank you for rating the answer." in page.text and "Rated by the filer: closed" in page.text
    assert "Rate the answer" not in page.text and "谢谢，修好了" in page.text
    again = await client.post(f"/follow/{filed.follow_token}/rating", data=fields, headers=EN)
    assert again.status_code == 409 and "You have already rated this answer." in again.text
    chinese = await client.post(f"/follow/{filed.follow_token}/rating", data=fields, headers=ZH)
    assert chinese.status_code == 409 and "您已经评价过这个答复" in chinese.text
    assert await Rating.count() == 1


async def test_no_signed_in_staff_rates_through_a_follow_link(person, settings, categories):
    filed = await answered(settings, categories)
    handler = await person("handler", department_id=categories["water"].department)
    staff_page = await handler.client.get(f"/staff/cases/{filed.number}")
    assert staff_page.status_code == 200 and filed.follow_token not in staff_page.text
    page = await rating_form(handler.client, filed.follow_token)
    assert 'name="satisfaction"' not in page and "signed in with an official account" in page  # no form to fill in
    fields = {"satisfaction": "satisfied", "solved": "yes"}
    refused = await handler.client.post(f"/follow/{filed.follow_token}/rating", data=fields, headers=EN)
    assert refused.status_code == 403 and "signed in with an official account" in refused.text
    assert (await Case.select(Case.status).where(Case.number == filed.number).first())["status"] == "replied"
    assert await Rating.count() == 0


async def test_refusals_keep_what_was_typed_and_name_the_fields(settings, categories, client):
    filed = await answered(settings, categories)
    await rating_form(client, filed.follow_token)
    url = f"/follow/{filed.follow_token}/rating"
    response = await client.post(url, data={"satisfaction": "perfect", "comment": "还是漏水" + "!" * 1000}, headers=EN)
    assert response.status_code == 422
    text = response.text
    for message in ("Choose how satisfied you are with the answer.", "Say whether the problem was actually solved.", "The comment is too long (at most 1000 characters)."):
        assert message in text
    assert "还是漏水" in text and 'aria-describedby="error-comment"' in text and 'id="error-solved"' in text
    chinese = await client.post(url, data={"satisfaction": "satisfied", "comment": "部分解决"}, headers=ZH)
    assert chinese.status_code == 422 and "请说明问题是否真正解决了。" in chinese.text
    assert re.search(r'value="satisfied" required\s+checked', chinese.text) and "部分解决" in chinese.text
    # A file where text belongs counts as empty, never a server error.
    odd = await client.post(url, data={"solved": "yes"}, files={"satisfaction": ("x.txt", b"satisfied", "text/plain")}, headers=EN)
    assert odd.status_code == 422 and "Choose how satisfied you are with the answer." in odd.text
    cross_site = await client.post(url, data={"satisfaction": "satisfied", "solved": "yes"}, headers={**EN, **CROSS_SITE})
    assert cross_site.status_code == 403 and "This was sent from another website, so nothing was done." in cross_site.text
    assert (await Case.select(Case.status).first())["status"] == "replied"


async def test_htmx_gets_the_form_back_or_a_redirect(settings, categories, client):
    filed = await answered(settings, categories)
    await rating_form(client, filed.follow_token)
    url = f"/follow/{filed.follow_token}/rating"
    htmx = {**EN, "hx-request": "true"}
    response = await client.post(url, data={"comment": "没选"}, headers=htmx)
    assert response.status_code == 422 and response.text.lstrip().startswith("<form id=\"rating-form\"") and "没选" in response.text
    response = await client.post(url, data={"satisfaction": "unsatisfied", "solved": "no"}, headers=htmx)
    assert response.headers["hx-redirect"] == f"/follow/{filed.follow_token}?rated=1#rating"
    page = await client.get(f"/follow/{filed.follow_token}?rated=1", headers=EN)
    assert "The platform centre will look at your case again" in page.text


async def test_a_photo_comes_with_the_form_without_script(settings, categories, client):
    filed = await answered(settings, categories)
    await rating_form(client, filed.follow_token)
    url = f"/follow/{filed.follow_token}/rating"
    response = await client.post(
        url,
        data={"satisfaction": "unsatisfied", "solved": "no", "comment": "又坏了"},
        files={"photos": ("again.jpg", jpeg(), "image/jpeg")},
        headers=EN,
    )
    assert response.status_code == 303
    entry = await TimelineEntry.objects().where(TimelineEntry.action == "rate_unsatisfied").first()
    page = await client.get(f"/follow/{filed.follow_token}", headers=EN)
    assert f'id="entry-{entry.id}"' in page.text and page.text.count("/media/") >= 2  # the case's photo and the rating's


async def test_no_form_and_no_rating_before_the_answer_and_for_unknown_links(settings, categories, client):
    from tests.cases.test_filing import file, form

    filed = await file(settings, form(categories["water"]))
    page = await rating_form(client, filed.follow_token)
    assert "Rate the answer" not in page
    response = await client.post(f"/follow/{filed.follow_token}/rating", data={"satisfaction": "satisfied", "solved": "yes"}, headers=EN)
    assert response.status_code == 409 and "You can rate the answer once it is published." in response.text
    for unknown in ("x" * 43, "short"):
        assert (await client.get(f"/follow/{unknown}")).status_code == 404
        response = await client.post(f"/follow/{unknown}/rating", data={"satisfaction": "satisfied", "solved": "yes"})
        assert response.status_code == 404


async def test_moderators_reopen_close_and_publish(person, settings, categories, client):
    water = categories["water"].department
    unhappy = await answered(settings, categories, title="水管修了又漏")
    not_solved = await answered(settings, categories, title="水压一直很低")
    for filed, comment in ((unhappy, "我是王先生13800138000，水管又漏了"), (not_solved, "还是没水")):
        await rating_form(client, filed.follow_token)
        await client.post(f"/follow/{filed.follow_token}/rating", data={"satisfaction": "unsatisfied", "solved": "no", "comment": comment})
    moderator = await person("moderator")
    queue = await moderator.client.get("/moderation")
    assert "水管修了又漏" in queue.text and "水压一直很低" in queue.text and "2 cases wait for your decision." in queue.text
    staff = await moderator.client.get(f"/staff/cases/{unhappy.number}")
    assert "Reopened (重办): back to the department" in staff.text and "水管又漏了" in staff.text
    assert (await moderator.post_form(f"/staff/cases/{unhappy.number}/reopen", {"body": "请重新检修"})).status_code == 303
    row = await Case.select(Case.status, Case.department, Case.reopened_count).where(Case.number == unhappy.number).first()
    assert row == {"status": "assigned", "department": water, "reopened_count": 1}
    handler = await person("handler", department_id=water)
    assert "水管修了又漏" in (await handler.client.get("/department")).text

    refused = await moderator.post_form(f"/staff/cases/{not_solved.number}/close", {"body": ""})
    assert refused.status_code == 422
    await moderator.post_form(f"/staff/cases/{not_solved.number}/close", {"body": "经检测水压符合标准，高峰时段偏低属正常现象。"})
    follow = await client.get(f"/follow/{not_solved.follow_token}", headers=EN)
    assert "Closed by the platform centre" in follow.text and "经检测水压符合标准" in follow.text
    assert "经检测水压符合标准" not in (await client.get(f"/cases/{not_solved.number}")).text

    ratings_page = await moderator.client.get("/moderation/ratings")
    assert ratings_page.status_code == 200 and "我是王先生13800138000，水管又漏了" in ratings_page.text
    rating_id = (await Rating.select(Rating.id).order_by(Rating.id).first())["id"]
    too_long = await moderator.post_form(f"/moderation/ratings/{rating_id}", {"decision": "publish", "comment": "长" * 1001})
    assert too_long.status_code == 422 and "长" * 1001 in too_long.text
    published = await moderator.post_form(f"/moderation/ratings/{rating_id}", {"decision": "publish", "comment": "水管又漏了"})
    assert published.status_code == 303 and published.headers["location"] == "/moderation/ratings"
    assert (await moderator.post_form(f"/moderation/ratings/{rating_id}", {"decision": "publish"})).status_code == 409
    public = await client.get(f"/cases/{unhappy.number}", headers=EN)
    assert "Unsatisfied" in public.text and "水管又漏了" in public.text and "13800138000" not in public.text
    chinese = await client.get(f"/cases/{unhappy.number}", headers=ZH)
    assert "不满意" in chinese.text and "问题没有解决" in chinese.text
