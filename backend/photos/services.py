"""Uploading photos ahead of a form, and attaching them to a case."""

from __future__ import annotations

import enum
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
import anyio.to_thread

from backend import clock, events
from backend.db import write_transaction
from backend.errors import WrongState
from backend.i18n_markers import N_
from backend.photos.pipeline import PhotoRejected, Region, black_out, process_photo
from backend.photos.storage import media_store
from backend.photos.tables import Photo

MAX_PHOTOS_PER_CASE = 6
MAX_BLACKED_OUT_REGIONS = 20
# Decoding is CPU- and memory-heavy: at most this many at once, whatever the number of uploads.
_decoding = threading.BoundedSemaphore(2)


def _process_bounded(data: bytes):
    with _decoding:
        return process_photo(data)


def _black_out_bounded(display: bytes, regions: list[Region]):
    with _decoding:
        return black_out(display, regions)


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
    # For staff, who see the original: what moderation changed for the public.
    hidden: bool = False
    public_display_sha256: str = ""  # set when regions are blacked out

    @property
    def display_url(self) -> str:
        return f"/media/{self.display_sha256}.jpg"

    @property
    def thumb_url(self) -> str:
        return f"/media/{self.thumb_sha256}.jpg"

    @property
    def public_display_url(self) -> str:
        return f"/media/{self.public_display_sha256}.jpg" if self.public_display_sha256 else ""


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


async def upload_photo(data: bytes) -> PhotoView:
    """Process and store one photo; it waits, unattached, for the form that will claim it.

    Raises ``PhotoRejected`` for anything that is not an acceptable photo, ``StoreUnavailable``
    when the store cannot take it (then no photo is recorded: a filing cannot name it).
    """
    started = time.perf_counter()
    try:
        processed = await anyio.to_thread.run_sync(_process_bounded, data)
    except PhotoRejected:
        await events.emit(events.PhotoProcessed(time.perf_counter() - started, stored=False))
        raise
    display_sha256 = await anyio.to_thread.run_sync(media_store().put, processed.display)
    thumb_sha256 = await anyio.to_thread.run_sync(media_store().put, processed.thumb)
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
    await events.emit(events.PhotoProcessed(time.perf_counter() - started, stored=True))
    return PhotoView(**{column._meta.name: getattr(photo, column._meta.name) for column in _VIEW_COLUMNS})


async def unattached_photos(keys: list[str]) -> list[PhotoView]:
    """The photos among ``keys`` that still wait for a form, in the order given."""
    if not keys:
        return []
    rows = await Photo.select(*_VIEW_COLUMNS).where(Photo.key.is_in(keys), Photo.case.is_null())
    by_key = {row["key"]: PhotoView(**row) for row in rows}
    return [by_key[key] for key in keys if key in by_key]


async def contents_of(keys: list[str]) -> list[str]:
    """The content hashes of these photos, sorted: the same pictures uploaded again match."""
    rows = await Photo.select(Photo.display_sha256).where(Photo.key.is_in(keys)) if keys else []
    return sorted(row["display_sha256"] for row in rows)


UNCLAIMED_FOR = timedelta(days=1)  # an upload no filing claimed in this time is deleted
_UNCLAIMED_BATCH = 500  # per tick of the clock jobs, so that a tick stays short


async def delete_unclaimed(now: datetime) -> int:
    """A clock job: delete the photos uploaded longer than ``UNCLAIMED_FOR`` before ``now`` that no
    filing claimed, rows and files; returns how many rows went. Idempotent, and safe in several
    workers at once (each row is deleted by one of them; a file only once no row names it and
    no upload has stored it again since the cutoff)."""
    cutoff = now - UNCLAIMED_FOR
    async with write_transaction():
        stale = Photo.select(Photo.id).where(Photo.case.is_null(), Photo.created_at < cutoff).limit(_UNCLAIMED_BATCH)
        deleted = await Photo.delete().where(Photo.id.is_in(stale)).returning(Photo.display_sha256, Photo.thumb_sha256)
    names = {row[column] for row in deleted for column in ("display_sha256", "thumb_sha256")}
    await delete_files(await _unnamed(sorted(names)), cutoff)
    return len(deleted)


