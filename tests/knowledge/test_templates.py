"""Reply templates: their placeholders, filling them in for a case on the reply form, and the
review queue's warning for a reply that only repeats one (seed 003)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backend.cases import workflow
from backend.cases.tables import TimelineEntry
from backend.deadlines.services import working_calendar
from backend.knowledge import templates
from backend.knowledge.templates import Facts, Template, TemplateError, TemplateForm
from backend.vocabulary import Status
from tests.cases.test_lifecycle import bring_to, filed_case, handler_of
from tests.knowledge.helpers import MODERATOR, department_editor, template


def test_placeholders_are_known_or_refused():
    assert templates.unknown_placeholders("{filer}您好，编号{case_number}，{working_days:3}前答复。") == []
    assert templates.unknown_placeholders("{name}您好，{working_days:61}") == ["name", "working_days:61"]
    assert templates.unknown_placeholders("{working_days:N}") == ["working_days:N"]
    assert templates.unknown_placeholders("您好 {filer") == ["{ }"]


def test_the_filer_is_addressed_without_their_full_name():
    assert templates.form_of_address("王女士") == "王女士"
    assert templates.form_of_address("李明") == "李先生/女士"
    assert templates.form_of_address("") == templates.form_of_address("John Smith") == "市民朋友"


async def test_filling_in_uses_the_working_calendar():
    zone = ZoneInfo("Asia/Shanghai")
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=zone)
    facts = Facts("2026-000007", "王女士", "市自来水公司", datetime(2026, 12, 8, 17, 0, tzinfo=zone), friday, "Asia/Shanghai", await working_calendar())
    filled = templates.fill("{filer}：{case_number}由{department}办理，{working_days:1}前回复（期限{answer_due}，今天{today}）。", facts)
    assert filled == "王女士：2026-000007由市自来水公司办理，2026年12月7日前回复（期限2026年12月8日，今天2026年12月4日）。"


def test_a_reply_that_only_repeats_a_template_is_recognised():
    body = "{filer}您好，您反映的问题（编号{case_number}）已处理完毕。感谢您的监督。"
    known = [Template(1, "已处理", body, None, "", "")]
    only = "王女士您好，您反映的问题（编号2026-000001）\n已处理完毕。 感谢您的监督。"
    assert templates.repeats_template(only, known) == "已处理"
    assert templates.repeats_template(only + "今天上午已更换爆裂的水管，下午恢复供水。", known) is None
    assert templates.repeats_template("今天上午已更换爆裂的水管。", known) is None
    # Placeholders side by side, at the start or the end; a template without any.
    edges = [Template(2, "边", "{filer}{department}：已办结{today}", None, "", ""), Template(3, "固定", "已办结。", None, "", "")]
    assert templates.repeats_template("王女士市自来水公司：已办结2026年12月4日", edges) == "边"
    assert templates.repeats_template("已办结。", edges) == "固定"
    assert templates.repeats_template("已办结。水管已更换。", edges) is None


def test_recognising_a_template_takes_linear_time_whatever_the_template():
    """A template written to make a regular expression backtrack (a wildcard per placeholder)."""
    hostile = [Template(1, "恶意", "{filer}a" * 1000 + "c", None, "", "")]
    started = time.perf_counter()
    assert templates.repeats_template("a" * 5000 + "b", hostile) is None
    assert time.perf_counter() - started < 1


async def test_bad_templates_are_refused(categories):
    with pytest.raises(TemplateError) as refused:
        await templates.save_template(None, TemplateForm(name="", body="{称呼}您好", department_id="abc"), MODERATOR)
    assert set(refused.value.errors) == {"name", "body", "department_id"}
    with pytest.raises(TemplateError) as refused:
        await templates.save_template(None, TemplateForm(name="x" * 61, body="您好" * 2501), MODERATOR)
    assert set(refused.value.errors) == {"name", "body"}


async def test_a_department_uses_the_centres_templates_and_its_own(categories):
    water, roads = categories["water"].department, categories["roads"].department
    centre = await template(name="通用")
    own = await template(department_editor(water), name="供水", department_id=str(roads))  # its own, whatever it says
    await template(name="道路", department_id=str(roads))
    assert {found.id for found in await templates.templates_for(water)} == {own, centre}
    assert [found.id for found in await templates.editable_templates(department_editor(water))] == [own]
    assert await templates.editable_template(centre, department_editor(water)) is None


async def test_the_reply_form_fills_in_a_template_and_the_review_queue_warns(person, settings, categories):
    water = categories["water"].department
    number = await filed_case(settings, categories, filer_name="王女士")
    await bring_to(number, Status.signed, water)
    template_id = await template()
    handler = await person("handler", department_id=water)
    page = await handler.client.get(f"/staff/cases/{number}")
    assert f'<option value="{template_id}">已处理完毕' in page.text
    filled = await handler.client.get(f"/staff/cases/{number}", params={"template_id": str(template_id)})
    assert f"王女士您好，您反映的问题（编号{number}）已由市自来水公司处理完毕。" in filled.text
    other = await template(name="道路的", department_id=str(categories["roads"].department))
    assert (await handler.client.get(f"/staff/cases/{number}", params={"template_id": str(other)})).status_code == 404
    # Sent as it was filled in: the centre is warned; with what was done for the case: not.
    text = f"王女士您好，您反映的问题（编号{number}）已由市自来水公司处理完毕。感谢您的监督。"
    await workflow.perform(number, "draft_reply", handler_of(water), body=text)
    moderator = await person("moderator")
    queue = await moderator.client.get("/moderation/review")
    assert "Only a template:" in queue.text and "已处理完毕" in queue.text
    pending = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()
    await moderator.post_form(f"/moderation/review/{pending['id']}", {"decision": "send_back", "comment": "请写明具体处理情况"})
    await workflow.perform(number, "draft_reply", handler_of(water), body=text + "3日上午已更换破裂的水管，当日恢复供水。")
    assert "Only a template:" not in (await moderator.client.get("/moderation/review")).text


async def test_template_pages_keep_what_was_typed(person, categories):
    handler = await person("handler", department_id=categories["water"].department)
    refused = await handler.post_form("/staff/templates", {"name": "催办", "body": "{称呼}您好，我们会在{working_days:99}前答复。"})
    assert refused.status_code == 422
    assert "A placeholder is not one of those listed" in refused.text and "{称呼}您好，我们会在{working_days:99}前答复。" in refused.text
    saved = await handler.post_form("/staff/templates", {"name": "催办", "body": "{filer}您好，我们会在{working_days:3}前答复。"})
    assert saved.status_code == 303
    template_id = int(saved.headers["location"].rsplit("-", 1)[1])
    assert (await handler.client.get(f"/staff/templates/{template_id}")).status_code == 200
    centre = await template()
    assert (await handler.client.get(f"/staff/templates/{centre}")).status_code == 404
    assert (await handler.post_form(f"/staff/templates/{centre}", {"name": "改", "body": "改别人的模板内容"})).status_code == 404
