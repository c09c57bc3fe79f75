"""Areas' boundaries: GeoJSON checked with shapely, and a point found in its street with a flag
near a boundary (``departments.boundaries``)."""

from __future__ import annotations

import json

import pytest
import shapely

from backend.departments.boundaries import (
    BAD_COORDINATES,
    INVALID_POLYGON,
    NOT_A_POLYGON,
    NOT_GEOJSON,
    SELF_INTERSECTING,
    TOO_LARGE,
    AreaMap,
    BoundaryError,
    Located,
    checked_boundary,
    geometry_of,
)

METRE = 1 / 111_195  # about one metre of latitude, in degrees


def square(west, south, east, north) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


DISTRICT = square(115.40, 38.80, 115.50, 38.90)
STREET = square(115.40, 38.80, 115.45, 38.85)  # the district's south-west quarter


def test_a_polygon_a_multipolygon_or_a_feature_holding_one_is_kept_as_its_geometry():
    assert json.loads(checked_boundary(json.dumps(DISTRICT))) == DISTRICT
    multi = {"type": "MultiPolygon", "coordinates": [DISTRICT["coordinates"], square(116, 39, 116.1, 39.1)["coordinates"]]}
    assert json.loads(checked_boundary(json.dumps(multi)))["type"] == "MultiPolygon"
    feature = {"type": "Feature", "properties": {"name": "竞秀区"}, "geometry": DISTRICT}
    assert json.loads(checked_boundary(json.dumps(feature))) == DISTRICT
    assert json.loads(checked_boundary(json.dumps({"type": "FeatureCollection", "features": [feature]}))) == DISTRICT
    assert checked_boundary("  ") == ""  # none


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", NOT_GEOJSON),
        ("[" * 100_000, NOT_GEOJSON),
        ('{"type": "Point", "coordinates": [115.4, 38.8]}', NOT_A_POLYGON),
        (json.dumps({"type": "FeatureCollection", "features": []}), NOT_A_POLYGON),
        ('"Polygon"', NOT_A_POLYGON),
        (json.dumps({"type": "Polygon", "coordinates": "115,38"}), BAD_COORDINATES),
        (json.dumps({"type": "Polygon", "coordinates": [[[115.4, 38.8], [115.5, 38.8]]]}), BAD_COORDINATES),
        (json.dumps(square(115.4, 38.8, 215.5, 38.9)), BAD_COORDINATES),
        (json.dumps({"type": "Polygon", "coordinates": []}), INVALID_POLYGON),
        # A bow tie: its edges cross.
        (json.dumps({"type": "Polygon", "coordinates": [[[115.4, 38.8], [115.5, 38.9], [115.5, 38.8], [115.4, 38.9], [115.4, 38.8]]]}),
         SELF_INTERSECTING),
        (json.dumps({"type": "Polygon", "coordinates": [[[115.4, 38.8], [115.4 + i * 1e-6, 38.8 + (i % 2) * 1e-6] ] for i in range(3)]}),
         BAD_COORDINATES),
        (json.dumps({"type": "Polygon", "coordinates": [[[115.4 + i * 1e-6, 38.8 + (i % 3) * 1e-6] for i in range(60_000)] + [[115.4, 38.8]]]}),
         TOO_LARGE),
    ],
)
def test_what_is_not_a_valid_polygon_is_refused_with_why(text, message):
    with pytest.raises(BoundaryError) as refused:
        checked_boundary(text)
    assert refused.value.message == message


def test_a_point_finds_its_street_before_its_district():
    areas = AreaMap([(1, False, geometry_of(json.dumps(DISTRICT))), (2, True, geometry_of(json.dumps(STREET)))])
    assert areas.locate(38.82, 115.42) == Located(2, False)  # in the street (and the district)
    assert areas.locate(38.88, 115.48) == Located(1, False)  # in the district only
    assert areas.locate(39.5, 116.5) == Located(None, False)  # far from every area


def test_a_point_within_50_m_of_a_boundary_is_flagged_on_either_side():
    areas = AreaMap([(1, False, shapely.box(115.40, 38.80, 115.50, 38.90)), (2, True, shapely.box(115.40, 38.80, 115.45, 38.85))])
    edge = 38.85  # the street's northern edge, inside the district
    assert areas.locate(edge - 40 * METRE, 115.42) == Located(2, True)
    assert areas.locate(edge + 40 * METRE, 115.42) == Located(1, True)
    assert areas.locate(edge - 60 * METRE, 115.42) == Located(2, False)
    assert areas.locate(edge + 60 * METRE, 115.42) == Located(1, False)
    # Outside every area but near the city's edge: no area, flagged all the same.
    assert areas.locate(38.90 + 30 * METRE, 115.42) == Located(None, True)


def test_an_empty_map_finds_nothing():
    assert len(AreaMap([])) == 0
    assert AreaMap([]).locate(38.8, 115.4) == Located(None, False)
