"""Photo upload (ahead of the form, so a form error never loses a photo) and photo files."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from litestar.response import File, Template

from backend.accounts.guards import sessions_of
from backend.accounts.roles import StaffRole
from backend.accounts.sessions import COOKIE_NAME
from backend.cases.filing import PHOTO_KEY_PATTERN
from backend.i18n_markers import N_
from backend.photos import storage
from backend.photos.pipeline import MAX_UPLOAD_BYTES, PhotoRejected
from backend.photos.services import MAX_PHOTOS_PER_CASE, PhotoView, upload_photo, withheld_from_public
from backend.settings import get_settings
from backend.web import i18n
from backend.web.errors import MESSAGES, activate_language

STAFF_WHO_SEE_ORIGINALS = frozenset({StaffRole.admin, StaffRole.moderator, StaffRole.handler, StaffRole.leader})
# Six photos of up to 25 MB each, plus the form's text, in one no-script submission.
MAX_FORM_BYTES = MAX_PHOTOS_PER_CASE * MAX_UPLOAD_BYTES + 1024 * 1024


def photo_keys_from(form: FormMultiDict) -> list[str]:
    """The well-formed photo keys a form carries; anything else in their place is ignored."""
    return [key for key in form.getall("photo_key", []) if isinstance(key, str) and PHOTO_KEY_PATTERN.match(key)]


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
            photos.append(await upload_photo(data, get_settings().media_dir))
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
    async def media(self, request: Request, name: FromPath[str]) -> File:
        sha256, _, extension = name.partition(".")
        if extension != "jpg" or not storage.SHA256_NAME.match(sha256):
            raise NotFoundException()
        path = storage.path_for(get_settings().media_dir, sha256)
        if not path.is_file():
            raise NotFoundException()
        # Content-addressed: the bytes behind a name never change.
        cache = "public, max-age=31536000, immutable"
        if await withheld_from_public(sha256):
            # The original of a hidden or blacked-out photo: staff only, and never in a shared cache.
            if not await _staff_request(request):
                raise NotFoundException()
            cache = "private, no-store"
        return File(
            path=path,
            content_disposition_type="inline",
            media_type="image/jpeg",
            headers={"cache-control": cache, "content-security-policy": "default-src 'none'; sandbox"},
        )


async def _staff_request(request: Request) -> bool:
    """The session middleware skips /media (files are the same for everyone, almost): resolve it here."""
    token = request.cookies.get(COOKIE_NAME)
    session = await sessions_of(request).resolve(token) if token else None
    return session is not None and session.account.role in STAFF_WHO_SEE_ORIGINALS
