"""Uploads that no filing claims within a day are deleted by the clock jobs, rows and files,
once, whatever else shares their picture."""

from __future__ import annotations

import os
from datetime import timedelta

from backend import clock
from backend.jobs import JOBS
from backend.photos import services as photos
from backend.photos import storage
from backend.photos.tables import Photo
from tests.cases.test_filing import file, form
from tests.support import jpeg


async def _upload(settings, picture: bytes, days_ago: float):
    with clock.travel_to(clock.now() - timedelta(days=days_ago)):
        view = await photos.upload_photo(picture)
    for name in (view.display_sha256, view.thumb_sha256):  # its files as old as its row
        then = (clock.now() - timedelta(days=days_ago)).timestamp()
        os.utime(storage.path_for(settings.media_dir, name), (then, then))
    return view


def _on_disk(settings, view) -> bool:
    return storage.path_for(settings.media_dir, view.display_sha256).is_file() and storage.path_for(settings.media_dir, view.thumb_sha256).is_file()


async def test_unclaimed_uploads_older_than_a_day_are_deleted_once(settings, categories):
    assert photos.delete_unclaimed in JOBS
    stale = await _upload(settings, jpeg(300, 200), 2)
    fresh = await _upload(settings, jpeg(300, 200), 0.5)
    claimed = await _upload(settings, jpeg(300, 200), 2)  # filed only now, from a kept report
    await file(settings, form(categories["water"], photo_keys=[claimed.key]))
    shared_picture = jpeg(300, 200)
    old_copy = await _upload(settings, shared_picture, 3)
    in_use = await _upload(settings, shared_picture, 0)  # the same picture, uploaded again today
    await file(settings, form(categories["water"], title="同一张照片", photo_keys=[in_use.key]))

    assert await photos.delete_unclaimed(clock.now()) == 2  # the stale upload and the old copy
    assert await photos.delete_unclaimed(clock.now()) == 0
    keys = {row["key"] for row in await Photo.select(Photo.key)}
    assert keys == {fresh.key, claimed.key, in_use.key}
    assert not _on_disk(settings, stale)
    assert _on_disk(settings, fresh) and _on_disk(settings, claimed) and _on_disk(settings, in_use)
    assert old_copy.display_sha256 == in_use.display_sha256
