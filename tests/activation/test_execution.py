"""Execution: planned or reported acquisitions become products with footprints from
the orbit, published as STAC items under the activation's access policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import shapely
from activation_factory import ROMAGNA, consortium, planned

from spacepool.access.sensors import geocentric_nadir_deg, look_geometry, mean_altitude_km
from spacepool.activation.execution import (
    PROCESSING_S,
    AcquisitionReport,
    Product,
    footprint,
    item_access,
    make_product,
    simulate,
)
from spacepool.activation.model import AccessSpec
from spacepool.catalog.items import parse_item
from spacepool.errors import ActivationError
from spacepool.orbits.propagate import Propagator
from spacepool.orbits.timebase import TimeBase


def nadir_xy(satellite: str, when: datetime, area: Any) -> np.ndarray:
    sc = consortium().spacecraft(satellite)
    eph = Propagator([sc.element_set()], TimeBase.around(when, when)).grid(np.zeros(1))
    lat, lon = geocentric_nadir_deg(eph.r_itrs_km[0])
    return area.project(lon, lat)[:, 0]


def test_every_simulated_product_lies_over_the_area_with_the_swath_width() -> None:
    result = planned(12.0)
    area = result.activation.target()
    assert {a.satellite for a in result.plan.acquisitions} >= {"csg-1", "sentinel-2b"}
    for report in simulate(result):
        sc = consortium().spacecraft(report.satellite)
        instrument = sc.instrument(report.instrument)
        geometry = footprint(sc, instrument, report.start, report.end, area)
        shape = shapely.geometry.shape(geometry)
        assert shape.is_valid and shape.geom_type == "Polygon"
        plane = area.to_plane(shape)
        assert plane.intersects(area.projected)
        # Width: area / along-track length = swath (1 % for the flat ends and the
        # curvature of the track over a 10 s scene).
        start = nadir_xy(sc.id, report.start, area)
        end = nadir_xy(sc.id, report.end, area)
        length_km = float(np.hypot(*(end - start)))
        assert plane.area / length_km == pytest.approx(instrument.swath_km, rel=0.01)
        middle = report.start + (report.end - report.start) / 2
        nadir = shapely.Point(nadir_xy(sc.id, middle, area))
        altitude_km = mean_altitude_km(sc.element_set())
        if instrument.min_off_nadir_deg > 0.0:  # side-looking: in the field of regard
            near = look_geometry(altitude_km, off_nadir_deg=instrument.min_off_nadir_deg)
            far = look_geometry(altitude_km, off_nadir_deg=instrument.max_off_nadir_deg)
            centre = shapely.Point(0.0, 0.0)  # the area's centre in its own plane
            assert near.ground_range_km <= nadir.distance(centre) <= far.ground_range_km
            assert plane.contains(centre)
            assert not plane.contains(nadir)
            reach_km = far.ground_range_km + instrument.swath_km / 2.0 + length_km / 2.0
            assert plane.hausdorff_distance(nadir) <= reach_km
        else:  # nadir-looking: centred on the track
            assert plane.contains(nadir)
            corner_km = float(np.hypot(instrument.swath_km / 2.0, length_km / 2.0))
            assert plane.hausdorff_distance(nadir) == pytest.approx(corner_km, rel=0.01)


# (policy, shared_with, requester, product owner, expected access, expected shared_with)
ACCESS = [
    ("open", (), "asi", "esa", "open", ()),
    ("consortium", (), "asi", "esa", "consortium", ()),
    ("owner", (), "asi", "esa", "partners", ("asi",)),
    ("owner", (), "asi", "asi", "owner", ()),
    ("owner", (), None, "esa", "owner", ()),
    ("partners", ("nasa",), "asi", "esa", "partners", ("asi", "nasa")),
    ("partners", ("esa",), "asi", "esa", "partners", ("asi",)),
    ("partners", ("asi",), "asi", "asi", "owner", ()),
]


@pytest.mark.parametrize(("policy", "shared", "requester", "owner", "access", "named"), ACCESS)
def test_product_access_always_includes_the_requester(
    policy: str,
    shared: tuple[str, ...],
    requester: str | None,
    owner: str,
    access: str,
    named: tuple[str, ...],
) -> None:
    activation = replace(
        planned(12.0).activation, partner=requester, access=AccessSpec(policy, shared)
    )
    assert item_access(activation, owner) == (access, named)


def test_a_product_is_a_valid_stac_item_with_links_and_policy() -> None:
    result = planned(12.0)
    activation = replace(
        result.activation,
        access=AccessSpec("partners", ("nasa",), datetime(2026, 6, 8, tzinfo=UTC)),
    )
    report = simulate(result)[0]
    product = make_product(report, activation, consortium())
    assert product.published == report.delivered + timedelta(seconds=PROCESSING_S)
    item = product.to_item(activation)
    parsed = parse_item(item, collection="activations")
    assert parsed.owner_claim == product.owner == "asi"
    assert parsed.access.value == "partners" and parsed.shared_with == frozenset({"nasa"})
    assert parsed.embargo_until == datetime(2026, 6, 8, tzinfo=UTC)
    assert item["properties"]["spacepool:activation"] == activation.id
    assert item["properties"]["spacepool:plan_acquisition"] == report.plan_acquisition
    assert {link["rel"] for link in item["links"]} == {"spacepool:activation", "spacepool:plan"}
    assert Product.from_dict(product.to_dict()) == product


def test_a_report_outside_the_horizon_or_of_an_unknown_instrument_is_refused() -> None:
    result = planned(12.0)
    report = simulate(result)[0]
    late = replace(report, start=result.activation.end, end=result.activation.end + timedelta(1))
    with pytest.raises(ActivationError) as caught:
        make_product(late, result.activation, consortium())
    assert str(caught.value) == (
        "start: the acquisition 2026-06-01T15:00:00.000Z .. 2026-06-02T15:00:00.000Z lies "
        "outside the activation's horizon 2026-06-01T03:00:00.000Z .. 2026-06-01T15:00:00.000Z"
    )
    with pytest.raises(ActivationError, match=r"^instrument: unknown instrument 'msi' of csg-1; "):
        make_product(replace(report, instrument="msi"), result.activation, consortium())
    with pytest.raises(ActivationError, match=r"^satellite: unknown spacecraft 'hubble'; "):
        make_product(replace(report, satellite="hubble"), result.activation, consortium())


GOOD_REPORT = {
    "satellite": "sentinel-1a",
    "instrument": "c-sar",
    "start": "2026-06-01T05:00:00Z",
    "end": "2026-06-01T05:00:10Z",
}
# (case, changes, whole message)
BAD_REPORTS = [
    ("end before start", {"end": "2026-06-01T04:00:00Z"},
     "acquisition.end: must be after the start 2026-06-01T05:00:00.000Z, got "
     "2026-06-01T04:00:00.000Z"),
    ("delivered before the end", {"delivered": "2026-06-01T05:00:05Z"},
     "acquisition.delivered: must not be before the acquisition's end "
     "2026-06-01T05:00:10.000Z, got 2026-06-01T05:00:05.000Z"),
    ("footprint not a geometry", {"footprint": {"type": "Circle"}},
     "acquisition.footprint: expected a GeoJSON geometry object with type one of "
     "GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, "
     "Polygon; got 'Circle'"),
    ("unknown field", {"swath": 3},
     "acquisition.swath: unknown key 'swath'; known keys: delivered, downlink, end, "
     "footprint, instrument, plan_acquisition, request, satellite, start, station"),
    ("no instrument", {"instrument": None}, "acquisition.instrument: is required but missing"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "changes", "message"), BAD_REPORTS, ids=[b[0] for b in BAD_REPORTS]
)
def test_bad_reports_are_refused(case: str, changes: dict[str, Any], message: str) -> None:
    data = {k: v for k, v in {**GOOD_REPORT, **changes}.items() if v is not None}
    with pytest.raises(ActivationError) as caught:
        AcquisitionReport.from_dict(data)
    assert str(caught.value) == message


def test_a_report_round_trips_and_keeps_a_given_footprint() -> None:
    report = AcquisitionReport.from_dict({**GOOD_REPORT, "footprint": ROMAGNA})
    assert AcquisitionReport.from_dict(report.to_dict()) == report
    product = make_product(report, planned(12.0).activation, consortium())
    assert product.footprint == ROMAGNA
