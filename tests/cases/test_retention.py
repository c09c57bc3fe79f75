"""Retention, with time travel: a finished case's personal data goes after the period, in
batches, once, and the public record and the figures stay as they were."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction
from backend.accounts.tables import AuditEvent
from backend.cases import actions, figures, retention, services, workflow

from backend.cases.tables import Case, CaseContribution, DepartmentFigure, TopicCount
from backend.photos import storage
from backend.photos.tables import Photo
from backend.vocabulary import Status
from tests.cases.test_filer_export import MODERATOR, a_handled_case
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to, filed_case

PERIOD = timedelta(days=730)  # the default MINSHENG_PERSONAL_DATA_DAYS


async def contact_of(number: str) -> dict:
    return await Case.select(Case.filer_name, Case.filer_phone, Case.anonymised_at).where(Case.number == number).first()


async def figures_now() -> list:
    """Every counter, without the row ids (a rebuild writes the rows afresh)."""
    tables = (CaseContribution, DepartmentFigure, TopicCount)
    return [sorted(repr({k: v for k, v in row.items() if k != "id"}) for row in await table.select()) for table in tables]


async def test_a_finished_case_loses_its_contact_details_after_the_period_and_only_then(settings, categories, client):
    rated, _ = await a_handled_case(settings, categories)
    rejected = await filed_case(settings, categories, title="不属于受理范围的诉求")
    await bring_to(rejected, Status.rejected, categories["water"].department)
    open_case = await filed_case(settings, categories, title="仍在办理的诉求")
    await bring_to(open_case, Status.in_progress, categories["water"].department)
    public_before = (await client.get(f"/cases/{rated.number}")).text
    assert await retention.anonymise_finished(clock.now() + PERIOD - timedelta(hours=1)) == 0
    later = clock.now() + PERIOD + timedelta(hours=1)
    assert await retention.anonymise_finished(later) == 2
    for number in (rated.number, rejected):
        assert await contact_of(number) == {"filer_name": "", "filer_phone": "", "anonymised_at": later}
    assert (await contact_of(open_case))["filer_phone"] == "13800138000"
    assert await retention.anonymise_finished(later + timedelta(days=1)) == 0  # once
    assert (await client.get(f"/cases/{rated.number}")).text == public_before
    assert (await services.case_for_follow_token(rated.follow_token)).status == Status.rated.value


async def test_the_figures_are_the_same_before_and_after_and_a_rebuild_reproduces_them(settings, categories):
    await a_handled_case(settings, categories)
    before = await figures_now()
    assert await retention.anonymise_finished(clock.now() + PERIOD + timedelta(days=1)) == 1
    assert await figures_now() == before
    await figures.rebuild()
    assert await figures_now() == before


async def test_a_blacked_out_photos_original_and_where_it_was_taken_go_and_its_public_copy_stays(settings, categories):
    filed, photo = await a_handled_case(settings, categories)
    await workflow.perform(
        filed.number,
        actions.BlackOutPhoto(photo_key=photo.key, region_x=10, region_y=10, region_width=30, region_height=20),
        MODERATOR,
    )
    row = await Photo.select().where(Photo.key == photo.key).first()
    original, public = row["display_sha256"], row["public_display_sha256"]
    assert public and storage.path_for(settings.media_dir, original).exists()
    await Photo.update({Photo.gps_latitude: 38.87, Photo.gps_longitude: 115.46}).where(Photo.key == photo.key)  # as a phone's EXIF gives it
    assert await retention.anonymise_finished(clock.now() + PERIOD + timedelta(days=1)) == 1
    row = await Photo.select().where(Photo.key == photo.key).first()
    assert (row["display_sha256"], row["public_display_sha256"], row["blacked_out"]) == (public, "", "[]")
    assert (row["gps_latitude"], row["gps_longitude"]) == (None, None)  # where the filer stood
    assert not storage.path_for(settings.media_dir, original).exists()
    assert storage.path_for(settings.media_dir, public).exists()


async def test_a_photo_hidden_from_the_public_goes_with_its_files(settings, categories):
    filed, photo = await a_handled_case(settings, categories)
    await workflow.perform(filed.number, actions.HidePhoto(photo_key=photo.key), MODERATOR)
    row = await Photo.select().where(Photo.key == photo.key).first()
    files = [storage.path_for(settings.media_dir, row[name]) for name in ("display_sha256", "thumb_sha256")]
    assert all(path.exists() for path in files)
    assert await retention.anonymise_finished(clock.now() + PERIOD + timedelta(days=1)) == 1
    assert not await Photo.exists().where(Photo.key == photo.key)
    assert not any(path.exists() for path in files)
    moderator_page = await services.staff_case(filed.number)
    assert not moderator_page.case.photos


async def test_batches_and_two_workers_erase_each_case_once(settings, categories):
    numbers = []
    for index in range(5):
        numbers.append(await filed_case(settings, categories, title=f"不予受理的第{index + 1}件诉求"))
        await bring_to(numbers[-1], Status.rejected, categories["water"].department)
    later = clock.now() + PERIOD + timedelta(days=1)
    first, second = await asyncio.gather(retention.anonymise_finished(later, batch=2), retention.anonymise_finished(later, batch=2))
    assert first + second == 5
    assert [(await contact_of(number))["filer_name"] for number in numbers] == [""] * 5


async def test_staff_read_that_the_details_were_erased_and_cannot_reveal_them(person, settings, categories):
    filed, _ = await a_handled_case(settings, categories)
    await retention.anonymise_finished(clock.now() + PERIOD + timedelta(days=1))
    moderator = await person("moderator")
    page = await moderator.client.get(f"/staff/cases/{filed.number}")
    assert "Erased on" in page.text and 'action="/staff/cases/' + filed.number + '/contact"' not in page.text
    refused = await moderator.post_form(f"/staff/cases/{filed.number}/contact", {"reason": "callback"})
    assert refused.status_code == 409 and "erased after the retention period" in refused.text


async def test_the_audit_log_keeps_its_own_period(settings):
    await audit.record(AuditAction.signed_out, detail="old enough to go")
    assert await audit.forget_old(clock.now() + timedelta(days=settings.audit_days - 1)) == 0
    assert await audit.forget_old(clock.now() + timedelta(days=settings.audit_days + 1)) == 1
    assert not await AuditEvent.exists()


async def test_the_filer_has_their_details_erased_once_the_case_finished(settings, categories, client, person):
    filed, _ = await a_handled_case(settings, categories)  # rated: finished
    page = await client.get(f"/follow/{filed.follow_token}", headers={"accept-language": "en"})
    assert f'action="/follow/{filed.follow_token}/erase"' in page.text
    empty = await client.post(f"/follow/{filed.follow_token}/erase", data={"reason": "  "}, headers={"accept-language": "en"})
    assert empty.status_code == 422 and "Say briefly why" in empty.text
    long = "太长" * 300
    too_long = await client.post(f"/follow/{filed.follow_token}/erase", data={"reason": long}, headers={"accept-language": "en"})
    assert too_long.status_code == 422 and long in too_long.text  # what was typed is kept
    moderator = await person("moderator")
    staff = await moderator.post_form(f"/follow/{filed.follow_token}/erase", {"reason": "代替市民"})
    assert staff.status_code == 403 and (await contact_of(filed.number))["filer_phone"] == "13800138000"
    done = await client.post(f"/follow/{filed.follow_token}/erase", data={"reason": "不想再被联系"})
    assert done.status_code == 303 and done.headers["location"] == f"/follow/{filed.follow_token}#your-data"
    contact = await contact_of(filed.number)
    assert (contact["filer_name"], contact["filer_phone"]) == ("", "") and contact["anonymised_at"] is not None
    page = await client.get(f"/follow/{filed.follow_token}", headers={"accept-language": "en"})
    assert "Your name and phone were erased on" in page.text and "不想再被联系" in page.text
    assert "Contact details erased at the filer" in page.text
    again = await client.post(f"/follow/{filed.follow_token}/erase", data={"reason": "再次"}, headers={"accept-language": "en"})
    assert again.status_code == 409 and "erased already" in again.text
    staff_page = await moderator.client.get(f"/staff/cases/{filed.number}")
    assert "Erased on" in staff_page.text and "不想再被联系" in staff_page.text  # staff read why


async def test_an_unfinished_case_keeps_the_details_and_says_why(settings, categories, client):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    page = await client.get(f"/follow/{filed.follow_token}", headers={"accept-language": "en"})
    assert "/erase" not in page.text
    refused = await client.post(
        f"/follow/{filed.follow_token}/erase", data={"reason": "不想被联系"}, headers={"accept-language": "en"}
    )
    assert refused.status_code == 409 and "once your case is finished" in refused.text
    assert (await contact_of(filed.number))["filer_phone"] == "13800138000"


async def test_an_erased_case_keeps_no_way_to_reach_the_filer(settings, categories):
    from backend.notifications import subscriptions
    from backend.notifications.tables import Subscription

    filed = await file(settings, form(categories["water"], title="不予受理但订阅了短信的诉求"))
    await subscriptions.subscribe_sms(filed.follow_token, "13900139000", True, "zh-CN")
    other = await file(settings, form(categories["water"], title="仍在办理且订阅了短信的诉求"))
    await subscriptions.subscribe_sms(other.follow_token, "13900139001", True, "zh-CN")
    await bring_to(filed.number, Status.rejected, categories["water"].department)
    assert await Subscription.count() == 2
    assert await retention.anonymise_finished(clock.now() + PERIOD + timedelta(days=1)) == 1
    assert [row["address"] for row in await Subscription.select(Subscription.address)] == ["13900139001"]
