"""The handling workflow over HTTP: each page and action, with the role checks, and what the
filer and the public then see."""

from __future__ import annotations

from datetime import timedelta

from backend import clock
from backend.cases import services, workflow
from backend.cases.tables import Case, CoHandler, TimelineEntry
from tests.cases.test_filing import file, form


async def filed(settings, categories, **overrides):
    return await file(settings, form(categories["water"], **overrides))


async def test_moderator_accepts_and_assigns_with_a_co_handler(person, settings, categories):
    case = await filed(settings, categories)
    moderator = await person("moderator")
    queue = await moderator.client.get("/moderation")
    assert case.number in queue.text
    page = await moderator.client.get(f"/staff/cases/{case.number}")
    assert "Accepted for handling" in page.text and "王**" in page.text and "王先生" not in page.text  # masked until revealed
    assert (await moderator.post_form(f"/staff/cases/{case.number}/accept", {"case_type": "complaint"})).status_code == 303
    water, roads = categories["water"].department, categories["roads"].department
    response = await moderator.post_form(
        f"/staff/cases/{case.number}/assign", {"department_id": str(water), "co_department_ids": [str(roads), str(water)]}
    )
    assert response.status_code == 303 and response.headers["location"].startswith(f"/staff/cases/{case.number}#entry-")
    row = await Case.select(Case.status, Case.department).where(Case.number == case.number).first()
    assert row == {"status": "assigned", "department": water}
    assert [r["department"] for r in await CoHandler.select(CoHandler.department)] == [roads]


async def test_a_refused_action_keeps_what_was_typed(person, settings, categories):
    case = await filed(settings, categories)
    moderator = await person("moderator")
    response = await moderator.post_form(f"/staff/cases/{case.number}/mark_duplicate", {"duplicate_of": "2026-999999", "body": "重复反映"})
    assert response.status_code == 422
    assert "2026-999999" in response.text and "重复反映" in response.text
    assert "Give the number of the case this one repeats." in response.text
    response = await moderator.post_form(f"/staff/cases/{case.number}/reject", {"body": "  "})
    assert response.status_code == 422
    response = await moderator.post_form(f"/staff/cases/{case.number}/sign")
    assert response.status_code == 403  # a moderator does not sign for departments
    response = await moderator.post_form(f"/staff/cases/{case.number}/teleport")
    assert response.status_code == 409


async def test_rejection_and_duplicates_are_explained_on_the_follow_page(person, settings, categories, client):
    first = await filed(settings, categories)
    again = await filed(settings, categories)
    moderator = await person("moderator")
    await moderator.post_form(f"/staff/cases/{first.number}/reject", {"body": "不属于本平台受理范围，请拨打110"})
    follow = await client.get(f"/follow/{first.follow_token}", headers={"accept-language": "en"})
    assert "不属于本平台受理范围，请拨打110" in follow.text
    assert (await client.get(f"/cases/{first.number}")).status_code == 404
    third = await filed(settings, categories)
    await moderator.post_form(f"/staff/cases/{third.number}/accept")
    await moderator.post_form(f"/staff/cases/{again.number}/mark_duplicate", {"duplicate_of": third.number})
    follow = await client.get(f"/follow/{again.follow_token}", headers={"accept-language": "en"})
    assert f"This case repeats case {third.number}" in follow.text and f'href="/cases/{third.number}"' in follow.text


async def test_redaction_keeps_the_original_for_staff_only(person, settings, categories, client):
    case = await filed(settings, categories, title="张三家门口水管爆裂", description="我是张三，电话13800138000，门口水管爆裂。")
    moderator = await person("moderator")
    response = await moderator.post_form(
        f"/staff/cases/{case.number}/redact", {"title": "门口水管爆裂", "description": "门口水管爆裂，水流到路上。"}
    )
    assert response.status_code == 303
    await moderator.post_form(f"/staff/cases/{case.number}/accept")
    public = await client.get(f"/cases/{case.number}")
    assert "门口水管爆裂" in public.text and "张三" not in public.text and "13800138000" not in public.text
    staff = await moderator.client.get(f"/staff/cases/{case.number}")
    assert "我是张三" in staff.text  # the original, in the history


