"""Benchmark: routing one case by its map point over 3,000 street polygons.

A city of 3,000 streets (a 60 × 50 grid over Baoding's extent, each street a polygon of 40
points) in 30 districts, with a routing rule for each street and district. Per case, at a random
point: the street that holds it and whether it is within 50 m of a boundary
(``AreaMap.locate``: a shapely STRtree over prepared geometries), then the rule that wins
(``rules.resolve``). Against, in the same run, the naive loop: every polygon asked in turn
whether it holds the point and how far its boundary is, unprepared and unindexed. Then the
whole of ``routing.services.suggestion_for`` (its queries included) on a SQLite database
holding the same areas and rules, with the map built once as the app keeps it.

Median and p99 over the cases of each case's least of three timings are printed; the target is < 5 ms per case for the point-in-polygon
routing (the services add their database round trips: five small queries on SQLite).

Run from the repository root:  .venv/bin/python bench/routing.py [--cases 2000] [--naive-cases 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
DATA_DIR = tempfile.mkdtemp(prefix="minsheng-bench-")
os.environ.setdefault("MINSHENG_DATA_DIR", DATA_DIR)
os.environ["MINSHENG_DATABASE_URL"] = f"sqlite:///{DATA_DIR}/routing.sqlite3"
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

import shapely  # noqa: E402

from backend.departments.boundaries import BOUNDARY_METRES, AreaMap, Located  # noqa: E402
from backend.routing.rules import Rule, place_of, resolve  # noqa: E402

WEST, SOUTH, EAST, NORTH = 115.20, 38.60, 115.80, 39.10  # Baoding's urban districts and around
COLUMNS, ROWS = 60, 50  # 3,000 streets
DISTRICT_COLUMNS, DISTRICT_ROWS = 6, 5  # 30 districts of 10 × 10 streets
POINTS_PER_EDGE = 10
TARGET_MS = 5.0


def cell(west: float, south: float, east: float, north: float) -> shapely.Polygon:
    """A street: a rectangle with 10 points along each edge (40 in all), as surveyed outlines have."""
    steps = [i / POINTS_PER_EDGE for i in range(POINTS_PER_EDGE)]
    ring = (
        [(west + (east - west) * t, south) for t in steps]
        + [(east, south + (north - south) * t) for t in steps]
        + [(east - (east - west) * t, north) for t in steps]
        + [(west, north - (north - south) * t) for t in steps]
    )
    return shapely.Polygon(ring)


def city() -> tuple[list[tuple[int, bool, shapely.Polygon]], dict[int, int]]:
    """(area id, is a street, polygon) for 30 districts and 3,000 streets; each street's district."""
    width, height = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS
    areas, district_of = [], {}
    for d in range(DISTRICT_COLUMNS * DISTRICT_ROWS):
        column, row = d % DISTRICT_COLUMNS, d // DISTRICT_COLUMNS
        span_x, span_y = COLUMNS // DISTRICT_COLUMNS, ROWS // DISTRICT_ROWS
        areas.append((d + 1, False, cell(WEST + column * span_x * width, SOUTH + row * span_y * height,
                                         WEST + (column + 1) * span_x * width, SOUTH + (row + 1) * span_y * height)))
    for s in range(COLUMNS * ROWS):
        column, row = s % COLUMNS, s // COLUMNS
        street_id = 1000 + s
        district_of[street_id] = 1 + (column // (COLUMNS // DISTRICT_COLUMNS)) + DISTRICT_COLUMNS * (row // (ROWS // DISTRICT_ROWS))
        areas.append((street_id, True, cell(WEST + column * width, SOUTH + row * height, WEST + (column + 1) * width, SOUTH + (row + 1) * height)))
    return areas, district_of


def rules_for(areas, categories: int = 10) -> list[Rule]:
    """A rule per street (for one category), per district (for another), and a city-wide one per category."""
    found, next_id = [], 1
    for area_id, street, _ in areas:
        found.append(Rule(next_id, next_id, 1 if street else 2, area_id, department_id=area_id))
        next_id += 1
    for category in range(1, categories + 1):
        found.append(Rule(next_id, next_id, category, None, department_id=10_000 + category))
        next_id += 1
    return found


def naive_locate(areas, projected: list[shapely.Polygon], map_: AreaMap, latitude: float, longitude: float) -> Located:
    """Every polygon in turn, unprepared and unindexed."""
    point = shapely.Point(longitude * map_.x_scale, latitude * map_.y_scale)
    holding, near = [], False
    for (area_id, street, _), polygon in zip(areas, projected):
        if polygon.contains(point):
            holding.append((not street, area_id))
        if polygon.boundary.distance(point) < BOUNDARY_METRES:
            near = True
    return Located(min(holding)[1] if holding else None, near)


def timed(function, points, repeats: int = 3) -> list[float]:
    """Milliseconds per call, one per point: the least of ``repeats`` calls, so that a moment the
    process was not running (the machine is shared) does not count as the point's cost."""
    timings = []
    for point in points:
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            function(*point)
            best = min(best, time.perf_counter() - began)
        timings.append(best * 1000)
    return timings


def summary(name: str, timings: list[float]) -> float:
    ordered = sorted(timings)
    median, p99 = statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<58} median {median:8.3f} ms   p99 {p99:8.3f} ms   ({len(timings)} cases)")
    return p99


