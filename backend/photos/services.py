"""Uploading photos ahead of a form, and attaching them to a case."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

from backend import clock
from backend.photos import storage
from backend.photos.pipeline import process_photo
from backend.photos.tables import Photo

MAX_PHOTOS_PER_CASE = 6
# Decoding is CPU- and memory-heavy: at most this many at once, whatever the number of uploads.
_decoding = threading.BoundedSemaphore(2)


def _process_bounded(data: bytes):
    with _decoding:
        return process_photo(data)


@dataclass(frozen=True)
class PhotoView:
    key: str
    display_sha256: str
    display_width: int
    display_height: int
    thumb_sha256: str
    thumb_width: int
    thumb_height: int
    gps_latitude: float | None
    gps_longitude: float | None

    @property
    def display_url(self) -> str:
        return f"/media/{self.display_sha256}.jpg"

    @property
    def thumb_url(self) -> str:
        return f"/media/{self.thumb_sha256}.jpg"


_VIEW_COLUMNS = (
    Photo.key,
    Photo.display_sha256,
    Photo.display_width,
    Photo.display_height,
    Photo.thumb_sha256,
    Photo.thumb_width,
    Photo.thumb_height,
    Photo.gps_latitude,
    Photo.gps_longitude,
)


async def upload_photo(data: bytes, media_dir: Path) -> PhotoView:
    """Process and store one photo; it waits, unattached, for the form that will claim it.

    Raises ``PhotoRejected`` for anything that is not an acceptable photo.
    """
    processed = await anyio.to_thread.run_sync(_process_bounded, data)
    display_sha256 = await anyio.to_thread.run_sync(storage.store, media_dir, processed.display)
    thumb_sha256 = await anyio.to_thread.run_sync(storage.store, media_dir, processed.thumb)
    latitude, longitude = processed.gps or (None, None)
    photo = Photo(
        key=secrets.token_urlsafe(16),
        display_sha256=display_sha256,
        display_width=processed.display_size[0],
        display_height=processed.display_size[1],
        thumb_sha256=thumb_sha256,
        thumb_width=processed.thumb_size[0],
        thumb_height=processed.thumb_size[1],
        gps_latitude=latitude,
        gps_longitude=longitude,
        created_at=clock.now(),
    )
    await photo.save()
    return PhotoView(**{column._meta.name: getattr(photo, column._meta.name) for column in _VIEW_COLUMNS})


async def unattached_photos(keys: list[str]) -> list[PhotoView]:
    """The photos among ``keys`` that still wait for a form, in the order given."""
    if not keys:
        return []
    rows = await Photo.select(*_VIEW_COLUMNS).where(Photo.key.is_in(keys), Photo.case.is_null())
    by_key = {row["key"]: PhotoView(**row) for row in rows}
    return [by_key[key] for key in keys if key in by_key]


async def attach_to_case(keys: list[str], case_id: int) -> int:
    """Claim unattached photos for a case; returns how many were claimed. Call inside a transaction."""
    for position, key in enumerate(keys):
        await Photo.update({Photo.case: case_id, Photo.position: position}).where(
            Photo.key == key, Photo.case.is_null()
        )
    return await Photo.count().where(Photo.case == case_id, Photo.key.is_in(keys)) if keys else 0


async def photos_of_cases(case_ids: list[int]) -> dict[int, list[PhotoView]]:
    """The photos filed with each case (not those of later timeline entries)."""
    if not case_ids:
        return {}
    rows = (
        await Photo.select(Photo.case.as_alias("case_id"), *_VIEW_COLUMNS)
        .where(Photo.case.is_in(case_ids), Photo.timeline_entry.is_null())
        .order_by(Photo.position)
    )
    photos: dict[int, list[PhotoView]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        photos[row.pop("case_id")].append(PhotoView(**row))
    return photos