async def department_case(person, settings, categories, moderator=None):
    case = await filed(settings, categories)
    moderator = moderator or await person("moderator")
    await moderator.post_form(f"/staff/cases/{case.number}/accept")
    await moderator.post_form(f"/staff/cases/{case.number}/assign", {"department_id": str(categories["water"].department)})
    handler = await person("handler", department_id=categories["water"].department)
    return case, moderator, handler


async def test_department_signs_posts_progress_and_drafts_a_reply_that_moderation_publishes(person, settings, categories, client):
    case, moderator, handler = await department_case(person, settings, categories)
    workspace = await handler.client.get("/department")
    assert case.number in workspace.text
    assert (await handler.post_form(f"/staff/cases/{case.number}/sign")).status_code == 303
    await handler.post_form(f"/staff/cases/{case.number}/record_contact", {"body": "21:05 电话联系张女士，约定明早上门"})
    await handler.post_form(f"/staff/cases/{case.number}/post_progress", {"body": "21:00 仍在抢修", "internal": "false"})
    await handler.post_form(f"/staff/cases/{case.number}/post_progress", {"body": "内部：需调用挖掘机", "internal": "true"})
    await handler.post_form(f"/staff/cases/{case.number}/draft_reply", {"body": "管道已于02:40修复，供水恢复。"})
    public = await client.get(f"/cases/{case.number}")
    for unseen in ("21:00 仍在抢修", "管道已于02:40修复", "需调用挖掘机", "约定明早上门"):
        assert unseen not in public.text  # nothing before review, nothing internal
    follow = await client.get(f"/follow/{case.follow_token}")
    assert "约定明早上门" in follow.text and "需调用挖掘机" not in follow.text

    review = await moderator.client.get("/moderation/review")
    assert "21:00 仍在抢修" in review.text and "管道已于02:40修复" in review.text
    pending = await workflow.pending_reviews()
    progress, reply = pending
    assert (await moderator.post_form(f"/moderation/review/{progress.entry_id}", {"decision": "approve", "text": progress.body, "original": progress.body})).status_code == 303
    await moderator.post_form(
        f"/moderation/review/{reply.entry_id}",
        {"decision": "edit", "text": "管道已于凌晨2:40修复，供水已恢复。", "original": reply.body},
    )
    public = await client.get(f"/cases/{case.number}")
    assert "21:00 仍在抢修" in public.text and "管道已于凌晨2:40修复，供水已恢复。" in public.text
    assert "管道已于02:40修复" not in public.text  # the department's draft stays for staff
    assert (await Case.select(Case.status).where(Case.number == case.number).first())["status"] == "replied"
    staff = await moderator.client.get(f"/staff/cases/{case.number}")
    assert "管道已于02:40修复" in staff.text


async def test_send_back_needs_a_comment_and_keeps_the_text_from_the_public(person, settings, categories, client):
    case, moderator, handler = await department_case(person, settings, categories)
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    await handler.post_form(f"/staff/cases/{case.number}/draft_reply", {"body": "已处理。"})
    reply = (await workflow.pending_reviews())[0]
    response = await moderator.post_form(f"/moderation/review/{reply.entry_id}", {"decision": "send_back", "comment": " "})
    assert response.status_code == 422
    await moderator.post_form(f"/moderation/review/{reply.entry_id}", {"decision": "send_back", "comment": "请写明处理结果和时间"})
    assert await workflow.pending_reviews() == []
    assert "已处理。" not in (await client.get(f"/cases/{case.number}")).text
    assert "请写明处理结果和时间" in (await handler.client.get(f"/staff/cases/{case.number}")).text
    again = await moderator.post_form(f"/moderation/review/{reply.entry_id}", {"decision": "approve"})
    assert again.status_code == 409


