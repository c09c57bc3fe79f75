"""Photo upload (ahead of the form, so a form error never loses a photo) and photo files."""

from __future__ import annotations

from collections import OrderedDict
from typing import Literal
from urllib.parse import quote

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import File, Response, Template

from backend.accounts.guards import sessions_of
from backend.vocabulary import StaffRole
from backend.accounts.sessions import COOKIE_NAME
from backend.cases.filing import PHOTO_KEY_PATTERN
from backend.cases.permissions import handler_scope
from backend.cases.services import departments_of_case
from backend.i18n_markers import N_
from backend.photos import storage
from backend.photos.storage import media_store
from backend.photos.pipeline import MAX_UPLOAD_BYTES, PhotoRejected
from backend.photos.services import MAX_PHOTOS_PER_CASE, MediaKind, PhotoView, media_kind, upload_photo
from backend.web import i18n
from backend.web.errors import MESSAGES, activate_language
from backend.web.forms import form_text
from backend.web.security import ADDRESS_LIMIT

STAFF_WHO_SEE_ORIGINALS = frozenset({StaffRole.admin, StaffRole.moderator, StaffRole.handler, StaffRole.leader})
MEDIA_CACHE = {
    MediaKind.public_copy: "public, max-age=31536000, immutable",
    # A moderator may hide or black out an original at any moment: caches must ask again each
    # time (a 304 when nothing changed), so that a withdrawn original is gone everywhere.
    MediaKind.original: "public, no-cache",
    MediaKind.withheld: "private, no-store",
    MediaKind.unknown: "public, no-cache",
}
# What each worker keeps of the files it read from an object store, for the next requests.
KEPT_BYTES = 64 * 1024 * 1024
KEPT_FILE_BYTES = 2 * 1024 * 1024
# Six photos of up to 25 MB each, plus the form's text, in one no-script submission.
MAX_FORM_BYTES = MAX_PHOTOS_PER_CASE * MAX_UPLOAD_BYTES + 1024 * 1024


def photo_keys_from(form: FormMultiDict) -> list[str]:
    """The well-formed photo keys a form carries; anything else in their place is ignored."""
    return [key for key in form.getall("photo_key", []) if isinstance(key, str) and PHOTO_KEY_PATTERN.match(key)]


def photo_key_from(form: FormMultiDict) -> str:
    """The one photo an action is about (hiding it, say): a key of no photo's shape is a bad
    request, refused before it reaches a query."""
    key = form_text(form, "photo_key")
    if key and not PHOTO_KEY_PATTERN.match(key):
        raise ValidationException("not a photo key")
    return key


async def receive_uploads(files: list, already: int) -> tuple[list[PhotoView], list[str]]:
    """Store the photos among ``files``; returns them and one readable error per refused file."""
    photos: list[PhotoView] = []
    errors: list[str] = []
    for upload in files:
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        name = upload.filename[:80]
        if already + len(photos) >= MAX_PHOTOS_PER_CASE:
            errors.append(f"{name}: {i18n.gettext(N_('Add at most 6 photos.'))}")
            continue
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            photos.append(await upload_photo(data))
        except PhotoRejected as rejected:
            errors.append(f"{name}: {i18n.gettext(rejected.message)}")
    return photos, errors


def _upload_too_large(request: Request, _: Exception) -> Template:
    """Photos go to their own list in the form, so their errors do too."""
    activate_language(request)
    return Template(
        template_name="partials/photo_items.html",
        context={"photos": [], "photo_errors": [i18n.gettext(MESSAGES[413])]},
        status_code=413,
    )