async def through_the_services(areas, district_of, cases: int) -> list[float]:
    """``routing.services.suggestion_for`` on a SQLite database holding the same city."""
    from datetime import datetime, timezone

    from backend.cases.tables import Case
    from backend.cli import _migrate
    from backend.departments.tables import Area, Category, Department
    from backend.routing import services
    from backend.routing.tables import RoutingRule

    await _migrate()
    now = datetime.now(timezone.utc)
    department = (await Department.insert(Department(name="市政设施管理处", slug="roads", created_at=now)).returning(Department.id))[0]["id"]
    category = (await Category.insert(Category(name="道路", slug="roads", department=department)).returning(Category.id))[0]["id"]
    ids = {}
    for area_id, street, polygon in areas:  # districts first: streets point at them
        rows = await Area.insert(Area(
            name=f"区域{area_id}", slug=f"area-{area_id}", parent=ids.get(district_of.get(area_id)),
            boundary=shapely.to_geojson(polygon), changed_at=now,
        )).returning(Area.id)
        ids[area_id] = rows[0]["id"]
    await RoutingRule.insert(*[
        RoutingRule(position=n, category=category, area=ids[area_id], department=department, created_at=now, updated_at=now)
        for n, (area_id, street, _) in enumerate(areas, 1)
    ])
    random.seed(2)
    case_ids = []
    for n in range(cases):
        latitude, longitude = random.uniform(SOUTH, NORTH), random.uniform(WEST, EAST)
        rows = await Case.insert(Case(
            number=f"2026-{n:06d}", case_type="complaint", category=category, title="路面塌陷", description="-", address="-",
            latitude=latitude, longitude=longitude, filer_name="", filer_phone="", status="submitted",
            follow_token_hash=f"{n:064d}", created_at=now, updated_at=now,
        )).returning(Case.id)
        case_ids.append(rows[0]["id"])
    await services.suggestion_for(case_ids[0])  # the map is built once per process, as in the app
    timings = []
    for case_id in case_ids:
        began = time.perf_counter()
        found = await services.suggestion_for(case_id)
        timings.append((time.perf_counter() - began) * 1000)
        assert found is not None
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--naive-cases", type=int, default=200)
    parser.add_argument("--database-cases", type=int, default=300)
    args = parser.parse_args()

    areas, district_of = city()
    rules = rules_for(areas)
    began = time.perf_counter()
    map_ = AreaMap(areas)
    print(f"{len(areas) - 30} street and 30 district polygons of 40 points; {len(rules)} rules; "
          f"map built in {(time.perf_counter() - began) * 1000:.0f} ms")
    random.seed(1)
    points = [(random.uniform(SOUTH, NORTH), random.uniform(WEST, EAST)) for _ in range(args.cases)]

    def route(latitude: float, longitude: float):
        located = map_.locate(latitude, longitude)
        return resolve(rules, 1, place_of(located.area_id, district_of.get(located.area_id), located.near_boundary))

    projected = list(map_.geometries)
    naive_rules = rules

    def naive_route(latitude: float, longitude: float):
        located = naive_locate(areas, projected, map_, latitude, longitude)
        return resolve(naive_rules, 1, place_of(located.area_id, district_of.get(located.area_id), located.near_boundary))

    for latitude, longitude in points[: args.naive_cases]:  # both find the same
        assert map_.locate(latitude, longitude) == naive_locate(areas, projected, map_, latitude, longitude)
    timings = timed(route, points)
    naive = timed(naive_route, points[: args.naive_cases])
    p99 = summary("STRtree + prepared polygons, then the rules", timings)
    summary("naive loop over every polygon, then the rules", naive)
    print(f"speed-up at the median: {statistics.median(naive) / statistics.median(timings):.0f}×")
    database = asyncio.run(through_the_services(areas, district_of, args.database_cases))
    summary("routing.services.suggestion_for (SQLite, queries included)", database)
    verdict = "met" if p99 < TARGET_MS else "NOT met"
    print(f"target: point-in-polygon routing < {TARGET_MS:.0f} ms per case at p99: {verdict} "
          f"(through the services, its database round trips add {statistics.median(database):.1f} ms at the median)")


if __name__ == "__main__":
    main()
