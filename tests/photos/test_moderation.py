"""Photos on the timeline, and a moderator's redaction of photos: the public gets a changed
copy, staff keep the original, and the original is withheld from /media."""

from __future__ import annotations

import io
import math

import msgspec
import pytest
from PIL import Image

from backend.cases import actions, services, workflow
from backend.vocabulary import Role
from backend.cases.lifecycle import TRANSITIONS
from backend.cases.services import Actor
from backend.photos import services as photos
from backend.photos.pipeline import Region
from backend.photos.tables import Photo
from backend.cases.tables import TimelineEntry
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.cases.test_workspaces import department_case
from tests.support import jpeg

MODERATOR = Actor(Role.moderator)


async def public_case_with_photo(settings, categories):
    """A public, accepted case filed with one (noisy, bright) photo."""
    photo = await photos.upload_photo(jpeg(1200, 900, colour=(250, 250, 250)))
    filed = await file(settings, form(categories["water"], photo_keys=[photo.key]))
    await workflow.perform(filed.number, "accept", MODERATOR)
    return filed, photo


def pixel(data: bytes, x: float, y: float) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(data))
    return image.getpixel((int(x * image.width), int(y * image.height)))


def media(settings, url: str) -> bytes:
    from backend.photos import storage

    return storage.path_for(settings.media_dir, url.removeprefix("/media/").removesuffix(".jpg")).read_bytes()


def test_regions_are_clipped_to_the_photo_and_refused_when_outside_or_tiny():
    assert Region.checked(-0.1, 0.5, 0.5, 0.8) == Region(0.0, 0.5, 0.4, 0.5)
    for values in [(1.2, 0, 0.1, 0.1), (0, 0, 0.001, 0.5), (math.nan, 0, 0.5, 0.5), (0, 0, math.inf, 0.5), (0.5, 0.5, -0.2, 0.2)]:
        with pytest.raises(ValueError):
            Region.checked(*values)
    assert Region(0.5, 0.5, 0.5, 0.5).box((101, 51)) == (50, 25, 101, 51)


async def test_black_out_changes_the_public_copy_and_keeps_the_original_for_staff(settings, categories):
    filed, photo = await public_case_with_photo(settings, categories)
    await workflow.perform(filed.number, actions.BlackOutPhoto(photo_key=photo.key, region_x=25, region_y=25, region_width=50, region_height=50), MODERATOR)
    public = (await services.public_case(filed.number)).photos[0]
    assert public.display_sha256 != photo.display_sha256 and public.thumb_sha256 != photo.thumb_sha256
    assert public.public_display_url == "" and not public.hidden  # nothing of moderation shows
    assert pixel(media(settings, public.display_url), 0.5, 0.5) == (0, 0, 0)
    assert pixel(media(settings, public.thumb_url), 0.5, 0.5) == (0, 0, 0)
    assert sum(pixel(media(settings, public.display_url), 0.1, 0.1)) > 400  # outside the region: untouched
    staff = (await services.staff_case(filed.number)).case.photos[0]
    assert staff.display_sha256 == photo.display_sha256 and staff.public_display_url == public.display_url
    # A second region is rendered from the original, with the first one again.
    await workflow.perform(filed.number, actions.BlackOutPhoto(photo_key=photo.key, region_x=0, region_y=0, region_width=10, region_height=10), MODERATOR)
    again = (await services.public_case(filed.number)).photos[0]
    assert pixel(media(settings, again.display_url), 0.5, 0.5) == (0, 0, 0)
    assert pixel(media(settings, again.display_url), 0.05, 0.05) == (0, 0, 0)
    await workflow.perform(filed.number, actions.RestorePhoto(photo_key=photo.key), MODERATOR)
    assert (await services.public_case(filed.number)).photos[0].display_sha256 == photo.display_sha256
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, actions.RestorePhoto(photo_key=photo.key), MODERATOR)
    assert status_of(refused.value) == 409
    entries = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.visibility).where(TimelineEntry.action.like("%photo"))
    assert [(e["action"], e["visibility"]) for e in entries] == [
        ("black_out_photo", "internal"), ("black_out_photo", "internal"), ("restore_photo", "internal")
    ]