async def erase_personal_data(case_ids: list[int]) -> list[str]:
    """The retention job's part: the photos of these cases forget where they were taken, each
    one blacked out for the public becomes its public copy for staff too, its original no longer
    named, and each one hidden from the public (whose redacted copy is nothing) goes. Returns
    the files (display and thumbnail) no photo names any more, for ``delete_files``. Call
    inside the transaction that erases the cases' personal data."""
    if not case_ids:
        return []
    files = (Photo.display_sha256, Photo.thumb_sha256, Photo.public_display_sha256, Photo.public_thumb_sha256)
    hidden = await Photo.delete().where(Photo.case.is_in(case_ids), Photo.hidden.eq(True)).returning(*files)
    await Photo.update({Photo.gps_latitude: None, Photo.gps_longitude: None}).where(
        Photo.case.is_in(case_ids), Photo.gps_latitude.is_not_null()
    )
    redacted = await Photo.select(Photo.id, Photo.display_sha256, Photo.thumb_sha256).where(
        Photo.case.is_in(case_ids), Photo.public_display_sha256 != ""
    )
    if redacted:
        await Photo.update(
            {
                Photo.display_sha256: Photo.public_display_sha256,
                Photo.thumb_sha256: Photo.public_thumb_sha256,
                Photo.public_display_sha256: "",
                Photo.public_thumb_sha256: "",
                Photo.blacked_out: "[]",
            }
        ).where(Photo.id.is_in([photo["id"] for photo in redacted]))
    gone = [photo["display_sha256"] for photo in redacted] + [photo["thumb_sha256"] for photo in redacted]
    gone += [name for photo in hidden for name in photo.values() if name]
    return await _unnamed(gone)


async def _unnamed(names: list[str]) -> list[str]:
    """Of these stored files, those no photo names any more (as original, copy or thumbnail)."""
    if not names:
        return []
    named = (Photo.display_sha256, Photo.thumb_sha256, Photo.public_display_sha256, Photo.public_thumb_sha256)
    still = set()
    for column in named:
        still |= {row["name"] for row in await Photo.select(column.as_alias("name")).where(column.is_in(names))}
    return sorted(set(names) - still)


async def delete_files(names: list[str], stored_before: datetime) -> None:
    """Delete these stored files, unless one was stored again since ``stored_before``."""
    if names:
        await anyio.to_thread.run_sync(media_store().delete_unused, names, stored_before.timestamp())


async def attach_to_case(keys: list[str], case_id: int) -> int:
    """Claim unattached photos for a case; returns how many were claimed. Call inside a transaction."""
    for position, key in enumerate(keys):
        await Photo.update({Photo.case: case_id, Photo.position: position}).where(
            Photo.key == key, Photo.case.is_null()
        )
    return await Photo.count().where(Photo.case == case_id, Photo.key.is_in(keys)) if keys else 0


async def attach_to_entry(keys: list[str], case_id: int, entry_id: int) -> int:
    """Claim unattached photos for a timeline entry (a progress post, a reply). In a transaction."""
    for position, key in enumerate(keys):
        await Photo.update({Photo.case: case_id, Photo.timeline_entry: entry_id, Photo.position: position}).where(
            Photo.key == key, Photo.case.is_null()
        )
    return await Photo.count().where(Photo.timeline_entry == entry_id, Photo.key.is_in(keys)) if keys else 0


_MODERATION_COLUMNS = (Photo.hidden, Photo.public_display_sha256, Photo.public_thumb_sha256)


def _view(row: dict, for_staff: bool) -> PhotoView | None:
    """Staff get the original with what moderation changed; everyone else the public derivative,
    and nothing of a hidden photo."""
    public_thumb = row.pop("public_thumb_sha256")
    if for_staff:
        return PhotoView(**row)
    if row["hidden"]:
        return None
    if row["public_display_sha256"]:
        row.update(display_sha256=row["public_display_sha256"], thumb_sha256=public_thumb)
    row.update(hidden=False, public_display_sha256="", gps_latitude=None, gps_longitude=None)
    return PhotoView(**row)


async def photos_of_cases(case_ids: list[int], for_staff: bool = False) -> dict[int, list[PhotoView]]:
    """The photos filed with each case (not those of later timeline entries)."""
    if not case_ids:
        return {}
    rows = (
        await Photo.select(Photo.case.as_alias("owner"), *_VIEW_COLUMNS, *_MODERATION_COLUMNS)
        .where(Photo.case.is_in(case_ids), Photo.timeline_entry.is_null())
        .order_by(Photo.position)
    )
    return _grouped(rows, case_ids, for_staff)


