"""Basemap: the TopoJSON reader and the vendored Natural Earth countries."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from spacepool.activation import basemap
from spacepool.errors import GeometryError, UnknownNameError

# The example topology of the TopoJSON specification (section 2.1.2: quantized arcs).
SPEC_EXAMPLE = {
    "type": "Topology",
    "transform": {"scale": [0.0005, 0.0001], "translate": [100, 0]},
    "objects": {
        "example": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Point", "properties": {"prop0": "value0"}, "coordinates": [4000, 5000]},
                {"type": "LineString", "properties": {"prop0": "value0"}, "arcs": [0]},
                {
                    "type": "Polygon",
                    "id": "square",
                    "properties": {"prop0": "value0"},
                    "arcs": [[-2]],
                },
            ],
        }
    },
    "arcs": [
        [[4000, 0], [1999, 9999], [2000, -9999], [2000, 9999]],
        [[0, 0], [0, 9999], [2000, 0], [0, -9999], [-2000, 0]],
    ],
}


def test_specification_example_decodes_to_its_geojson():
    point, line, square = basemap.topojson_features(SPEC_EXAMPLE, "example")
    assert point["geometry"] == {"type": "Point", "coordinates": [102.0, 0.5]}
    np.testing.assert_allclose(
        line["geometry"]["coordinates"],
        [[102, 0], [102.9995, 0.9999], [103.9995, 0], [104.9995, 0.9999]],
        atol=1e-12,
    )
    # Arc ~1 is arc 1 reversed: the square's ring runs the other way round.
    np.testing.assert_allclose(
        square["geometry"]["coordinates"],
        [[[100, 0], [101, 0], [101, 0.9999], [100, 0.9999], [100, 0]]],
        atol=1e-12,
    )
    assert square["id"] == "square"
    assert square["properties"] == {"prop0": "value0"}


def test_shared_arcs_are_stitched_without_repeating_the_joint():
    # Two arcs make one square ring: the second starts where the first ends.
    topology = {
        "type": "Topology",
        "objects": {
            "box": {"type": "Polygon", "arcs": [[0, 1]]},
            "line": {"type": "LineString", "arcs": [~1, ~0]},
        },
        "arcs": [[[0, 0], [1, 0], [1, 1]], [[1, 1], [0, 1], [0, 0]]],
    }
    (box,) = basemap.topojson_features(topology, "box")
    assert box["geometry"]["coordinates"] == [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    (line,) = basemap.topojson_features(topology, "line")
    # The same ring the other way round: ~1 is arc 1 reversed, then ~0 without its
    # first point (the joint at (1, 1)).
    assert line["geometry"]["coordinates"] == [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]


def test_unknown_object_lists_the_objects_that_exist():
    with pytest.raises(UnknownNameError) as info:
        basemap.topojson_features(SPEC_EXAMPLE, "countries")
    assert str(info.value) == "unknown TopoJSON object 'countries'; known TopoJSON objects: example"


def test_unknown_geometry_type_is_an_error():
    with pytest.raises(GeometryError) as info:
        basemap.geometry_to_geojson({"type": "Circle"}, [], None)
    assert str(info.value) == "TopoJSON: unknown geometry type 'Circle'"


@pytest.mark.parametrize(("resolution", "count"), [("110m", 177), ("50m", 241)])
def test_world_atlas_has_its_published_number_of_countries(resolution, count):
    # world-atlas 2.0.2 README: 177 countries at 1:110m, 241 at 1:50m (Natural Earth 4.1).
    assert len(basemap.countries(resolution)) == count


@pytest.mark.parametrize("resolution", ["110m", "50m"])
@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (2.35, 48.86, "France"),  # Paris
        (13.40, 52.52, "Germany"),  # Berlin
        (-47.93, -15.78, "Brazil"),  # Brasilia
        (139.69, 35.69, "Japan"),  # Tokyo
        (-30.0, 30.0, None),  # the middle of the North Atlantic
        (-150.0, 0.0, None),  # the Pacific
        (178.0, -17.8, "Fiji"),  # Viti Levu, next to the antimeridian
    ],
)
def test_places_fall_in_the_right_country(resolution, lon, lat, expected):
    assert basemap.country_at(lon, lat, resolution) == expected


def test_country_by_name_or_iso_code():
    france = basemap.country("france")
    assert france.iso_numeric == "250"
    assert basemap.country("250") == france
    assert france.geometry.contains(shapely.Point(2.35, 48.86))
    with pytest.raises(UnknownNameError) as info:
        basemap.country("Atlantis")
    assert str(info.value).startswith(
        "unknown country name 'Atlantis'; known country names: Afghanistan,"
    )


@pytest.mark.parametrize("resolution", ["110m", "50m"])
def test_outlines_across_the_antimeridian_are_cut_there(resolution):
    # Fiji's and Chukotka's rings cross 180 deg and come back: drawn in the plane as they
    # are, they would streak across the whole map. Only Antarctica, whose ring goes
    # round the pole, keeps a jump.
    streaks = {
        c.name
        for c in basemap.countries(resolution)
        for ring in basemap.rings(c.geometry)
        if np.any(np.abs(np.diff(ring[0])) > 180.0)
    }
    assert streaks == {"Antarctica"}
    for name in ("Fiji", "Russia"):
        geometry = basemap.country(name, resolution).geometry
        assert geometry.bounds[0] >= -180.0 and geometry.bounds[2] <= 180.0
        assert all(p.is_valid for p in getattr(geometry, "geoms", [geometry]))


def test_land_covers_the_countries():
    land = basemap.land("110m")
    assert land.contains(shapely.Point(2.35, 48.86))
    assert not land.contains(shapely.Point(-30.0, 30.0))
    countries_area = sum(c.geometry.area for c in basemap.countries("110m"))
    # The same Natural Earth outlines: areas (square degrees) within half a percent.
    assert land.area == pytest.approx(countries_area, rel=5e-3)


def test_window_across_the_antimeridian_shows_both_sides():
    found = basemap.countries_in((170.0, -25.0, 190.0, -10.0), "50m")
    names = {c.name for c in found}
    assert {"Fiji", "Tonga", "Samoa"} <= names
    for c in found:
        minx, miny, maxx, maxy = c.geometry.bounds
        assert minx >= 170.0 and maxx <= 190.0 and miny >= -25.0 and maxy <= -10.0
    # Tonga lies east of 180 deg: moved by +360 into the window.
    tonga = next(c for c in found if c.name == "Tonga")
    assert tonga.geometry.bounds[0] > 180.0


def test_border_rings_are_lon_lat_arrays_inside_the_window():
    rings = basemap.border_rings((-10.0, 35.0, 5.0, 45.0), "50m")
    assert rings
    for ring in rings:
        assert ring.shape[0] == 2
        assert ring[0].min() >= -10.0 and ring[0].max() <= 5.0


def test_countries_are_cached():
    assert basemap.countries("50m") is basemap.countries("50m")


def test_bad_window_and_resolution_are_errors():
    with pytest.raises(GeometryError) as info:
        basemap.clip(shapely.Point(0, 0), (10.0, 0.0, 5.0, 1.0))
    assert str(info.value) == (
        "map window: expected west < east and south < north, found (10.0, 0.0, 5.0, 1.0)"
    )
    with pytest.raises(UnknownNameError) as info2:
        basemap.countries("10m")  # type: ignore[arg-type]
    assert str(info2.value) == (
        "unknown basemap resolution '10m'; known basemap resolutions: 110m, 50m"
    )
