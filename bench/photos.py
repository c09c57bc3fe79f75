"""Benchmark: the photo pipeline against a naive Pillow baseline on 12-megapixel phone JPEGs.

Measured, per photo: ``backend.photos.pipeline.process_photo`` (JPEG draft mode / DCT scaling,
EXIF orientation, metadata stripped, display image <= 2048 px plus a 480 px thumbnail, both
re-encoded as JPEG) against the same job done the plain way: full decode, ``exif_transpose``,
LANCZOS resize of the full-size image to 2048 px and again to 480 px, both encoded at the
pipeline's qualities. The goal is for the pipeline to take at most a third of the baseline's time.

Inputs are generated here with Pillow only: 4032x3024 photo-like JPEGs (gradients, shapes,
noise) saved at quality 90 with EXIF Orientation=6 and a GPS IFD, like a phone photo. After one
warm-up, pipeline and baseline runs alternate so machine noise affects both alike; medians of
time.perf_counter are reported.

Run from the repository root:  .venv/bin/python bench/photos.py [--runs 7] [--images 3]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MINSHENG_DATA_DIR", tempfile.mkdtemp(prefix="minsheng-bench-"))

from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageOps, TiffImagePlugin  # noqa: E402

from backend.photos.pipeline import (  # noqa: E402
    DISPLAY_LONG_SIDE,
    DISPLAY_QUALITY,
    THUMB_LONG_SIDE,
    THUMB_QUALITY,
    process_photo,
)

SIZE = (4032, 3024)  # 12 megapixels, stored landscape; Orientation=6 shows it portrait


# Phones embed Display P3. Pillow cannot make that profile, so this one is sRGB renamed: the
# pipeline then treats it as a foreign profile and pays the full conversion, as for P3.
PHONE_ICC_PROFILE = (
    ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes().replace("sRGB".encode("utf-16-be"), "P3ph".encode("utf-16-be"))
)


def make_phone_jpeg(seed: int, icc_profile: bytes = b"") -> bytes:
    rng = random.Random(seed)
    # Smooth colour gradients, one per channel, at different angles.
    channels = [
        Image.linear_gradient("L").rotate(rng.uniform(0, 360), resample=Image.Resampling.BICUBIC,
                                          expand=False, fillcolor=rng.randrange(256)).resize(SIZE)
        for _ in range(3)
    ]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        w, h = rng.randrange(100, 1200), rng.randrange(100, 900)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(6))
    # Coarse texture plus fine sensor noise.
    texture = Image.effect_noise((SIZE[0] // 8, SIZE[1] // 8), 60).resize(SIZE, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(SIZE, 40)
    noise = Image.blend(texture, grain, 0.5).convert("RGB")
    image = Image.blend(image, noise, 0.25)

    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 13"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    gps = exif.get_ifd(0x8825)
    rational = TiffImagePlugin.IFDRational
    gps[1] = "N"
    gps[2] = (rational(39), rational(54), rational(Fraction("27.36")))
    gps[3] = "E"
    gps[4] = (rational(116), rational(23), rational(Fraction("50.52")))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif, icc_profile=icc_profile or None)
    return out.getvalue()


def baseline(data: bytes) -> tuple[bytes, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    image.load()
    image = ImageOps.exif_transpose(image)

    def fit(long_side: int) -> Image.Image:
        scale = long_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, Image.Resampling.LANCZOS)

    display, thumb = fit(DISPLAY_LONG_SIDE), fit(THUMB_LONG_SIDE)
    encoded = []
    for picture, quality in ((display, DISPLAY_QUALITY), (thumb, THUMB_QUALITY)):
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=quality)
        encoded.append(out.getvalue())
    return encoded[0], display.size, encoded[1]


def timed(function, data: bytes) -> float:
    start = time.perf_counter()
    function(data)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per image and method")
    parser.add_argument("--images", type=int, default=3, help="number of generated photos")
    args = parser.parse_args()

    for label, icc_profile in (("sRGB (no profile)", b""), ("wide-gamut profile, converted to sRGB", PHONE_ICC_PROFILE)):
        photos = [make_phone_jpeg(seed, icc_profile) for seed in range(args.images)]
        sizes_mb = [len(photo) / 1e6 for photo in photos]
        print(f"\n== {label}: {len(photos)} JPEGs {SIZE[0]}x{SIZE[1]} q90, Orientation=6 + GPS, "
              f"{min(sizes_mb):.1f}-{max(sizes_mb):.1f} MB; {args.runs} runs each after 1 warm-up")
        measure(photos, args.runs)


def measure(photos: list[bytes], runs: int) -> None:

    pipeline_ms: list[float] = []
    baseline_ms: list[float] = []
    for photo in photos:
        result = process_photo(photo)  # warm-up and correctness checks
        base_display, base_size, _ = baseline(photo)
        assert max(result.display_size) <= DISPLAY_LONG_SIDE, result.display_size
        assert max(base_size) <= DISPLAY_LONG_SIDE, base_size
        assert max(Image.open(io.BytesIO(base_display)).size) <= DISPLAY_LONG_SIDE
        assert max(Image.open(io.BytesIO(result.display)).size) <= DISPLAY_LONG_SIDE
        assert not Image.open(io.BytesIO(result.display)).getexif(), "pipeline display kept EXIF"
        assert result.gps is not None, "test photo GPS was not read"
        for _ in range(runs):
            pipeline_ms.append(timed(process_photo, photo))
            baseline_ms.append(timed(baseline, photo))

    pipeline_median = statistics.median(pipeline_ms)
    baseline_median = statistics.median(baseline_ms)
    ratio = pipeline_median / baseline_median
    (display_w, display_h), (thumb_w, thumb_h) = result.display_size, result.thumb_size
    print(f"pipeline: {pipeline_median:7.1f} ms median  display {display_w}x{display_h}  "
          f"thumb {thumb_w}x{thumb_h}")
    print(f"baseline: {baseline_median:7.1f} ms median  display {base_size[0]}x{base_size[1]}")
    verdict = "MET" if ratio <= 0.333 else "NOT MET"
    print(f"ratio pipeline/baseline: {ratio:.3f}  goal <= 0.333 (a third of the baseline): {verdict}")


if __name__ == "__main__":
    main()