class PhotoController(Controller):
    @post(
        "/photos",
        request_max_body_size=MAX_FORM_BYTES,
        status_code=200,
        exception_handlers={RequestEntityTooLarge: _upload_too_large},
        opt={ADDRESS_LIMIT: "photos"},
    )
    async def upload(self, request: Request) -> Template:
        """htmx posts the chosen files here at once; the answer is their previews (or errors)."""
        form = await request.form()
        already = len(photo_keys_from(form))
        photos, errors = await receive_uploads(form.getall("photos", []), already)
        return Template(
            template_name="partials/photo_items.html",
            context={"photos": photos, "photo_errors": errors},
            status_code=200 if photos or not errors else 422,
        )

    @get("/media/{name:str}", cache=False)
    async def media(self, request: Request, name: FromPath[str]) -> Response:
        sha256, _, extension = name.partition(".")
        if extension != "jpg" or not storage.SHA256_NAME.match(sha256):
            raise NotFoundException()
        kind, case_ids = await media_kind(sha256)
        if kind == MediaKind.withheld and not await _sees_originals_of(request, case_ids):
            raise NotFoundException()
        headers = {"cache-control": MEDIA_CACHE[kind], "etag": f'"{sha256}"'}
        # Content-addressed: the same name is the same bytes, so a cached copy is always right
        # while the file may be shown at all.
        if request.headers.get("if-none-match") == headers["etag"]:
            return Response(content=b"", status_code=304, headers=headers)
        return await stored_file(
            sha256,
            ".jpg",
            content_disposition_type="inline",
            media_type="image/jpeg",
            headers={**headers, "content-security-policy": "default-src 'none'; sandbox"},
            shown=kind in (MediaKind.public_copy, MediaKind.original),
        )


class KeptFiles:
    """The files a worker last read from an object store, least recently used out. Names are
    content hashes, so kept bytes are always the file's; whether the file may still be served is
    asked of the database before every use (``shown``), so a withdrawn or erased file is never
    answered from here, and a file found no longer shown is dropped."""

    def __init__(self, max_bytes: int = KEPT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.files: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.size = 0

    def get(self, key: tuple[str, str]) -> bytes | None:
        if (content := self.files.get(key)) is not None:
            self.files.move_to_end(key)
        return content

    def keep(self, key: tuple[str, str], content: bytes) -> None:
        if len(content) > KEPT_FILE_BYTES or key in self.files:
            return
        self.files[key] = content
        self.size += len(content)
        while self.size > self.max_bytes:
            self.size -= len(self.files.popitem(last=False)[1])

    def drop(self, key: tuple[str, str]) -> None:
        if (content := self.files.pop(key, None)) is not None:
            self.size -= len(content)


kept_files = KeptFiles()


async def stored_file(
    sha256: str, suffix: str, media_type: str, headers: dict[str, str],
    content_disposition_type: Literal["attachment", "inline"], filename: str = "", shown: bool = False,
) -> File | Response:
    """A stored file as the answer: from this machine's disk as it is (ranges, sendfile), or the
    bytes of the object store, fetched in a thread. A 404 when the store has no such file.
    ``shown``: the database says anyone may see it now, so this worker may keep its bytes from
    the object store and answer the next requests with them (``KeptFiles``)."""
    store = media_store()
    filename = filename or f"{sha256}{suffix}"
    if (path := store.local_path(sha256, suffix)) is not None:
        if not path.is_file():
            raise NotFoundException()
        return File(path=path, filename=filename, content_disposition_type=content_disposition_type, media_type=media_type, headers=headers)
    key = (sha256, suffix)
    if not shown:
        kept_files.drop(key)
    elif (content := kept_files.get(key)) is not None:
        return _bytes_answer(content, filename, content_disposition_type, media_type, headers)
    content = await anyio.to_thread.run_sync(store.read, sha256, suffix)
    if content is None:
        raise NotFoundException()
    if shown:
        kept_files.keep(key, content)
    return _bytes_answer(content, filename, content_disposition_type, media_type, headers)


def _bytes_answer(content: bytes, filename: str, content_disposition_type: str, media_type: str, headers: dict[str, str]) -> Response:
    # The header File writes, so that both stores answer alike.
    quoted = quote(filename)
    disposition = f'{content_disposition_type}; filename="{filename}"' if quoted == filename else f"{content_disposition_type}; filename*=utf-8''{quoted}"
    return Response(content=content, media_type=media_type, headers={**headers, "content-disposition": disposition})


async def _sees_originals_of(request: Request, case_ids: list[int]) -> bool:
    """Staff who may see one of these cases. The session middleware skips /media (its files are
    the same for everyone, almost), so the session is resolved here."""
    token = request.cookies.get(COOKIE_NAME)
    session = await sessions_of(request).resolve(token) if token else None
    if session is None or session.account.role not in STAFF_WHO_SEE_ORIGINALS:
        return False
    if session.account.role != StaffRole.handler:
        return True
    for case_id in case_ids:
        if handler_scope(session.account.department_id, *await departments_of_case(case_id)) is not None:
            return True
    return False
