"""The photo pipeline: untrusted upload bytes in, stripped display and thumbnail JPEGs out.

Only allowed formats are opened, the pixel count is checked from the header before anything is
decoded (decompression bombs), orientation is applied, colours are converted to sRGB, and the
output is re-encoded from pixels alone, so no metadata of the upload (GPS, camera, ICC) survives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import pillow_heif
from PIL import Image, ImageCms, ImageDraw, ImageOps

from backend.i18n_markers import N_

pillow_heif.register_heif_opener()

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# What cameras write; phones' JPEGs often open as MPO (JPEG with a depth or preview frame).
CAMERA_FORMATS = ("JPEG", "MPO", "HEIF")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 64_000_000  # a 48-megapixel phone photo fits; bombs do not
# Lossless formats cost far more memory per byte of upload; phone screenshots fit easily.
MAX_PIXELS_LOSSLESS = 24_000_000
DISPLAY_LONG_SIDE = 2048
# DCT scaling may shrink a JPEG while decoding only while the result stays at least this large.
DISPLAY_MIN_LONG_SIDE = 1600
THUMB_LONG_SIDE = 480
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75

# Pillow's own guard, in case a format reports its size late.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_SRGB = ImageCms.createProfile("sRGB")


class PhotoRejected(ValueError):
    """The upload is not a photo we can accept; ``message`` is a translatable message id."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    display: bytes
    display_size: tuple[int, int]
    thumb: bytes
    thumb_size: tuple[int, int]
    gps: tuple[float, float] | None


def process_photo(data: bytes) -> ProcessedPhoto:
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(N_("This photo is larger than 25 MB."))
    # Decoders of untrusted files raise all kinds of errors (zlib bombs in PNG text chunks give
    # ValueError, a cut WebP gives OSError, ...): any failure to read is the file's fault.
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise PhotoRejected(N_("This image has too many pixels to be a photo.")) from None
    except Exception:
        raise PhotoRejected(N_("This file is not a JPEG, PNG, WebP or HEIC photo.")) from None
    width, height = image.size
    limit = MAX_PIXELS if image.format in CAMERA_FORMATS else MAX_PIXELS_LOSSLESS
    if width * height > limit or width < 1 or height < 1:
        raise PhotoRejected(N_("This image has too many pixels to be a photo."))
    try:
        gps = _gps_from_exif(image)
        display = _decode_for_display(image)
    except Exception:
        raise PhotoRejected(N_("This photo is damaged or incomplete. Please choose it again.")) from None
    thumb = display.copy()
    thumb.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return ProcessedPhoto(
        display=_encode(display, DISPLAY_QUALITY),
        display_size=display.size,
        thumb=_encode(thumb, THUMB_QUALITY),
        thumb_size=thumb.size,
        gps=gps,
    )


@dataclass(frozen=True)
class Region:
    """A rectangle of an image, in fractions of its width and height (so any size of it)."""

    x: float
    y: float
    width: float
    height: float

    MIN_SIDE = 0.01  # a hundredth of the image: anything smaller is a slip of the finger

    @classmethod
    def checked(cls, x: float, y: float, width: float, height: float) -> Region:
        """Clipped to the image; raises ValueError for one outside it or too small."""
        left, top = max(0.0, x), max(0.0, y)
        right, bottom = min(1.0, x + width), min(1.0, y + height)
        if not all(map(_finite, (x, y, width, height))) or right - left < cls.MIN_SIDE or bottom - top < cls.MIN_SIDE:
            raise ValueError("region outside the image or too small")
        return cls(round(left, 4), round(top, 4), round(right - left, 4), round(bottom - top, 4))

    def box(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """Pixels to paint, rounded outwards so that nothing at the edge shows through."""
        width, height = size
        return (
            int(self.x * width),
            int(self.y * height),
            min(width, -int(-(self.x + self.width) * width)),
            min(height, -int(-(self.y + self.height) * height)),
        )


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


@dataclass(frozen=True)
class RenderedPhoto:
    display: bytes
    thumb: bytes


def black_out(display: bytes, regions: list[Region]) -> RenderedPhoto:
    """The public derivative of a stored display photo: each region painted solid black, then
    re-encoded (and a new thumbnail made) from those pixels, so nothing under them survives."""
    image = Image.open(io.BytesIO(display), formats=["JPEG"])
    image.load()
    draw = ImageDraw.Draw(image)
    for region in regions:
        draw.rectangle(region.box(image.size), fill="black")
    thumb = image.copy()
    thumb.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return RenderedPhoto(display=_encode(image, DISPLAY_QUALITY), thumb=_encode(thumb, THUMB_QUALITY))


def _decode_for_display(image: Image.Image) -> Image.Image:
    width, height = image.size
    long_side = max(width, height)
    if image.format in ("JPEG", "MPO") and long_side > DISPLAY_LONG_SIDE:
        # Decode at 1/2, 1/4 or 1/8 scale (DCT scaling) when that still leaves enough pixels:
        # a 12-megapixel phone photo decodes straight to 2016 px, several times faster.
        scale = 1
        while scale < 8 and long_side // (scale * 2) >= DISPLAY_MIN_LONG_SIDE:
            scale *= 2
        if scale > 1:
            image.draft("RGB", (-(-width // scale), -(-height // scale)))
    image.load()
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    if max(image.size) > DISPLAY_LONG_SIDE:
        image.thumbnail((DISPLAY_LONG_SIDE, DISPLAY_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if icc:
        image = _to_srgb(image, icc)
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent PNG/WebP goes onto white; palettes and CMYK become RGB."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Phones shoot in Display P3; converting keeps colours right once the profile is dropped."""
    transform = _transform_to_srgb(icc, image.mode)
    return ImageCms.applyTransform(image, transform) if transform else image


@lru_cache(maxsize=32)
def _transform_to_srgb(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """Building a transform costs more than applying it; phones reuse a handful of profiles."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return None  # already sRGB: nothing to convert
        return ImageCms.buildTransform(source, _SRGB, mode, mode)
    except (ImageCms.PyCMSError, OSError, TypeError):
        return None  # an unreadable profile: keep the pixels as they are


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # Pillow's JPEG writer copies what is left in ``info`` (a comment, for one): drop it all.
    image.info = {}
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _gps_from_exif(image: Image.Image) -> tuple[float, float] | None:
    gps = image.getexif().get_ifd(0x8825)
    try:
        latitude = _degrees(gps[2], gps.get(1, "N"), "S")
        longitude = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude, longitude) == (0, 0):
        return None
    return round(latitude, 6), round(longitude, 6)


def _degrees(dms, reference, negative_reference: str) -> float:
    degrees, minutes, seconds = (Fraction(float(part)) for part in dms)
    value = float(degrees + minutes / 60 + seconds / 3600)
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "ignore")
    return -value if str(reference).strip().upper() == negative_reference else value
