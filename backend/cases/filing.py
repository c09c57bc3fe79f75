"""What a citizen typed into the report form, and the rules it must meet.

Everything arrives as text and stays as text until it is valid, so a form with errors can be
shown again exactly as it was typed.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from backend.vocabulary import CITIZEN_CASE_TYPES, CaseType
from backend.departments.services import AREA_UNAVAILABLE
from backend.errors import FieldErrors
from backend.i18n_markers import N_
from backend.photos.services import MAX_PHOTOS_PER_CASE
from backend.text import clean_text, row_id

TITLE_MAX = 80
DESCRIPTION_MAX = 5000
ADDRESS_MAX = 200
NAME_MAX = 50
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{5,24}$")
SUBMISSION_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
PHOTO_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{10,32}$")


@dataclass
class CaseForm:
    case_type: str = ""
    category_id: str = ""
    title: str = ""
    description: str = ""
    address: str = ""
    area_id: str = ""  # optional: a district, or a street or town in it
    latitude: str = ""
    longitude: str = ""
    filer_name: str = ""
    filer_phone: str = ""
    publication: str = ""  # "public" or "private": the filer must choose
    photo_keys: list[str] = field(default_factory=list)
    submission_key: str = ""
    # The category's own questions (``departments.questions``): code → the values given.
    answers: dict[str, list[str]] = field(default_factory=dict)

    def cleaned(self) -> CaseForm:
        return CaseForm(
            case_type=clean_text(self.case_type),
            category_id=clean_text(self.category_id),
            title=clean_text(self.title),
            description=clean_text(self.description, multiline=True),
            address=clean_text(self.address),
            area_id=clean_text(self.area_id),
            latitude=clean_text(self.latitude),
            longitude=clean_text(self.longitude),
            filer_name=clean_text(self.filer_name),
            filer_phone=clean_text(self.filer_phone),
            publication=clean_text(self.publication),
            photo_keys=[key for key in dict.fromkeys(clean_text(k) for k in self.photo_keys) if key],
            submission_key=clean_text(self.submission_key),
            answers=self.answers,  # checked against the category's questions, which clean them
        )


@dataclass(frozen=True)
class ValidCase:
    case_type: CaseType
    category_id: int
    title: str
    description: str
    address: str
    area_id: int | None
    latitude: float | None
    longitude: float | None
    filer_name: str
    filer_phone: str
    publication_consent: bool
    photo_keys: list[str]
    submission_key: str


class FilingError(FieldErrors):
    """The filing form has errors."""


class Source(str, enum.Enum):
    """Every channel lands in one system (一网受理)."""

    web = "web"
    hotline = "hotline"
    mailbox = "mailbox"
    social = "social"
    api = "api"  # another platform (a city app, the 12345 system) through the API or Open311


# The channels staff record cases from by hand (at /moderation/intake).
RECORDED_BY_STAFF = (Source.hotline, Source.mailbox, Source.social)

SOURCE_LABELS = {
    Source.web: N_("Website"),
    Source.hotline: N_("12345 hotline call"),
    Source.mailbox: N_("Mailbox letter"),
    Source.social: N_("Public social-media post"),
    Source.api: N_("Another platform, through the API"),
}
SOURCE_URL_MAX = 500
SOURCE_URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def validate_source(source: str, url: str) -> tuple[Source, str]:
    """Intake recorded by staff: the channel, and for a social-media post its address."""
    errors: dict[str, str] = {}
    try:
        channel = Source(source)
    except ValueError:
        channel = Source.web
    if channel not in RECORDED_BY_STAFF:
        errors["source"] = N_("Choose the channel the case came through.")
    url = clean_text(url)  # like every text typed: no control characters, no NUL for PostgreSQL
    if channel == Source.social and (not SOURCE_URL_PATTERN.match(url) or len(url) > SOURCE_URL_MAX):
        errors["source_url"] = N_("Give the address (URL) of the post, starting with http:// or https://.")
    if errors:
        raise FilingError(errors)
    return channel, url if channel == Source.social else ""


def validate(form: CaseForm, *, phone_required: bool = True) -> ValidCase:
    """Check everything that needs no database; raises ``FilingError`` with every error at once."""
    errors: dict[str, str] = {}

    case_type = CaseType(form.case_type) if form.case_type in {t.value for t in CITIZEN_CASE_TYPES} else None
    if case_type is None:
        case_type = CaseType.complaint
        errors["case_type"] = N_("Choose whether this is a complaint, a consultation or a suggestion.")

    category_id = row_id(form.category_id) or 0
    if not category_id:
        errors["category_id"] = N_("Choose a category.")

    _check_length(errors, "title", form.title, 4, TITLE_MAX, N_("Give a short title (4 to 80 characters)."))
    _check_length(
        errors,
        "description",
        form.description,
        10,
        DESCRIPTION_MAX,
        N_("Describe the problem in 10 to 5,000 characters."),
    )
    _check_length(
        errors, "address", form.address, 2, ADDRESS_MAX, N_("Say where it is (an address or a landmark).")
    )
    area_id = row_id(form.area_id) if form.area_id else None
    if form.area_id and area_id is None:
        errors["area_id"] = AREA_UNAVAILABLE
    latitude, longitude = point(errors, form.latitude, form.longitude)
    _check_length(errors, "filer_name", form.filer_name, 1, NAME_MAX, N_("Tell us how to address you."))
    digits = sum(ch.isdigit() for ch in form.filer_phone)
    if (form.filer_phone or phone_required) and (not PHONE_PATTERN.match(form.filer_phone) or not 7 <= digits <= 15):
        errors["filer_phone"] = N_("Give a phone number the department can call (7 to 15 digits).")
    if form.publication not in ("public", "private"):
        errors["publication"] = N_("Choose whether the case may be published.")
    if len(form.photo_keys) > MAX_PHOTOS_PER_CASE:
        errors["photos"] = N_("Add at most 6 photos.")
    elif any(not PHOTO_KEY_PATTERN.match(key) for key in form.photo_keys):
        errors["photos"] = N_("A photo could not be found. Please add it again.")
    if form.submission_key and not SUBMISSION_KEY_PATTERN.match(form.submission_key):
        errors["form"] = N_("This form is out of date. Please reload the page.")

    if errors:
        raise FilingError(errors)
    return ValidCase(
        case_type=case_type,
        category_id=category_id,
        title=form.title,
        description=form.description,
        address=form.address,
        area_id=area_id,
        latitude=latitude,
        longitude=longitude,
        filer_name=form.filer_name,
        filer_phone=form.filer_phone,
        publication_consent=form.publication == "public",
        photo_keys=form.photo_keys,
        submission_key=form.submission_key,
    )


def _check_length(errors: dict[str, str], name: str, value: str, low: int, high: int, message: str) -> None:
    if not low <= len(value) <= high:
        errors[name] = message


def point(errors: dict[str, str], latitude: str, longitude: str) -> tuple[float | None, float | None]:
    if not latitude and not longitude:
        return None, None
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError:
        lat = lon = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors["location"] = N_("The map point is not valid. Clear it or set it again.")
        return None, None
    return round(lat, 6), round(lon, 6)
