"""Simple bar charts drawn on the server as SVG: the geometry here, the markup in
``partials/bar_chart.html`` (a title and a description for screen readers; the page shows the
same numbers in a table). No script and no inline style, for the strict CSP."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 200
TOP, BOTTOM = 10, 24  # room above the bars and for the labels under them


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to measure (drawn as no bar)
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    kind: str  # count or share: how the template formats the values
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def measured(self) -> list[Bar]:
        return [bar for bar in self.bars if bar.value is not None]

    @property
    def highest(self) -> Bar | None:
        return max(self.measured, key=lambda bar: bar.value, default=None)

    @property
    def lowest(self) -> Bar | None:
        return min(self.measured, key=lambda bar: bar.value, default=None)


def bar_chart(chart_id: str, title: str, kind: str, points: list[tuple[str, float | None]]) -> BarChart:
    """Bars for ``points`` (label, value), scaled to the largest value (to 100 % for shares)."""
    top = 1.0 if kind == "share" else max((value for _, value in points if value), default=0) or 1
    slot = WIDTH / max(len(points), 1)
    room = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (label, value) in enumerate(points):
        height = room * (value or 0) / top
        x = index * slot + slot * 0.15
        bars.append(Bar(label, value, round(x, 1), round(HEIGHT - BOTTOM - height, 1), round(slot * 0.7, 1), round(height, 1), round(x + slot * 0.35, 1)))
    return BarChart(chart_id, title, kind, bars)
