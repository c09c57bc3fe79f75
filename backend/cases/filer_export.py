"""What a filer may take away (the right to a copy, PIPL art. 45): everything about their case
that is theirs or meant for them, as a ZIP of ``case.json`` and the photos.

Theirs: what they filed (with their name, phone and the photos as they uploaded them), their
answers to the category's questions and their ratings. Meant for them: the timeline as their
follow page shows it (public entries and those for the filer, such as each reveal of their
contact details), with the photos as they see them. Nothing meant for staff alone, and no one
else's personal data: staff appear as their department (or the platform centre), never by name.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from backend.cases import services
from backend.cases.tables import Case, CaseAnswer
from backend.photos.storage import MediaStore
from backend.photos.tables import Photo


@dataclass(frozen=True)
class FilerExport:
    number: str
    document: dict  # case.json, with the labels as message ids (``translated`` puts them in a language)
    photos: dict[str, str]  # a name in the ZIP → the photo's stored file (sha256)


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def filer_export(token: str) -> FilerExport | None:
    """The filer's copy of the case the follow link ``token`` is for (None: no such link)."""
    view = await services.case_for_follow_token(token)
    if view is None:
        return None
    filed = await Case.select(Case.filer_name, Case.filer_phone, Case.source).where(Case.id == view.id).first()
    answers = await CaseAnswer.select(CaseAnswer.question, CaseAnswer.value).where(CaseAnswer.case == view.id).order_by(CaseAnswer.id)
    photos: dict[str, str] = {}
    # Their own uploads as they sent them (stripped of metadata on upload), even one moderation
    # hid or blacked out for the public: it is their picture.
    uploads = await Photo.select(Photo.display_sha256).where(Photo.case == view.id, Photo.timeline_entry.is_null()).order_by(Photo.position)
    for number, row in enumerate(uploads, 1):
        photos[f"photos/filed-{number}.jpg"] = row["display_sha256"]
    timeline = []
    for entry in view.timeline:
        names = []
        for number, photo in enumerate(entry.photos, 1):  # as the follow page shows them
            name = f"photos/entry-{entry.id}-{number}.jpg"
            photos[name] = photo.display_sha256
            names.append(name)
        timeline.append(
            {
                "at": _at(entry.created_at),
                "action": entry.action,
                "label": entry.label,
                "by": entry.actor_name or None,  # a department; none for the centre or the filer
                "role": entry.actor_role,
                "text": entry.body,
                "due_at": _at(entry.due_at),
                "photos": names,
            }
        )
    document = {
        "case": {
            "number": view.number,
            "type": view.case_type,
            "status": view.status,
            "category": view.category_name,
            "title": view.title,
            "description": view.description,
            "address": view.address,
            "latitude": view.latitude,
            "longitude": view.longitude,
            "filed_at": _at(view.created_at),
            "published_at": _at(view.published_at),
            "you_agreed_to_publication": view.publication_consent,
            "channel": filed["source"],
            "department": view.department_name,
        },
        "you": {"name": filed["filer_name"], "phone": filed["filer_phone"]},
        "answers": [{"question": row["question"], "answer": row["value"]} for row in answers],
        "ratings": [
            {"at": _at(rating.created_at), "satisfaction": rating.satisfaction, "solved": rating.solved, "published_comment": rating.comment}
            for rating in view.ratings
        ],
        "timeline": timeline,
        "photos_filed": [name for name in photos if name.startswith("photos/filed-")],
    }
    return FilerExport(view.number, document, photos)


def zip_of(export: FilerExport, store: MediaStore, translate: Callable[[str], str]) -> bytes:
    """The ZIP (blocking: run it in a thread). ``translate`` puts the timeline's labels in the
    filer's language."""
    document = {**export.document, "timeline": [{**entry, "label": translate(entry["label"])} for entry in export.document["timeline"]]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("case.json", json.dumps(document, ensure_ascii=False, indent=2))
        for name, sha256 in export.photos.items():
            content = store.read(sha256)
            if content is not None:  # a photo file tidied away is left out, not a failed download
                archive.writestr(name, content, compress_type=zipfile.ZIP_STORED)  # JPEG: already compressed
    return buffer.getvalue()
