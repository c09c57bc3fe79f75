"""The photo pipeline on real files of every kind, good and hostile."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from backend.photos import storage
from backend.photos.pipeline import (
    DISPLAY_LONG_SIDE,
    DISPLAY_MIN_LONG_SIDE,
    MAX_UPLOAD_BYTES,
    THUMB_LONG_SIDE,
    PhotoRejected,
    process_photo,
)
from tests.support import SVG, jpeg, png, png_bomb


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the pixel data."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the rest is entropy-coded pixels
            return markers
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
    raise AssertionError("no start of scan")


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif(), "no EXIF at all"
    assert "icc_profile" not in image.info and "exif" not in image.info
    # Only JFIF (APP0), tables and frame headers: no APP1 (EXIF/XMP), APP2 (ICC), COM, ...
    metadata = [m for m in jpeg_segments(data) if 0xE1 <= m <= 0xEF or m == 0xFE]
    assert metadata == []
    assert b"PhoneMaker" not in data


def test_gps_is_read_then_stripped_from_every_served_byte():
    result = process_photo(jpeg(gps=(38.8739, 115.4646)))
    assert result.gps == pytest.approx((38.8739, 115.4646), abs=1e-4)
    assert_no_metadata(result.display)
    assert_no_metadata(result.thumb)


def test_southern_and_western_coordinates_are_negative():
    assert process_photo(jpeg(gps=(-33.8688, -70.6693))).gps == pytest.approx((-33.8688, -70.6693), abs=1e-4)


def test_photo_without_gps_has_no_point():
    assert process_photo(jpeg()).gps is None


def test_colour_profile_is_applied_then_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    foreign = profile.replace("sRGB".encode("utf-16-be"), "Wide".encode("utf-16-be"))
    for icc in (profile, foreign, b"not a profile"):
        out = io.BytesIO()
        Image.new("RGB", (640, 480), (200, 30, 30)).save(out, format="JPEG", icc_profile=icc)
        result = process_photo(out.getvalue())
        assert_no_metadata(result.display)
        red, green, blue = Image.open(io.BytesIO(result.display)).getpixel((320, 240))
        assert red > 180 and green < 60 and blue < 60


def test_orientation_is_applied():
    result = process_photo(jpeg(width=800, height=600, orientation=6))
    assert result.display_size == (600, 800)
    assert Image.open(io.BytesIO(result.display)).size == (600, 800)


def test_twelve_megapixel_photo_is_scaled_within_display_bounds():
    result = process_photo(jpeg(width=4032, height=3024))
    assert DISPLAY_MIN_LONG_SIDE <= max(result.display_size) <= DISPLAY_LONG_SIDE
    assert max(result.thumb_size) == THUMB_LONG_SIDE
    assert Image.open(io.BytesIO(result.display)).size == result.display_size


def test_wide_photo_larger_than_display_is_resized_to_display_size():
    result = process_photo(jpeg(width=3000, height=1000))
    assert result.display_size == (DISPLAY_LONG_SIDE, 683)


def test_small_photo_keeps_its_size():
    assert process_photo(jpeg(width=640, height=480)).display_size == (640, 480)


def test_transparent_png_becomes_a_jpeg_on_white():
    result = process_photo(png(mode="RGBA"))
    image = Image.open(io.BytesIO(result.display))
    assert image.mode == "RGB"
    assert_no_metadata(result.display)


def test_webp_and_heic_are_accepted():
    for format_name in ("WEBP", "HEIF"):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), (30, 90, 200)).save(out, format=format_name)
        result = process_photo(out.getvalue())
        assert result.display_size == (320, 240)
        assert_no_metadata(result.display)


@pytest.mark.parametrize(
    "data, message",
    [
        (png_bomb(), "too many pixels"),
        (b"this is a text file named photo.jpg\n" * 10, "not a JPEG"),
        (SVG, "not a JPEG"),
        (jpeg()[:3000], "damaged"),
        (b"", "not a JPEG"),
    ],
    ids=["png-bomb", "text-as-jpg", "svg", "truncated-jpeg", "empty"],
)
def test_hostile_and_broken_files_are_refused(data, message):
    with pytest.raises(PhotoRejected) as refused:
        process_photo(data)
    assert message in refused.value.message


def png_with_chunk(kind: bytes, data: bytes) -> bytes:
    """A valid small PNG with one more chunk inserted before its image data."""
    original = png(mode="RGB")
    position = original.index(b"IDAT") - 4
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return original[:position] + chunk + original[position:]


def test_compressed_text_bomb_in_a_png_is_refused():
    bomb = b"comment\0\0" + zlib.compress(b"A" * 50_000_000, 9)
    with pytest.raises(PhotoRejected):
        process_photo(png_with_chunk(b"zTXt", bomb))


def test_text_comments_never_reach_the_served_bytes():
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (1, 2, 3)).save(out, format="JPEG", comment=b"Zhang San 13800138000")
    from_jpeg = process_photo(out.getvalue())
    from_png = process_photo(png_with_chunk(b"tEXt", b"comment\0Zhang San 13800138000"))
    for result in (from_jpeg, from_png):
        assert_no_metadata(result.display)
        assert b"13800138000" not in result.display + result.thumb


def test_cut_webp_is_refused():
    out = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(out, format="WEBP")
    with pytest.raises(PhotoRejected):
        process_photo(out.getvalue()[: len(out.getvalue()) // 2])


def test_infinite_gps_values_are_ignored():
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (float("inf"), 0.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, format="JPEG", exif=exif)
    assert process_photo(out.getvalue()).gps is None


def test_large_lossless_images_have_a_lower_pixel_limit():
    with pytest.raises(PhotoRejected) as refused:
        process_photo(png_bomb(width=6000, height=5000))
    assert "too many pixels" in refused.value.message


def test_gif_is_not_an_allowed_format():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(PhotoRejected):
        process_photo(out.getvalue())


def test_oversized_upload_is_refused_before_decoding():
    with pytest.raises(PhotoRejected) as refused:
        process_photo(b"\xff\xd8" + b"\0" * MAX_UPLOAD_BYTES)
    assert "25 MB" in refused.value.message


def test_storage_is_content_addressed_and_idempotent(tmp_path):
    content = process_photo(jpeg()).display
    sha256 = storage.LocalStore(tmp_path).put(content)
    assert sha256 == hashlib.sha256(content).hexdigest()
    path = storage.path_for(tmp_path, sha256)
    assert path.read_bytes() == content
    assert storage.LocalStore(tmp_path).put(content) == sha256
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary files left behind"
