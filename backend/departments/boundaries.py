"""Areas' boundaries: GeoJSON checked with shapely, and a case's map point found in its street.

An admin pastes or uploads a GeoJSON Polygon or MultiPolygon (or a Feature, or a collection of
one Feature, holding one) in WGS 84 longitude/latitude. ``checked_boundary`` refuses what is not
one, or a polygon that crosses itself, and keeps the geometry alone.

``AreaMap`` holds every active area's boundary in a shapely STRtree over prepared geometries,
projected once to metres around the city (an equirectangular projection at the boundaries' mean
latitude: a city is small enough for it to be exact to well under a metre at 50 m). ``locate``
answers for one point: the street (or district) whose boundary holds it, and whether it lies
within ``BOUNDARY_METRES`` of any boundary, where a human should decide. ``area_map`` keeps
the map in the process and builds it again when an area changed (``Area.changed_at``), in this
process or another.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Iterable

import numpy
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from backend.departments.tables import Area
from backend.i18n_markers import N_

BOUNDARY_METRES = 50.0  # a point this near a boundary may be on either side of it: a human decides
BOUNDARY_TEXT_MAX = 2_000_000  # characters of GeoJSON; a street's boundary needs far fewer
BOUNDARY_POINTS_MAX = 50_000
EARTH_RADIUS = 6_371_008.8  # metres (mean radius)

NOT_GEOJSON = N_("This is not GeoJSON. Paste or upload a GeoJSON Polygon or MultiPolygon.")
NOT_A_POLYGON = N_("The GeoJSON must be one Polygon or MultiPolygon (or a Feature holding one).")
BAD_COORDINATES = N_("The boundary's coordinates are not longitude and latitude pairs in degrees.")
TOO_LARGE = N_("The boundary is too large: at most 50,000 points.")
SELF_INTERSECTING = N_("The boundary crosses itself. Correct the polygon so that its edges do not cross.")
INVALID_POLYGON = N_("The boundary is not a valid polygon (a ring not closed, too few points, or a hole outside it).")


class BoundaryError(ValueError):
    """Why a boundary cannot be used, as a message id."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _geometry_of(data: object) -> object:
    """The geometry object of a GeoJSON geometry, Feature, or collection of exactly one Feature."""
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise BoundaryError(NOT_A_POLYGON)
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(NOT_A_POLYGON)
    return data


def checked_boundary(text: str) -> str:
    """The boundary as stored: the GeoJSON geometry (Polygon or MultiPolygon), or "" for none.
    Raises BoundaryError with what is wrong."""
    text = text.strip()
    if not text:
        return ""
    if len(text) > BOUNDARY_TEXT_MAX:
        raise BoundaryError(TOO_LARGE)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BoundaryError(NOT_GEOJSON) from None
    geometry = _geometry_of(data)
    try:
        polygon = shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise BoundaryError(BAD_COORDINATES) from None
    if polygon.is_empty:
        raise BoundaryError(INVALID_POLYGON)
    if shapely.get_num_coordinates(polygon) > BOUNDARY_POINTS_MAX:
        raise BoundaryError(TOO_LARGE)
    west, south, east, north = polygon.bounds
    if not all(math.isfinite(value) for value in polygon.bounds) or west < -180 or east > 180 or south < -90 or north > 90:
        raise BoundaryError(BAD_COORDINATES)
    if not polygon.is_valid:
        reason = shapely.is_valid_reason(polygon)
        raise BoundaryError(SELF_INTERSECTING if "intersection" in reason.lower() else INVALID_POLYGON)
    return shapely.to_geojson(shapely.force_2d(polygon))


def geometry_of(boundary: str) -> BaseGeometry:
    """A stored boundary (``checked_boundary``) as a shapely geometry."""
    return shapely.from_geojson(boundary)


@dataclass(frozen=True)
class Located:
    """Where a point is among the areas' boundaries."""

    area_id: int | None  # the street (else the district) whose boundary holds the point; None: none does
    near_boundary: bool  # within BOUNDARY_METRES of a boundary: a human should decide


class AreaMap:
    """The active areas' boundaries, indexed for point-in-polygon (``locate``)."""

    def __init__(self, areas: Iterable[tuple[int, bool, BaseGeometry]]):
        """``areas``: (area id, whether it is a street or town, its boundary in longitude/latitude)."""
        rows = list(areas)
        self.area_ids = numpy.array([area_id for area_id, _, _ in rows], dtype=numpy.int64)
        self.is_street = numpy.array([street for _, street, _ in rows], dtype=bool)
        geometries = numpy.array([geometry for _, _, geometry in rows], dtype=object)
        if rows:
            bounds = shapely.bounds(geometries)
            self.reference_latitude = float(numpy.mean((bounds[:, 1] + bounds[:, 3]) / 2))
        else:
            self.reference_latitude = 0.0
        self.x_scale = math.radians(1) * EARTH_RADIUS * math.cos(math.radians(self.reference_latitude))
        self.y_scale = math.radians(1) * EARTH_RADIUS
        self.geometries = shapely.transform(geometries, self._project) if rows else geometries
        self.boundaries = shapely.boundary(self.geometries) if rows else geometries
        shapely.prepare(self.geometries)
        shapely.prepare(self.boundaries)
        self.tree = shapely.STRtree(self.geometries)

    def _project(self, coordinates: numpy.ndarray) -> numpy.ndarray:
        return coordinates * numpy.array([self.x_scale, self.y_scale])

    def __len__(self) -> int:
        return len(self.area_ids)

    def locate(self, latitude: float, longitude: float) -> Located:
        x, y = longitude * self.x_scale, latitude * self.y_scale
        point = shapely.Point(x, y)
        nearby = self.tree.query(point, predicate="dwithin", distance=BOUNDARY_METRES)
        if len(nearby) == 0:
            return Located(None, False)
        inside = nearby[shapely.contains_xy(self.geometries[nearby], x, y)]
        near = bool(shapely.dwithin(self.boundaries[nearby], point, BOUNDARY_METRES).any())
        if len(inside) == 0:
            return Located(None, near)
        streets = inside[self.is_street[inside]]
        chosen = streets if len(streets) else inside
        return Located(int(self.area_ids[chosen.min()]), near)


_cached: tuple[tuple, AreaMap] | None = None


async def area_map() -> AreaMap:
    """The map of the active areas' boundaries, built once per process and again whenever an
    area was added or changed since (one small query tells)."""
    global _cached
    stamp = await Area.raw("SELECT COUNT(*) AS n, MAX(changed_at) AS latest FROM area")
    key = (stamp[0]["n"], str(stamp[0]["latest"]))
    if _cached is None or _cached[0] != key:
        rows = await Area.select(Area.id, Area.parent, Area.boundary).where(Area.active.eq(True), Area.boundary != "")
        _cached = (key, AreaMap((row["id"], row["parent"] is not None, geometry_of(row["boundary"])) for row in rows))
    return _cached[1]