async def test_a_hidden_photo_is_gone_from_public_and_follow_pages_but_not_from_staff(settings, categories):
    filed, photo = await public_case_with_photo(settings, categories)
    await workflow.perform(filed.number, actions.HidePhoto(photo_key=photo.key), MODERATOR)
    assert (await services.public_case(filed.number)).photos == []
    assert (await services.case_for_follow_token(filed.follow_token)).photos == []
    staff = (await services.staff_case(filed.number)).case.photos
    assert [(p.key, p.hidden) for p in staff] == [(photo.key, True)]
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, actions.HidePhoto(photo_key=photo.key), MODERATOR)
    assert status_of(refused.value) == 409
    await workflow.perform(filed.number, actions.ShowPhoto(photo_key=photo.key), MODERATOR)
    assert len((await services.public_case(filed.number)).photos) == 1


async def test_photo_actions_need_a_photo_of_this_case_and_a_region(settings, categories):
    filed, photo = await public_case_with_photo(settings, categories)
    other, other_photo = await public_case_with_photo(settings, categories)
    for key in ("", "no-such-photo-key", other_photo.key):
        with pytest.raises(Refusal) as refused:
            await workflow.perform(filed.number, actions.HidePhoto(photo_key=key), MODERATOR)
        assert status_of(refused.value) == 404
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, actions.BlackOutPhoto(photo_key=photo.key), MODERATOR)
    assert status_of(refused.value) == 422


async def test_the_original_of_a_redacted_photo_is_for_staff_only(person, settings, categories, client):
    filed, photo = await public_case_with_photo(settings, categories)
    assert (await client.get(photo.display_url)).headers["cache-control"].startswith("public")
    moderator = await person("moderator")
    response = await moderator.post_form(
        f"/staff/cases/{filed.number}/black_out_photo",
        {"photo_key": photo.key, "region_x": "10", "region_y": "20", "region_width": "30.5", "region_height": "40"},
    )
    assert response.status_code == 303
    row = await Photo.select(Photo.blacked_out, Photo.public_display_sha256).where(Photo.key == photo.key).first()
    assert row["blacked_out"] == "[[0.1, 0.2, 0.305, 0.4]]"
    for url in (photo.display_url, photo.thumb_url):
        assert (await client.get(url)).status_code == 404
        staff = await moderator.client.get(url)
        assert staff.status_code == 200 and staff.headers["cache-control"] == "private, no-store"
    public_page = await client.get(f"/cases/{filed.number}")
    assert photo.display_sha256 not in public_page.text and row["public_display_sha256"] in public_page.text
    assert (await client.get(f"/media/{row['public_display_sha256']}.jpg")).status_code == 200
    staff_page = await moderator.client.get(f"/staff/cases/{filed.number}")
    assert photo.display_sha256 in staff_page.text and "what the public sees" in staff_page.text


async def test_a_bad_region_is_refused_and_kept_to_correct(person, settings, categories):
    filed, photo = await public_case_with_photo(settings, categories)
    moderator = await person("moderator")
    response = await moderator.post_form(
        f"/staff/cases/{filed.number}/black_out_photo",
        {"photo_key": photo.key, "region_x": "95", "region_y": "abc", "region_width": "1e999", "region_height": "40"},
    )
    assert response.status_code == 422
    assert "Mark the part of the photo to black out." in response.text and 'value="95"' in response.text
    handler = await person("handler", department_id=categories["water"].department)
    refused = await handler.post_form(f"/staff/cases/{filed.number}/hide_photo", {"photo_key": photo.key})
    assert refused.status_code == 404  # not the department's case: as if it did not exist


async def test_progress_posts_carry_photos_that_the_public_sees_once_published(person, settings, categories, client):
    case, moderator, handler = await department_case(person, settings, categories)
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    first, second = [await photos.upload_photo(jpeg(colour=c)) for c in ((10, 10, 200), (10, 200, 10))]
    response = await handler.post_form(
        f"/staff/cases/{case.number}/post_progress",
        {"body": "22:09 积水已抽干", "internal": "false", "photo_key": [first.key, second.key]},
    )
    assert response.status_code == 303
    assert first.thumb_sha256 not in (await client.get(f"/cases/{case.number}")).text  # waits for review
    assert second.thumb_sha256 in (await moderator.client.get("/moderation/review")).text  # to check before publishing
    pending = (await workflow.pending_reviews())[0]
    await moderator.post_form(
        f"/moderation/review/{pending.entry_id}", {"decision": "edit", "text": "22:09 积水已全部抽干", "original": pending.body}
    )
    public = await services.public_case(case.number)
    post = [entry for entry in public.timeline if entry.action == "post_progress"]
    assert [entry.body for entry in post] == ["22:09 积水已全部抽干"]
    assert [p.key for p in post[0].photos] == [first.key, second.key]  # the edited version shows them
    assert first.thumb_sha256 in (await client.get(f"/cases/{case.number}")).text


