"""The knowledge base's staff pages: forms that keep what was typed, a department's own entries,
the history, the list for review, and the centre's direct answer from the case page."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.tables import Case
from backend.knowledge import services
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.knowledge.helpers import department_editor, entry


async def test_entry_forms_keep_what_was_typed_and_save_a_history(person, categories):
    moderator = await person("moderator")
    typed = {"question": "问", "answer": "<script>alert(1)</script>", "valid_until": "2027-13-01", "public": "yes"}
    refused = await moderator.post_form("/staff/knowledge", typed)
    assert refused.status_code == 422
    assert "Write the question (4 to 200 characters)." in refused.text and "Enter a date from 2000 to 2100 such as 2027-06-30" in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text and "<script>alert(1)" not in refused.text
    huge = await moderator.post_form("/staff/knowledge", {"question": "问" * 10_000, "answer": "答" * 100_000})
    assert huge.status_code in (413, 422)
    saved = await moderator.post_form("/staff/knowledge", {"question": "居住证怎么办理？", "answer": "到居住地派出所户籍窗口办理。", "public": "yes"})
    assert saved.status_code == 303
    location = saved.headers["location"]
    await moderator.post_form(location, {"question": "居住证怎么办理？", "answer": "可在政务服务网上办理，五个工作日寄达。", "public": "yes"})
    history = await moderator.client.get(f"{location}/history")
    assert history.status_code == 200 and "Version 2" in history.text and "到居住地派出所户籍窗口办理。" in history.text
    zh = await moderator.client.get(f"{location}/history", headers={"accept-language": "zh-CN"})
    assert "第 2 版" in zh.text


async def test_a_department_sees_and_changes_only_its_own(person, categories):
    water, roads = categories["water"].department, categories["roads"].department
    own = await entry(department_editor(water))
    theirs = await entry(question="道路挖掘许可怎么办？", department_id=str(roads))
    handler = await person("handler", department_id=water)
    listed = await handler.client.get("/staff/knowledge")
    assert f'href="/staff/knowledge/{own}"' in listed.text and f'href="/staff/knowledge/{theirs}"' not in listed.text
    for path in (f"/staff/knowledge/{theirs}", f"/staff/knowledge/{theirs}/history"):
        assert (await handler.client.get(path)).status_code == 404
    changed = await handler.post_form(f"/staff/knowledge/{theirs}", {"question": "改别人的条目", "answer": "这不是本部门的条目。"})
    assert changed.status_code == 404
    assert (await handler.client.get("/staff/knowledge/abc")).status_code in (400, 404)
    # Its own: written as the department, whatever department the form names.
    saved = await handler.post_form("/staff/knowledge", {"question": "停水了去哪里打水？", "answer": "各小区门口设有临时供水点。", "department_id": str(roads)})
    assert saved.status_code == 303
    created = await services.staff_entry(int(saved.headers["location"].rsplit("/", 1)[1]), department_editor(water))
    assert created.department_id == water
    history = await handler.client.get(f"{saved.headers['location']}/history")
    assert "市自来水公司" in history.text


async def test_expired_entries_are_listed_for_review(person):
    expired = await entry(valid_until=(services.today() - timedelta(days=1)).isoformat())
    await entry(question="公交卡丢了怎么办？")
    moderator = await person("moderator")
    page = await moderator.client.get("/staff/knowledge")
    to_review = page.text.split('id="due-heading"')[1].split('id="all-heading"')[0]
    assert f'href="/staff/knowledge/{expired}"' in to_review and "公交卡" not in to_review
    assert 'href="/staff/knowledge"' in page.text  # in the navigation, with the count


async def test_the_centre_answers_a_consultation_from_the_case_page(person, settings, categories):
    entry_id = await entry()
    number = (await file(settings, form(categories["water"], case_type="consultation", title="请问居住证怎么办理"))).number
    moderator = await person("moderator")
    page = await moderator.client.get(f"/staff/cases/{number}")
    assert 'name="knowledge_entry_id"' in page.text and f'<option value="{entry_id}"' in page.text
    refused = await moderator.post_form(f"/staff/cases/{number}/answer_from_knowledge", {"knowledge_entry_id": "abc", "body": "您好"})
    assert refused.status_code == 422 and "Choose an entry of the knowledge base" in refused.text and "您好" in refused.text
    done = await moderator.post_form(f"/staff/cases/{number}/answer_from_knowledge", {"knowledge_entry_id": str(entry_id)})
    assert done.status_code == 303
    assert (await Case.select(Case.status).where(Case.number == number).first())["status"] == Status.replied.value
    complaint = (await file(settings, form(categories["water"]))).number
    assert 'name="knowledge_entry_id"' not in (await moderator.client.get(f"/staff/cases/{complaint}")).text
