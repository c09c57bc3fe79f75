"""Filing a case through the service: validation, numbering, photos, idempotency, privacy."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import datetime, timezone

import pytest

from backend import clock
from backend.cases import services
from backend.cases.filing import CaseForm, FilingError
from backend.cases.tables import Case, TimelineEntry
from backend.photos.services import upload_photo
from backend.photos.tables import Photo
from backend.web.errors import status_of
from tests.support import jpeg


def form(category, **overrides) -> CaseForm:
    values = dict(
        case_type="complaint",
        category_id=str(category.id),
        title="路口自来水管爆裂",
        description="路口东南角有自来水从地面冒出来，整个路口都是水。",
        address="朝阳大街与七一路交口",
        filer_name="王先生",
        filer_phone="13800138000",
        publication="public",
    )
    values.update(overrides)
    return CaseForm(**values)


async def file(settings, case_form: CaseForm) -> services.FiledCase:
    return await services.file_case(case_form, secret_key=settings.secret_key, time_zone=settings.time_zone)


async def test_filing_numbers_the_case_and_starts_its_timeline(settings, categories):
    filed = await file(settings, form(categories["water"]))
    year = datetime.now(timezone.utc).year
    assert re.fullmatch(rf"({year}|{year + 1})-000001", filed.number)
    case = await Case.objects().where(Case.number == filed.number).first()
    assert case.status == "submitted" and case.published_at is None
    assert case.follow_token_hash == hashlib.sha256(filed.follow_token.encode()).hexdigest()
    assert filed.follow_token not in (case.follow_token_hash, case.submission_key), "the link itself is not stored"
    entries = await TimelineEntry.select().where(TimelineEntry.case == case.id)
    assert [(e["action"], e["status_after"], e["actor_role"], e["actor_name"]) for e in entries] == [
        ("submit", "submitted", "citizen", "")
    ]


async def test_numbers_count_up_per_year_in_the_platform_time_zone(settings, categories):
    # 17:30 UTC on New Year's Eve is already 1:30 on 1 January in Shanghai.
    with clock.travel_to(datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)):
        first = await file(settings, form(categories["water"]))
    with clock.travel_to(datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc)):
        last_of_2026 = await file(settings, form(categories["water"]))
    with clock.travel_to(datetime(2027, 3, 1, tzinfo=timezone.utc)):
        second = await file(settings, form(categories["water"]))
    assert (first.number, second.number, last_of_2026.number) == ("2027-000001", "2027-000002", "2026-000001")


async def test_concurrent_filings_get_distinct_consecutive_numbers(settings, categories):
    filed = await asyncio.gather(*(file(settings, form(categories["water"])) for _ in range(12)))
    numbers = sorted(int(f.number.split("-")[1]) for f in filed)
    assert numbers == list(range(1, 13))


async def test_the_same_filing_sent_twice_files_once(settings, categories):
    key = "k" * 32
    first = await file(settings, form(categories["water"], submission_key=key))
    again = await file(settings, form(categories["water"], submission_key=key))
    assert again == first
    assert await Case.count() == 1


async def test_a_submission_key_files_only_its_own_content(settings, categories):
    key, picture = "r" * 32, jpeg()
    photo = await upload_photo(picture)
    first = await file(settings, form(categories["water"], submission_key=key, photo_keys=[photo.key]))
    # The same report sent again from the device: its photo uploaded again, under a new key.
    again = await upload_photo(picture)
    assert await file(settings, form(categories["water"], submission_key=key, photo_keys=[again.key])) == first
    for other in (form(categories["water"], submission_key=key, title="另一个人的投诉"), form(categories["water"], submission_key=key)):
        with pytest.raises(FilingError) as taken:
            await file(settings, other)
        assert status_of(taken.value) == 409 and set(taken.value.errors) == {"form"}
    assert await Case.count() == 1


async def test_twin_filings_sent_at_the_same_moment_file_once(settings, categories):
    key = "t" * 32
    filed = await asyncio.gather(*(file(settings, form(categories["water"], submission_key=key)) for _ in range(6)))
    assert len(set(filed)) == 1
    assert await Case.count() == 1
    assert filed[0].number.endswith("-000001"), "no number was used up by the twins"


async def test_every_error_is_reported_at_once_and_nothing_is_saved(settings, categories):
    with pytest.raises(FilingError) as failed:
        await file(
            settings,
            CaseForm(case_type="rant", category_id="abc", title="x", description="y" * 50_000, filer_phone="12"),
        )
    assert set(failed.value.errors) == {
        "case_type", "category_id", "title", "description", "address", "filer_name", "filer_phone", "publication",
    }
    assert await Case.count() == 0


async def test_unknown_or_inactive_category_is_refused(settings, categories):
    await categories["roads"].update_self({"active": False})
    for category_id in ("999999", str(categories["roads"].id)):
        with pytest.raises(FilingError) as failed:
            await file(settings, form(categories["water"], category_id=category_id))
        assert set(failed.value.errors) == {"category_id"}


async def test_control_characters_are_removed_and_text_kept(settings, categories):
    filed = await file(
        settings, form(categories["water"], title="水管\x00爆裂\u200b了", description="第一行\r\n第二行\x07 很严重")
    )
    case = await Case.objects().where(Case.number == filed.number).first()
    assert case.title == "水管爆裂了"
    assert case.description == "第一行\n第二行 很严重"


async def test_map_point_must_be_a_real_coordinate(settings, categories):
    with pytest.raises(FilingError) as failed:
        await file(settings, form(categories["water"], latitude="91", longitude="10"))
    assert set(failed.value.errors) == {"location"}
    filed = await file(settings, form(categories["water"], latitude="38.87391234", longitude="115.4646"))
    case = await Case.objects().where(Case.number == filed.number).first()
    assert (case.latitude, case.longitude) == (38.873912, 115.4646)


async def test_photos_are_attached_in_order_and_only_once(settings, categories):
    photos = [await upload_photo(jpeg(colour=(i * 40, 0, 0))) for i in range(3)]
    keys = [photo.key for photo in reversed(photos)]
    filed = await file(settings, form(categories["water"], photo_keys=keys))
    view = await services.case_for_follow_token(filed.follow_token)
    assert [p.key for p in view.photos] == keys
    with pytest.raises(FilingError) as failed:
        await file(settings, form(categories["water"], photo_keys=[keys[0]]))
    assert set(failed.value.errors) == {"photos"}


async def test_at_most_six_photos_and_unknown_photos_are_refused(settings, categories):
    with pytest.raises(FilingError) as failed:
        await file(settings, form(categories["water"], photo_keys=[f"photo-key-{i:04d}" for i in range(7)]))
    assert set(failed.value.errors) == {"photos"}
    with pytest.raises(FilingError):
        await file(settings, form(categories["water"], photo_keys=["never-uploaded-key"]))
    assert await Photo.count() == 0 and await Case.count() == 0


async def test_follow_view_never_carries_personal_data(settings, categories):
    filed = await file(settings, form(categories["water"]))
    view = await services.case_for_follow_token(filed.follow_token)
    text = repr(view)
    assert "王先生" not in text and "13800138000" not in text
    assert await services.case_for_follow_token("x" * 43) is None
    assert await services.case_for_follow_token("short") is None