async def test_photos_that_cannot_be_attached_refuse_the_whole_action(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    kept = await photos.upload_photo(jpeg())
    before = await TimelineEntry.count()
    response = await handler.post_form(
        f"/staff/cases/{case.number}/post_progress",
        {"body": "正在抢修", "internal": "false", "photo_key": [kept.key, "AAAAAAAAAAAAAAAAAAAAAA"]},
    )
    assert response.status_code == 422 and "A photo could not be found" in response.text
    assert "正在抢修" in response.text and kept.thumb_sha256 in response.text  # typed text and the photo kept
    assert await TimelineEntry.count() == before
    assert (await Photo.select(Photo.case).where(Photo.key == kept.key).first())["case"] is None
    # A contact record carries no photos: its input has no place for them, built or decoded.
    with pytest.raises(TypeError):
        actions.RecordContact(text="电话联系", photo_keys=[kept.key])
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"text": "电话联系", "photo_keys": [kept.key]}, actions.RecordContact)
    assert all(issubclass(actions.INPUTS[action], actions.WithPhotos) == row.photos for action, row in TRANSITIONS.items())


async def test_media_caching_follows_what_a_moderator_may_still_change(person, settings, categories, client):
    filed, photo = await public_case_with_photo(settings, categories)
    original = await client.get(photo.display_url)
    assert original.headers["cache-control"] == "public, no-cache"  # may be withdrawn at any moment
    again = await client.get(photo.display_url, headers={"if-none-match": original.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    await workflow.perform(filed.number, actions.BlackOutPhoto(photo_key=photo.key, region_x=0, region_y=0, region_width=50, region_height=50), MODERATOR)
    copy = (await services.public_case(filed.number)).photos[0]
    assert (await client.get(copy.display_url)).headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await client.get(photo.display_url, headers={"if-none-match": original.headers["etag"]})).status_code == 404


async def test_the_same_picture_filed_elsewhere_stays_public(settings, categories, client):
    data = jpeg(800, 600, colour=(120, 30, 30))
    first, second = [await photos.upload_photo(data) for _ in range(2)]
    assert first.display_sha256 == second.display_sha256  # one file, content-addressed
    one = await file(settings, form(categories["water"], photo_keys=[first.key]))
    two = await file(settings, form(categories["water"], photo_keys=[second.key]))
    await workflow.perform(one.number, actions.HidePhoto(photo_key=first.key), MODERATOR)
    assert (await client.get(second.display_url)).status_code == 200
    await workflow.perform(two.number, actions.HidePhoto(photo_key=second.key), MODERATOR)
    assert (await client.get(second.display_url)).status_code == 404


async def test_only_departments_handling_the_case_see_a_withheld_original(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    photo = await photos.upload_photo(jpeg(colour=(90, 90, 200)))
    case_id = (await services.staff_case(case.number)).case.id
    await photos.attach_to_case([photo.key], case_id)
    await workflow.perform(case.number, actions.HidePhoto(photo_key=photo.key), MODERATOR)
    assert (await handler.client.get(photo.display_url)).status_code == 200
    other = await person("handler", department_id=categories["roads"].department)
    assert (await other.client.get(photo.display_url)).status_code == 404
    leader = await person("leader")
    assert (await leader.client.get(photo.display_url)).headers["cache-control"] == "private, no-store"


async def test_photos_come_with_the_form_when_script_is_off(person, settings, categories):
    case, moderator, handler = await department_case(person, settings, categories)
    await handler.post_form(f"/staff/cases/{case.number}/sign")
    response = await handler.client.post(
        f"/staff/cases/{case.number}/post_progress",
        data={"body": "02:40 已修复", "internal": "false"},
        files={"photos": ("fixed.jpg", jpeg(), "image/jpeg")},
    )
    assert response.status_code == 303
    entry = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.action == "post_progress").first()
    assert await Photo.count().where(Photo.timeline_entry == entry["id"]) == 1
    refused = await handler.client.post(
        f"/staff/cases/{case.number}/post_progress",
        data={"body": "现场照片", "internal": "false"},
        files={"photos": ("notes.txt", b"not a photo", "text/plain")},
    )
    assert refused.status_code == 422 and "notes.txt" in refused.text and "现场照片" in refused.text
