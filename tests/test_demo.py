"""``minsheng seed-demo``: realistic public cases through the real workflow, and
representatives of both bodies with suggestions in every state, once."""

from __future__ import annotations

from backend.accounts.tables import Account
from backend.departments.boundaries import area_map
from backend.routing import services as routing
from backend.cases import services, workflow
from backend.cases.browse import CaseFilter, Sort, browse, each_case
from backend.cases.tables import Callback, Case, Rating, TimelineEntry
from backend.demo import AREAS, CATEGORIES, DEMO_CASES, seed
from backend.departments.tables import Area
from backend.photos.tables import Photo
from backend.representatives import services as representatives
from backend.representatives.demo import SUGGESTIONS
from backend.representatives.tables import CoSigner, Suggestion


async def a_callback_and_a_red_card() -> None:
    """The centre called a filer back (回访); a case left overdue has its red card (三色督办)."""
    called = await Callback.select(Callback.case.submission_key.as_alias("key"), Callback.satisfaction).where(Callback.reached_at.is_not_null())
    assert [row["satisfaction"] for row in called] == ["basically_satisfied"] and "elevator-inspection" in called[0]["key"]
    red = await TimelineEntry.select(TimelineEntry.case.submission_key.as_alias("key")).where(TimelineEntry.action == "overdue_answer")
    assert any("sewer-overflow" in row["key"] for row in red)


async def test_seed_demo_files_every_kind_of_case_once(settings):
    """One seeding checked from every side (seeding takes seconds), then seeded again: nothing
    is added or counted twice."""
    assert await seed() == len(DEMO_CASES)
    await cases_on_time_late_extended_and_supervised()
    await answers_rated_at_every_level()
    await every_category_and_area_and_the_search_examples()
    auto_supervised = await TimelineEntry.count().where(TimelineEntry.action == "auto_supervise")
    await a_callback_and_a_red_card()
    assert await seed() == 0, "running it again adds nothing"
    await a_callback_and_a_red_card()  # and again, the same
    assert await TimelineEntry.count().where(TimelineEntry.action == "auto_supervise") == auto_supervised  # once
    assert await Rating.count().where(Rating.outcome == "") == 4  # the filers'; representatives' ratings have an outcome
    assert (await browse(CaseFilter(), Sort.supported, limit=1)).cases[0].support_count == 12  # nobody counted twice
    await public_cases()
    await suggestions_in_every_state()
    await a_rule_suggests()


async def a_rule_suggests():
    """The case still waiting gets a rule's suggestion; heating is routed without a moderator."""
    waiting = await Case.select(Case.number).where(Case.status == "submitted", Case.case_type != "representative").first()
    suggestion = (await routing.suggestions_by_number([waiting["number"]]))[waiting["number"]]
    assert suggestion.rule.reason_zh == f"规则 {suggestion.rule.id}：其他建议 在 莲池区"
    assert suggestion.rule.department_name == "市城市管理综合执法局" and suggestion.rule.co_handlers[0][1] == "市政设施管理处"
    assert [view.automatic for view in await routing.rule_views()] == [False, False, True]
    located = (await area_map()).locate(38.87, 115.46)  # the pothole on Dongfeng's map
    assert (await Area.select(Area.name).where(Area.id == located.area_id).first())["name"] == "东风街道"


async def public_cases():
    citizens = Case.case_type != "representative"  # the representatives' suggestions: suggestions_in_every_state
    assert await Case.count().where(citizens) == len(DEMO_CASES)
    with_photos = [demo for demo in DEMO_CASES if demo.photo_colour]
    # and the photo of a problem that came back
    assert await Photo.count().where(Photo.case.case_type != "representative") == len(with_photos) + 1
    page = await browse(CaseFilter(), limit=50, where=[citizens])
    # One case waits for review and one was refused: neither is public.
    assert len(page.cases) == len(DEMO_CASES) - 2
    statuses = [row["status"] for row in await Case.select(Case.status)]
    for status in ("submitted", "rejected", "replied", "in_progress", "signed", "assigned", "accepted", "rated", "closed"):
        assert status in statuses, status
    heating = next(case for case in page.cases if case.title == "5个区中有4个区域暖气不热")
    view = await services.public_case(heating.number)
    assert view.status == "replied" and view.department_name == "市热力公司"
    assert (view.district_name, view.area_name) == ("竞秀区", "东风街道")  # set by the centre on accepting
    waiting = await Case.select(Case.area.name).where(Case.status == "submitted", citizens).first()  # the one citizen case
    assert waiting["area.name"] == "中华路街道"  # chosen by the filer
    assert await Area.count() == 5 + 22
    assert [entry.action for entry in view.timeline][:4] == ["submit", "accept", "assign", "sign"]
    assert [entry.action for entry in view.timeline][-1] == "draft_reply"  # the published reply
    assert len(view.timeline) == 4 + 6 + 1
    times = [entry.created_at for entry in view.timeline]
    assert times == sorted(times)
    assert len(await workflow.pending_reviews()) == 1  # a department's last post still waits
    assert await TimelineEntry.count() > 4 * len(DEMO_CASES)