async def photos_of_entries(entry_ids: list[int], for_staff: bool = False) -> dict[int, list[PhotoView]]:
    """The photos posted with each timeline entry."""
    if not entry_ids:
        return {}
    rows = (
        await Photo.select(Photo.timeline_entry.as_alias("owner"), *_VIEW_COLUMNS, *_MODERATION_COLUMNS)
        .where(Photo.timeline_entry.is_in(entry_ids))
        .order_by(Photo.position)
    )
    return _grouped(rows, entry_ids, for_staff)


def _grouped(rows: list[dict], owner_ids: list[int], for_staff: bool) -> dict[int, list[PhotoView]]:
    photos: dict[int, list[PhotoView]] = {owner_id: [] for owner_id in owner_ids}
    for row in rows:
        owner = row.pop("owner")
        if view := _view(row, for_staff):
            photos[owner].append(view)
    return photos


async def photo_of_case(case_id: int, key: str) -> Photo | None:
    """A photo of this case, filed with it or posted on its timeline."""
    return await Photo.objects().where(Photo.case == case_id, Photo.key == key).first()


async def set_hidden(photo: Photo, hidden: bool) -> None:
    await Photo.update({Photo.hidden: hidden}).where(Photo.id == photo.id)


def blacked_out_regions(photo: Photo) -> list[Region]:
    return [Region(*values) for values in json.loads(photo.blacked_out or "[]")]


async def add_blacked_out_region(photo: Photo, region: Region) -> None:
    """Renders the public derivative again from the original, with every region so far: the
    original is never re-encoded over and over, and restoring it is always possible."""
    regions = [*blacked_out_regions(photo), region]
    original = await anyio.to_thread.run_sync(media_store().read, photo.display_sha256)
    if original is None:
        raise WrongState(N_("This photo's file is gone; it can only be hidden."))
    rendered = await anyio.to_thread.run_sync(_black_out_bounded, original, regions)
    display_sha256 = await anyio.to_thread.run_sync(media_store().put, rendered.display)
    thumb_sha256 = await anyio.to_thread.run_sync(media_store().put, rendered.thumb)
    await Photo.update(
        {
            Photo.blacked_out: json.dumps([[r.x, r.y, r.width, r.height] for r in regions]),
            Photo.public_display_sha256: display_sha256,
            Photo.public_thumb_sha256: thumb_sha256,
        }
    ).where(Photo.id == photo.id)


async def restore_original(photo: Photo) -> None:
    await Photo.update(
        {Photo.blacked_out: "[]", Photo.public_display_sha256: "", Photo.public_thumb_sha256: ""}
    ).where(Photo.id == photo.id)


class MediaKind(str, enum.Enum):
    public_copy = "public_copy"  # a blacked-out copy: never changes, never withdrawn
    original = "original"  # as uploaded: public until a moderator changes it, at any time
    withheld = "withheld"  # the original of a hidden or blacked-out photo: staff only
    unknown = "unknown"  # no photo names it (any more): served as an original while the store has it


async def media_kind(sha256: str) -> tuple[MediaKind, list[int]]:
    """What a media file is to the public, and (when withheld) the cases it belongs to.

    Files are content-addressed, so the same picture filed with two cases is one file: it stays
    public while any unmoderated photo shows it."""
    rows = await Photo.select(Photo.case, Photo.hidden, Photo.display_sha256, Photo.thumb_sha256, Photo.public_display_sha256).where(
        (Photo.display_sha256 == sha256)
        | (Photo.thumb_sha256 == sha256)
        | (Photo.public_display_sha256 == sha256)
        | (Photo.public_thumb_sha256 == sha256)
    )
    if not rows:
        return MediaKind.unknown, []
    originals = [row for row in rows if sha256 in (row["display_sha256"], row["thumb_sha256"])]
    if len(originals) < len(rows):
        return MediaKind.public_copy, []
    moderated = [row for row in originals if row["hidden"] or row["public_display_sha256"]]
    if len(moderated) < len(originals):
        return MediaKind.original, []
    return MediaKind.withheld, sorted({row["case"] for row in moderated if row["case"] is not None})
