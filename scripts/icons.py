"""Draws the app icons (favicon SVG and the PNGs the web app manifest names) from one geometry.

A speech bubble with a tick: a problem reported, and answered. Drawn as shapes rather than a
character so that it looks the same without any CJK font. Run after changing the design:
``.venv/bin/python scripts/icons.py``; the outputs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "frontend" / "static"
BLUE = "#0172ad"
WHITE = "#ffffff"
# In a 64-unit square.
BUBBLE = (13, 14, 51, 42)
BUBBLE_RADIUS = 8
TAIL = [(20, 40), (20, 52), (32, 41)]
TICK = [(23, 28), (30, 35), (42, 22)]
TICK_WIDTH = 5


def svg() -> str:
    x0, y0, x1, y1 = BUBBLE
    tail = " ".join(f"{x},{y}" for x, y in TAIL)
    tick = " ".join(f"{x},{y}" for x, y in TICK)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{BLUE}"/>'
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{BUBBLE_RADIUS}" fill="{WHITE}"/>'
        f'<polygon points="{tail}" fill="{WHITE}"/>'
        f'<polyline points="{tick}" fill="none" stroke="{BLUE}" stroke-width="{TICK_WIDTH}" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
    )


def png(size: int, maskable: bool) -> Image.Image:
    """``maskable``: full-bleed background, the drawing inside the central safe circle."""
    scale = 8  # drawn large and scaled down: Pillow's shapes have no anti-aliasing of their own
    canvas = size * scale
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, canvas, canvas), fill=BLUE)
        unit, offset = canvas * 0.62 / 64, canvas * 0.19
    else:
        draw.rounded_rectangle((0, 0, canvas - 1, canvas - 1), radius=14 * canvas / 64, fill=BLUE)
        unit, offset = canvas / 64, 0.0

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * unit, offset + y * unit)

    draw.rounded_rectangle((*at(*BUBBLE[:2]), *at(*BUBBLE[2:])), radius=BUBBLE_RADIUS * unit, fill=WHITE)
    draw.polygon([at(x, y) for x, y in TAIL], fill=WHITE)
    width = round(TICK_WIDTH * unit)
    points = [at(x, y) for x, y in TICK]
    draw.line(points, fill=BLUE, width=width, joint="curve")
    for x, y in (points[0], points[-1]):  # round caps
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=BLUE)
    # Two colours and their anti-aliased edges: a small palette keeps the files a few KB.
    return image.resize((size, size), Image.LANCZOS).quantize(colors=32, method=Image.Quantize.FASTOCTREE)


def main() -> None:
    (STATIC / "icon.svg").write_text(svg())
    for size in (192, 512):
        png(size, maskable=False).save(STATIC / "icons" / f"icon-{size}.png", optimize=True)
    png(512, maskable=True).save(STATIC / "icons" / "maskable-512.png", optimize=True)
    png(180, maskable=True).save(STATIC / "icons" / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