async def cases_on_time_late_extended_and_supervised():
    by_title = {case.title: case for case in (await browse(CaseFilter(), limit=50)).cases}
    heating = await services.public_case(by_title["5个区中有4个区域暖气不热"].number)
    assert heating.answer_deadline.met_at and not heating.answer_deadline.late()
    streetlight = await services.public_case(by_title["小区门口路灯坏了一个多月"].number)
    assert streetlight.answer_deadline.late()
    park = await services.public_case(by_title["建议修缮公园内损坏的健身器材"].number)
    assert "grant_extension" in [entry.action for entry in park.timeline] and park.supervised_at is None
    billboard = await services.public_case(by_title["联通大厦楼顶广告牌存在安全隐患"].number)
    assert {"supervise", "instruct"} <= {entry.action for entry in billboard.timeline}
    sewer = await services.public_case(by_title["路边下水道堵塞，污水漫到人行道"].number)
    assert sewer.timeline[-1].action == "auto_supervise" and sewer.answer_deadline.overdue(sewer.supervised_at)


async def answers_rated_at_every_level():
    rated = {row["satisfaction"]: row["publication"] for row in await Rating.select(Rating.satisfaction, Rating.publication)}
    assert rated == {"satisfied": "published", "basically_satisfied": "published", "unsatisfied": "published"}
    by_title = {row["title"]: row for row in await Case.select(Case.title, Case.status, Case.reopened_count, Case.number)}
    assert by_title["雨后下水道堵塞返臭水"]["reopened_count"] == 1 and by_title["雨后下水道堵塞返臭水"]["status"] == "signed"
    assert by_title["广场舞音响声音太大"]["status"] == "closed"
    unrated = await services.public_case(by_title["小区电梯年检该由谁负责？"]["number"])
    assert unrated.status == "closed" and unrated.timeline[-1].action == "close_unrated"
    assert by_title["5个区中有4个区域暖气不热"]["status"] == "replied"  # answered a day ago: not closed yet
    published = await services.public_case(by_title["高层住户水压低，早晚用水困难"]["number"])
    assert [(r.satisfaction, r.solved) for r in published.ratings] == [("basically_satisfied", "partly")]


async def every_category_and_area_and_the_search_examples():
    public = await Case.select(Case.category.slug, Case.area.slug, Case.area.parent.slug).where(Case.published_at.is_not_null())
    assert {row["category.slug"] for row in public} == {slug for slug, *_ in CATEGORIES}
    areas = {row["area.slug"] for row in public} | {row["area.parent.slug"] for row in public}
    assert areas - {None} == {slug for slug, *_ in AREAS} | {street for *_, streets in AREAS for street, *_ in streets}
    titles = {query: [case.title async for case in each_case(CaseFilter(query=query))] for query in ("暖气", "停电", "路灯", "street lights")}
    assert "5个区中有4个区域暖气不热" in titles["暖气"]
    assert any(title.startswith("小区停电三四天") for title in titles["停电"])
    assert len(titles["路灯"]) >= 2 and len(titles["street lights"]) == 1
    for given in ({"timeliness": "on_time"}, {"timeliness": "overdue"}, {"status": "answered"}, {"status": "closed"}, {"type": "suggestion"}):
        assert (await browse(CaseFilter.from_params(given))).cases, given
    supported = (await browse(CaseFilter(), Sort.supported, limit=1)).cases[0]
    assert supported.title == "5个区中有4个区域暖气不热" and supported.support_count == 12


async def suggestions_in_every_state():
    """Representatives of both bodies, and their suggestions in every state."""
    assert await Suggestion.count() == len(SUGGESTIONS)
    bodies = {row["body"] for row in await Account.select(Account.body).where(Account.role == "representative")}
    assert bodies == {"npc", "cppcc"}
    rows = await Case.select(Case.status, Case.reopened_count).where(Case.case_type == "representative")
    statuses = {row["status"] for row in rows}
    assert statuses >= {"draft", "submitted", "accepted", "assigned", "signed", "in_progress", "replied", "rated", "closed"}
    assert any(row["reopened_count"] for row in rows)  # answered again after an unsatisfied rating
    assert await CoSigner.count().where(CoSigner.signed_at.is_null()) == 1  # a draft still waits for a co-signer
    assert await Rating.count().where(Rating.outcome != "") == 2
    listed = await representatives.public_suggestions(representatives.Filters(), page_size=50)
    assert len(listed.page.cases) == len(SUGGESTIONS) - 2  # not the draft, not the one still submitted
    assert all(listed.facts[case.id].lead.name for case in listed.page.cases)


async def test_seed_demo_generates_cases_in_bulk_that_every_page_agrees_with(client):
    from backend.cases import figures
    from backend.cases.tables import CaseSearch, DepartmentFigure
    from backend.demo_bulk import generate
    from tests.cases.test_figures import materialised

    assert await generate(400) == 400
    assert await Case.count().where(Case.case_type != "representative") == 400 + len(DEMO_CASES)
    statuses = {row["status"] for row in await Case.select(Case.status)}
    assert {"rated", "replied", "closed"} <= statuses
    assert await TimelineEntry.count() > 5 * 400 and await Rating.count() > 100
    assert await CaseSearch.count() == await Case.count().where(Case.published_at.is_not_null())
    kept = await materialised()
    await figures.rebuild()
    assert await materialised() == kept and await DepartmentFigure.count() > 0
    found = await client.get("/cases?q=暖气")
    assert found.status_code == 200 and "暖气" in found.text
    board = await client.get("/departments?period=year")
    assert board.status_code == 200 and "市热力公司" in board.text
