"""The knowledge base: entries with their history, who may change which, what the public reads
and finds, the centre's direct answer from an entry (a row of the lifecycle table), and the
figures that count it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.cases import figures, workflow
from backend.cases.actions import AnswerFromKnowledge
from backend.cases.ratings import RatingForm, rate
from backend.cases.tables import Case, DepartmentFigure, TopicCount
from backend.errors import InvalidInput, NotFound, WrongState
from backend.knowledge import services
from backend.knowledge.services import EntryForm, KnowledgeError
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR as MODERATOR_ACTOR
from tests.knowledge.helpers import MODERATOR, department_editor, entry


def _day(days: int) -> str:
    return (services.today() + timedelta(days=days)).isoformat()


async def test_each_save_is_kept_in_the_history_with_what_it_changed(categories):
    entry_id = await entry(category_id=str(categories["water"].id))
    changed = EntryForm(
        question="居住证怎么办理？", answer="现在可以在网上办理：登录政务服务网，上传身份证和居住证明，五个工作日内寄达。",
        category_id=str(categories["water"].id), valid_until=_day(30),
    )
    await services.save_entry(entry_id, changed, MODERATOR)
    revisions = await services.history(entry_id)
    assert [revision.version for revision in revisions] == [2, 1]
    assert revisions[0].changed == {"answer", "valid_until"}
    assert "十五个工作日" in revisions[1].content["answer"] and "网上办理" in revisions[0].content["answer"]
    assert revisions[0].editor_name == "测试审核员"


async def test_a_department_writes_and_changes_only_its_own_entries(categories):
    water, roads = categories["water"].department, categories["roads"].department
    # A department's entry is its own whatever the form says.
    own = await entry(department_editor(water), department_id=str(roads))
    assert (await services.staff_entry(own, MODERATOR)).department_id == water
    centre = await entry(MODERATOR)
    theirs = await entry(MODERATOR, department_id=str(roads))
    editor = department_editor(water)
    assert [item.id for item in await services.staff_entries(editor)] == [own]
    for other in (centre, theirs):
        assert await services.staff_entry(other, editor) is None
        with pytest.raises(KnowledgeError) as refused:
            await services.save_entry(other, EntryForm(question="改别人的条目", answer="这不是本部门的条目，不能修改。"), editor)
        assert refused.value.kind is NotFound
    assert len(await services.history(theirs)) == 1  # nothing was saved


async def test_bad_input_is_refused_field_by_field(categories):
    bad = EntryForm(
        question="问", answer="太短", question_en="Only a question", category_id="999999",
        department_id="abc", valid_until="2027-02-30", review_by="明天",
    )
    with pytest.raises(KnowledgeError) as refused:
        await services.save_entry(None, bad, MODERATOR)
    assert set(refused.value.errors) == {"question", "answer", "answer_en", "category_id", "department_id", "valid_until", "review_by"}
    huge = EntryForm(question="问" * 201, answer="答" * 5001, answer_en="x" * 5001)
    with pytest.raises(KnowledgeError) as refused:
        await services.save_entry(None, huge, MODERATOR)
    assert set(refused.value.errors) == {"question", "answer", "answer_en"}


async def test_the_public_finds_public_entries_of_today_by_their_words():
    found = await entry()
    await entry(question="内部：热线转办口径", answer="仅供工作人员参考的转办口径，不对外公布。", public="")
    expired = await entry(question="2025年居住证新规", answer="居住证新规的过渡办法，已经结束。", valid_until=_day(-1))
    english = await entry(question="燃气开户", answer="带房产证和身份证到营业厅开户。", question_en="Opening a gas account", answer_en="Bring your deed and ID card.")
    assert [item.id for item in await services.search("怎么办居住证")] == [found]
    assert [item.id for item in await services.search("gas account")] == [english]
    assert await services.search("转办口径") == []  # staff only
    assert await services.public_entry(expired) is None
    listed, more = await services.public_entries(1)
    assert {item.id for item in listed} == {found, english} and not more
    assert await services.review_count(None) == 1  # the expired one


async def test_answers_pages_and_the_report_forms_suggestions(client, categories):
    entry_id = await entry(question_en="How do I get a residence permit?", answer_en="Bring your ID card to the police station.")
    hidden = await entry(question="过期的口径", answer="这个答复已经过期，不再对外公布。", valid_until=_day(-3))
    page = await client.get("/answers", params={"q": "居住证"})
    assert page.status_code == 200 and f'href="/answers/{entry_id}"' in page.text
    assert (await client.get(f"/answers/{entry_id}")).status_code == 200
    english = await client.get(f"/answers/{entry_id}", headers={"accept-language": "en"})
    assert "Bring your ID card" in english.text
    assert (await client.get(f"/answers/{hidden}")).status_code == 404
    chinese_only = await entry(question="燃气开户要带什么？", answer="带房产证和身份证到营业厅办理开户。")
    fallback = await client.get(f"/answers/{chinese_only}", headers={"accept-language": "en"})
    assert '<span lang="zh-CN">燃气开户要带什么？</span>' in fallback.text  # read as Chinese on an English page
    assert (await client.get("/answers/0")).status_code in (400, 404)
    suggestions = await client.post("/report/answers", data={"title": "想问一下", "description": "居住证在哪里办？" * 600})
    assert f'href="/answers/{entry_id}"' in suggestions.text and suggestions.headers["cache-control"] == "no-store"
    assert "答复" not in (await client.post("/report/answers", data={"title": "路灯不亮"})).text
    assert (await client.post("/report/answers", data={"description": "长" * 30_000})).status_code == 413
    assert (await client.get("/answers", params={"page": "0"})).status_code == 400


async def test_an_edit_makes_the_public_answers_fresh(client):
    entry_id = await entry()
    first = await client.get("/answers")
    tag = first.headers["etag"]
    assert (await client.get("/answers", headers={"if-none-match": tag})).status_code == 304
    await services.save_entry(entry_id, EntryForm(question="居住证网上怎么办？", answer="登录政务服务网在线办理，五个工作日寄达。"), MODERATOR)
    again = await client.get("/answers", headers={"if-none-match": tag})
    assert again.status_code == 200 and "居住证网上怎么办" in again.text


# -- The centre's direct answer ----------------------------------------------------------------


async def consultation(settings, categories):
    return await file(settings, form(categories["water"], case_type="consultation", title="请问居住证怎么办"))


async def test_a_consultation_is_answered_at_once_from_an_entry(settings, categories, client):
    entry_id = await entry()
    filed = await consultation(settings, categories)
    number = filed.number
    await workflow.perform(number, AnswerFromKnowledge(knowledge_entry_id=entry_id, text="您好！"), MODERATOR_ACTOR)
    case = await Case.objects().where(Case.number == number).first()
    assert case.status == Status.replied.value and case.knowledge_entry == entry_id and case.answered_at is not None
    public = await client.get(f"/cases/{number}")
    assert "您好！" in public.text and "派出所户籍窗口" in public.text and f'href="/answers/{entry_id}"' in public.text
    # The filer rates it as any answer.
    await rate(filed.follow_token, RatingForm(satisfaction="satisfied", solved="yes"))
    assert (await Case.select(Case.status).where(Case.number == number).first())["status"] == Status.rated.value


async def test_only_public_entries_of_today_answer_and_only_consultations(settings, categories):
    staff_only = await entry(public="")
    expired = await entry(valid_until=_day(-1))
    number = (await consultation(settings, categories)).number
    for entry_id in (staff_only, expired, 999999, None):
        with pytest.raises(InvalidInput):
            await workflow.perform(number, AnswerFromKnowledge(knowledge_entry_id=entry_id), MODERATOR_ACTOR)
    complaint = (await file(settings, form(categories["water"]))).number
    with pytest.raises(WrongState):
        await workflow.perform(complaint, AnswerFromKnowledge(knowledge_entry_id=await entry()), MODERATOR_ACTOR)


async def test_figures_count_the_contacts_the_knowledge_base_answered(settings, categories, client, person):
    entry_id = await entry()
    for _ in range(3):
        await file(settings, form(categories["water"]))
    answered = (await consultation(settings, categories)).number
    await consultation(settings, categories)
    await workflow.perform(answered, AnswerFromKnowledge(knowledge_entry_id=entry_id), MODERATOR_ACTOR)
    now = clock.now()
    counted = await figures.contacts("week", now)
    assert (counted.received, counted.answered_directly) == (5, 1) and counted.share == pytest.approx(0.2)
    # No department's figures: the centre answered it.
    assert await DepartmentFigure.count() == 0
    # ``minsheng figures rebuild`` makes the same counts again.
    before = sorted(tuple(row.values()) for row in await TopicCount.select(TopicCount.day, TopicCount.kind, TopicCount.topic, TopicCount.value))
    await figures.rebuild()
    after = sorted(tuple(row.values()) for row in await TopicCount.select(TopicCount.day, TopicCount.kind, TopicCount.topic, TopicCount.value))
    assert after == before
    assert (await figures.contacts("week", now)).answered_directly == 1
    shown = "The centre received 5 requests in this period. The knowledge base answered 1 of them directly (20%)."
    leaderboard = await client.get("/departments", params={"period": "week"}, headers={"accept-language": "en"})
    assert shown in " ".join(leaderboard.text.split())
    leader = await person("leader")
    assert shown in " ".join((await leader.client.get("/leader", params={"period": "week"})).text.split())


async def test_hostile_queries_find_nothing_and_break_nothing(client):
    await entry()
    for query in ('"', "居住证\" OR \"", "a:* | !b & (", "'; DROP TABLE knowledge_entry; --", "\\", "NEAR(居住 证)", "*"):
        assert isinstance(await services.search(query), list), query
        page = await client.get("/answers", params={"q": query})
        assert page.status_code == 200, query
    assert (await client.get("/answers", params={"q": "居住证\x00"})).status_code == 400
    assert [item.question for item in await services.search("居住证\" OR \"")] == ["居住证怎么办理？"]