async def test_a_returned_case_goes_back_to_the_moderators(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    response = await handler.post_form(f"/staff/cases/{case.number}/return", {"body": "该路段属于市政设施管理处"})
    assert response.status_code == 303 and response.headers["location"] == "/department"
    assert (await handler.client.get(f"/staff/cases/{case.number}")).status_code == 404
    assert case.number in (await moderator.client.get("/moderation")).text
    returned = await TimelineEntry.select(TimelineEntry.department).where(TimelineEntry.action == "return").first()
    assert returned["department"] == categories["water"].department  # counted against who returned it
    roads = categories["roads"].department
    await moderator.post_form(f"/staff/cases/{case.number}/assign", {"department_id": str(roads)})
    assert (await Case.select(Case.status).where(Case.number == case.number).first())["status"] == "assigned"


async def test_co_handlers_add_their_part_but_only_the_lead_replies(person, settings, categories):
    case = await filed(settings, categories)
    moderator = await person("moderator")
    water, roads = categories["water"].department, categories["roads"].department
    await moderator.post_form(f"/staff/cases/{case.number}/accept")
    await moderator.post_form(f"/staff/cases/{case.number}/assign", {"department_id": str(water), "co_department_ids": str(roads)})
    lead = await person("handler", department_id=water)
    co = await person("handler", department_id=roads)
    assert case.number in (await co.client.get("/department")).text
    assert (await co.post_form(f"/staff/cases/{case.number}/sign")).status_code == 403
    await lead.post_form(f"/staff/cases/{case.number}/sign")
    assert (await co.post_form(f"/staff/cases/{case.number}/post_progress", {"body": "路面已围挡", "internal": "true"})).status_code == 303
    assert (await co.post_form(f"/staff/cases/{case.number}/draft_reply", {"body": "x"})).status_code == 403
    page = await co.client.get(f"/staff/cases/{case.number}")
    assert "Official reply" not in page.text.split("What you can do")[-1]


async def test_extensions_are_asked_for_and_answered(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    assert (await moderator.post_form(f"/staff/cases/{case.number}/grant_extension")).status_code == 409
    bad = await handler.post_form(f"/staff/cases/{case.number}/request_extension", {"body": "需要更换主管道", "due_date": "2020-01-01"})
    assert bad.status_code == 422 and "需要更换主管道" in bad.text
    handler.client.headers["accept-language"] = "en"
    for too_far in ("9999-12-31", (clock.now() + timedelta(days=367)).date().isoformat()):
        far = await handler.post_form(f"/staff/cases/{case.number}/request_extension", {"body": "需要更换主管道", "due_date": too_far})
        assert far.status_code == 422 and "at most a year from today" in far.text and "需要更换主管道" in far.text
    soon = (clock.now() + timedelta(days=30)).date().isoformat()
    full_width = "".join(chr(0xFF10 + int(c)) for c in soon[:4]) + soon[4:]  # a year no date field sends
    odd = await handler.post_form(f"/staff/cases/{case.number}/request_extension", {"body": "需要更换主管道", "due_date": full_width})
    assert odd.status_code == 422 and "需要更换主管道" in odd.text
    within_a_year = (clock.now() + timedelta(days=360)).date()
    ok = await handler.post_form(f"/staff/cases/{case.number}/request_extension", {"body": "需要更换主管道", "due_date": within_a_year.isoformat()})
    assert ok.status_code == 303
    assert (await moderator.post_form(f"/staff/cases/{case.number}/grant_extension", {"body": "同意"})).status_code == 303
    granted = await TimelineEntry.select(TimelineEntry.due_at, TimelineEntry.visibility).where(TimelineEntry.action == "grant_extension").first()
    assert granted["due_at"].date() == within_a_year and granted["visibility"] == "public"


async def test_leaders_see_cases_but_not_the_filers_contact(person, settings, categories):
    case, _, _ = await department_case(person, settings, categories)
    leader = await person("leader")
    page = await leader.client.get(f"/staff/cases/{case.number}")
    assert page.status_code == 200 and "王先生" not in page.text and "13800138000" not in page.text
    # A leader's own actions only: instruct, supervise, escalate; never a department's or the centre's.
    for action in ("instruct", "supervise", "escalate", "take_charge"):
        assert f"/staff/cases/{case.number}/{action}" in page.text
    for action in ("sign", "post_internal_note", "draft_reply", "assign"):
        assert f"/staff/cases/{case.number}/{action}\"" not in page.text
    assert (await leader.post_form(f"/staff/cases/{case.number}/post_internal_note", {"body": "x"})).status_code == 403
    view = await services.staff_case(case.number)
    assert view.filer_name == "王先生"


def intake_fields(categories, **overrides) -> dict:
    fields = {
        "source": "hotline",
        "source_url": "",
        "case_type": "complaint",
        "category_id": str(categories["water"].id),
        "title": "来电反映小区停水",
        "description": "来电人反映文津花园小区从早上八点起停水，至今未恢复。",
        "address": "文津花园小区",
        "filer_name": "刘女士",
        "filer_phone": "",
        "publication": "private",
        "submission_key": "intake-key-0123456789abcdef",
    }
    fields.update(overrides)
    return fields


async def test_the_centre_records_a_hotline_call_and_a_social_media_post(person, categories, client):
    moderator = await person("moderator")
    assert (await moderator.client.get("/moderation/intake")).status_code == 200
    response = await moderator.post_form("/moderation/intake", intake_fields(categories))
    assert response.status_code == 201
    number = response.text.split('href="/staff/cases/')[1].split('"')[0]
    row = await Case.select(Case.source, Case.status, Case.filer_phone).where(Case.number == number).first()
    assert row == {"source": "hotline", "status": "submitted", "filer_phone": ""}
    # The link to give the caller: on the intake page right after recording, and nowhere else.
    follow_url = response.text.split('<code class="follow-link">')[1].split("<")[0]
    assert (await client.get(follow_url.removeprefix("http://localhost:8000"))).status_code == 200
    page = await moderator.client.get(f"/staff/cases/{number}")
    assert "12345 hotline call" in page.text and "/follow/" not in page.text
    again = await moderator.post_form("/moderation/intake", intake_fields(categories))  # a double click
    assert f'href="/staff/cases/{number}"' in again.text and follow_url in again.text

    refused = await moderator.post_form(
        "/moderation/intake", intake_fields(categories, source="social", source_url="javascript:alert(1)", submission_key="intake-key-social-0123456789")
    )
    assert refused.status_code == 422 and "来电反映小区停水" in refused.text
    assert "Give the address (URL) of the post" in refused.text

    async def post_address_kept(typed: str, key: str) -> str:
        posted = await moderator.post_form("/moderation/intake", intake_fields(categories, source="social", source_url=typed, submission_key=key))
        assert posted.status_code == 201
        social = posted.text.split('href="/staff/cases/')[1].split('"')[0]
        return (await Case.select(Case.source_url).where(Case.number == social).first())["source_url"]

    assert await post_address_kept("https://weibo.com/123/abc", "intake-key-social-0123456789") == "https://weibo.com/123/abc"
    for hostile in ({"source": "web"}, {"source": "carrier-pigeon"}, {"filer_phone": "not a phone"}):
        assert (await moderator.post_form("/moderation/intake", intake_fields(categories, **hostile))).status_code == 422
    # Control characters never reach the database (PostgreSQL refuses a NUL): dropped like in every text.
    assert await post_address_kept("https://weibo.com/\u202e456/gpj", "intake-key-social-rlo-0123456") == "https://weibo.com/456/gpj"


def main_navigation(html: str) -> str:
    return html.split('<nav aria-label="Main"')[1].split("</nav>")[0]


async def test_the_navigation_counts_what_waits_for_each_role(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    await filed(settings, categories)
    await filed(settings, categories)
    nav = main_navigation((await moderator.client.get("/cases")).text)
    assert 'href="/moderation"' in nav and "New cases" in nav and 'data-count="2"' in nav
    assert 'href="/moderation/review"' in nav and 'data-count="0"' in nav
    nav = main_navigation((await handler.client.get("/department")).text)
    assert 'href="/department" aria-current="page"' in nav and 'data-count="1"' in nav
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    await handler.post_form(f"/staff/cases/{case.number}/draft_reply", {"body": "已修复。"})
    nav = main_navigation((await moderator.client.get("/moderation")).text)
    assert nav.count('data-count="2"') == 1 and nav.count('data-count="1"') == 1  # two new cases, one text to review
    leader = await person("leader")
    assert 'href="/leader"' in main_navigation((await leader.client.get("/")).text)  # no queue: "My work"


async def test_a_co_handling_department_counts_its_cases_too(person, settings, categories):
    case = await filed(settings, categories)
    moderator = await person("moderator")
    await moderator.post_form(f"/staff/cases/{case.number}/accept")
    roads = categories["roads"].department
    await moderator.post_form(
        f"/staff/cases/{case.number}/assign", {"department_id": str(categories["water"].department), "co_department_ids": str(roads)}
    )
    co = await person("handler", department_id=roads)
    nav = main_navigation((await co.client.get("/department")).text)
    assert 'data-count="1"' in nav
