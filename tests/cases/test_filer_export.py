"""The filer's copy of their case through the follow link: what is theirs or meant for them,
nothing meant for staff alone and no one else's personal data."""

from __future__ import annotations

import io
import json
import zipfile

from backend.accounts.audit import Who
from backend.cases import ratings, reveals, workflow
from backend.cases.services import Actor
from backend.cases.tables import Case, CoHandler
from backend.photos import storage
from backend.photos.services import upload_photo
from backend.vocabulary import RevealReason, Role, Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.cases.test_ratings import rating
from tests.support import jpeg

MODERATOR = Actor(Role.moderator, "")


async def a_handled_case(settings, categories):
    """An answered case with a photo, a co-handler, staff-only notes, a reveal and a rating."""
    photo = await upload_photo(jpeg(colour=(200, 30, 30)))
    filed = await file(settings, form(categories["water"], filer_name="李明", filer_phone="13800138000", photo_keys=[photo.key]))
    water, roads = categories["water"].department, categories["roads"].department
    await bring_to(filed.number, Status.signed, water)
    case_id = (await Case.select(Case.id).where(Case.number == filed.number).first())["id"]
    await CoHandler.insert(CoHandler(case=case_id, department=roads))
    await workflow.perform(filed.number, "post_internal_note", Actor(Role.handler, "市政设施管理处", roads), body="协办内部：联系人刘工 13911112222")
    await workflow.perform(filed.number, "post_internal_note", MODERATOR, body="中心内部备注：已电话沟通")
    await reveals.reveal(filed.number, Actor(Role.handler, "市自来水公司", water), RevealReason.callback, Who(None, "Handler Zhao Gang"))
    reply = await workflow.perform(filed.number, "draft_reply", Actor(Role.handler, "市自来水公司", water), body="管道已修复。")
    await workflow.review(reply, "approve", MODERATOR)
    await ratings.rate(filed.follow_token, rating("satisfied", "yes", "修得很快，谢谢！"))
    return filed, photo


def unzipped(response) -> tuple[dict, dict[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("case.json")), files


async def test_the_copy_holds_what_is_the_filers_and_nothing_meant_for_staff(settings, categories, client):
    filed, photo = await a_handled_case(settings, categories)
    response = await client.get(f"/follow/{filed.follow_token}/export.zip", headers={"accept-language": "en"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="minsheng-{filed.number}.zip"'
    assert response.headers["cache-control"] == "private, no-store"
    document, photos = unzipped(response)
    assert document["you"] == {"name": "李明", "phone": "13800138000"}
    assert document["case"]["number"] == filed.number and document["case"]["status"] == "rated"
    # Their photo, as they uploaded it.
    assert document["photos_filed"] == ["photos/filed-1.jpg"]
    assert photos["photos/filed-1.jpg"] == storage.path_for(settings.media_dir, photo.display_sha256).read_bytes()
    actions = [entry["action"] for entry in document["timeline"]]
    assert "reveal_callback" in actions and "rate_satisfied" in actions and "post_internal_note" not in actions
    reveal = next(entry for entry in document["timeline"] if entry["action"] == "reveal_callback")
    assert reveal["label"] == "Contact details shown to staff: to call the filer back about the answer (回访)"
    assert reveal["by"] == "市自来水公司"
    assert [row["satisfaction"] for row in document["ratings"]] == ["satisfied"]
    everything = json.dumps(document, ensure_ascii=False)
    for staff_only in ("协办内部", "13911112222", "中心内部备注", "Handler Zhao Gang", "Test handler"):
        assert staff_only not in everything


async def test_the_copy_speaks_the_filers_language(settings, categories, client):
    filed, _ = await a_handled_case(settings, categories)
    document, _ = unzipped(await client.get(f"/follow/{filed.follow_token}/export.zip", headers={"accept-language": "zh-CN"}))
    reveal = next(entry for entry in document["timeline"] if entry["action"] == "reveal_callback")
    assert reveal["label"] == "联系方式已向工作人员显示：为就答复回访诉求人"


async def test_a_wrong_link_gets_no_copy(settings, categories, client):
    await a_handled_case(settings, categories)
    for token, status in (("not-a-token", 404), ("x" * 300, 404), ("%00", 400)):
        response = await client.get(f"/follow/{token}/export.zip")
        assert response.status_code == status and "13800138000" not in response.text


async def test_the_follow_page_offers_the_copy(settings, categories, client):
    filed, _ = await a_handled_case(settings, categories)
    page = await client.get(f"/follow/{filed.follow_token}", headers={"accept-language": "en"})
    assert f'href="/follow/{filed.follow_token}/export.zip"' in page.text and "Download a copy (ZIP)" in page.text
