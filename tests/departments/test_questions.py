"""A category's own questions: admins write them, filings answer them on every channel."""

from __future__ import annotations

import re

import pytest

from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.cases.tables import Case, CaseAnswer
from backend.departments import questions
from backend.departments.questions import QuestionForm
from backend.departments.services import OrganisationError
from tests.cases.test_filing import file, form
from tests.keys import bearer
from tests.support import report_fields

ADMIN = Who(None, "test admin")


@pytest.fixture
async def asked(categories):
    """The water category asks which floor (required) and what is wrong (a list)."""
    water = categories["water"].id
    await questions.save_question(water, None, QuestionForm(code="floor", description="几楼？", description_en="Which floor?", datatype="number", required="yes"), actor=ADMIN)
    await questions.save_question(
        water, None,
        QuestionForm(code="kind", description="什么问题？", description_en="What is wrong?", datatype="multivaluelist", choices="leak=漏水=Leak\nnone=停水=No water", position="1"),
        actor=ADMIN,
    )
    return water


async def test_questions_are_checked_and_audited(categories, asked):
    found = await questions.questions_of(asked)
    assert [(q.code, q.required, [c.key for c in q.choices]) for q in found] == [("floor", True, []), ("kind", False, ["leak", "none"])]
    with pytest.raises(OrganisationError) as taken:
        await questions.save_question(asked, None, QuestionForm(code="floor", description="又一个"), actor=ADMIN)
    assert "code" in taken.value.errors
    with pytest.raises(OrganisationError) as no_choices:
        await questions.save_question(asked, None, QuestionForm(code="x", description="选一个", datatype="singlevaluelist"), actor=ADMIN)
    assert "choices" in no_choices.value.errors
    checked = questions.check_answers(found, {"floor": ["三"], "kind": ["leak", "fire"]})
    assert set(checked.errors) == {"answer_floor", "answer_kind"}
    assert questions.check_answers(found, {}).errors == {"answer_floor": "Answer this question."}
    good = questions.check_answers(found, {"floor": ["3"], "kind": ["leak", "none"], "other": ["x"]})
    assert [(a.code, a.value) for a in good.answers] == [("floor", "3"), ("kind", "leak,none")]
    assert await AuditEvent.count().where(AuditEvent.action == "category_changed") == 2


async def test_filings_answer_them_and_staff_read_the_answers(settings, categories, asked):
    with pytest.raises(Exception) as missing:
        await file(settings, form(categories["water"]))
    assert "answer_floor" in missing.value.errors
    filed = await file(settings, form(categories["water"], answers={"floor": ["3"]}))
    case = await Case.objects().where(Case.number == filed.number).first()
    assert await CaseAnswer.select(CaseAnswer.code, CaseAnswer.question, CaseAnswer.value).where(CaseAnswer.case == case.id) == [
        {"code": "floor", "question": "几楼？", "value": "3"}
    ]
    # Other categories ask nothing.
    await file(settings, form(categories["roads"]))


async def test_the_report_form_asks_the_chosen_categorys_questions(client, categories, asked):
    page = await client.get("/report")
    assert f'data-questions-for="{asked}"' in page.text and f'name="answer_{asked}_floor"' in page.text
    fields = report_fields(asked, submission_key="s" * 30)
    refused = await client.post("/report", data=fields)
    assert refused.status_code == 422 and 'id="error-answer_floor"' in refused.text
    filed = await client.post("/report", data={**fields, f"answer_{asked}_floor": "5", f"answer_{asked}_kind": ["leak", "none"]})
    assert filed.status_code == 303
    assert {row["value"] for row in await CaseAnswer.select(CaseAnswer.value)} == {"5", "leak,none"}


async def test_admins_edit_questions_on_the_category_page(person, categories):
    admin = await person("admin")
    water = categories["water"].id
    added = await admin.post_form(f"/admin/categories/{water}/questions", {"code": "floor", "description": "几楼？", "datatype": "number", "required": "yes"})
    assert added.status_code == 303
    page = await admin.client.get(f"/admin/categories/{water}")
    assert "几楼？" in page.text
    question_id = (await questions.questions_of(water))[0].id
    bad = await admin.post_form(f"/admin/categories/{water}/questions/{question_id}", {"code": "Floor!", "description": "几楼？", "datatype": "number"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    changed = await admin.post_form(f"/admin/categories/{water}/questions/{question_id}", {"code": "floor", "description": "在几楼？", "datatype": "number"})
    assert changed.status_code == 303 and (await questions.questions_of(water))[0].description == "在几楼？"
    assert (await admin.post_form(f"/admin/categories/{water}/questions/{question_id}/remove")).status_code == 303
    assert await questions.questions_of(water) == []
    assert (await admin.post_form(f"/admin/categories/{water}/questions/{question_id}/remove")).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_services_carry_them_as_attributes(client, api_key, categories, asked, fmt):
    from tests.open311.test_georeport import get, parse

    _, services = await get(client, "services", fmt)
    assert [service["metadata"] for service in services] in ([True, False, False], ["true", "false", "false"])
    _, definition = await get(client, "services/water", fmt)
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["floor", "kind"]
    kind = attributes[1]
    assert kind["datatype"] == "multivaluelist" and kind["variable"] in (True, "true") and kind["order"] in (2, "2")
    assert [value["key"] for value in kind["values"]] == ["leak", "none"]
    key = await api_key("file")
    base = {"api_key": key, "service_code": "water", "address_string": "朝阳大街 1 号", "description": "楼里的水管漏水了，请尽快处理。"}
    missing = await client.post(f"/open311/v2/requests.{fmt}", data=base)
    assert missing.status_code == 400 and "attribute[floor]" in parse(missing, fmt)[0]["description"]
    filed = await client.post(f"/open311/v2/requests.{fmt}", data={**base, "attribute[floor]": "2", "attribute[kind][]": ["leak", "none"]})
    assert filed.status_code == 201, filed.text
    assert {row["value"] for row in await CaseAnswer.select(CaseAnswer.value)} == {"2", "leak,none"}


async def test_the_api_lists_them_and_takes_answers(client, api_key, categories, asked):
    listed = (await client.get("/api/v1/categories")).json()
    assert [q["code"] for q in listed[0]["questions"]] == ["floor", "kind"] and listed[1]["questions"] == []
    headers = bearer(await api_key("file"))
    body = {
        "case_type": "complaint", "category_id": asked, "title": "楼里漏水", "description": "楼里的水管漏水了，请尽快处理。",
        "address": "朝阳大街 1 号", "filer_name": "王", "filer_phone": "13800138000", "public": False,
    }
    refused = await client.post("/api/v1/cases", json=body, headers=headers)
    assert refused.status_code == 422 and re.match("Answer", refused.json()["fields"]["answer_floor"])
    filed = await client.post("/api/v1/cases", json={**body, "answers": {"floor": ["4"]}}, headers=headers)
    assert filed.status_code == 201


async def test_a_date_answer_is_a_date_of_this_world(categories):
    water = categories["water"].id
    await questions.save_question(water, None, QuestionForm(code="since", description="从何时起？", datatype="datetime", required="yes"), actor=ADMIN)
    found = await questions.questions_of(water)
    for far in ("9999-12-31T23:59:00+08:00", "0001-01-01T00:00:00Z"):
        assert questions.check_answers(found, {"since": [far]}).errors == {"answer_since": "Give a date and time from 1970 to 2999, such as 2026-05-01T09:30+08:00."}
    assert questions.check_answers(found, {"since": ["2026-05-01T09:30+08:00"]}).errors == {}
