"""The bundled reference consortium and the consortium records."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import spacepool.consortium as consortium_api
from spacepool.consortium import Consortium, GroundStation, Orbit, load_consortium
from spacepool.errors import UnknownNameError

TLE_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tle"


@pytest.fixture(scope="module")
def bundled() -> Consortium:
    return load_consortium()


def test_public_names_of_the_consortium_package_are_pinned() -> None:
    assert sorted(consortium_api.__all__) == [
        "Agreement",
        "Consortium",
        "Facility",
        "GroundStation",
        "Instrument",
        "NominalOrbit",
        "Orbit",
        "Partner",
        "PartnerAssets",
        "Spacecraft",
        "load_consortium",
        "nominal_element_set",
        "solve_nominal_orbit",
    ]


def test_bundled_consortium_has_the_agencies_assets_and_agreements(bundled: Consortium) -> None:
    ids = {p.id for p in bundled.partners}
    assert {"nasa", "esa", "jaxa", "csa", "roscosmos", "cnes", "dlr", "asi", "isro"} <= ids
    assert 25 <= len(bundled.fleet) <= 35
    assert 15 <= len(bundled.stations) <= 25
    for name in ["Kiruna", "Svalbard SvalSat", "Inuvik", "Fairbanks ASF", "Wallops", "McMurdo"]:
        bundled.station(name)
    for name in ["Matera", "Maspalomas", "Prince Albert", "Katsuura"]:
        bundled.station(name)
    for sc_id in ["sentinel-1a", "sentinel-2b", "sentinel-3a", "landsat-8", "landsat-9"]:
        bundled.spacecraft(sc_id)
    for sc_id in ["terra", "aqua", "alos-2", "rcm-1", "rcm-2", "rcm-3", "resurs-p4"]:
        bundled.spacecraft(sc_id)
    kinds = {i.kind for _, i in bundled.instruments()}
    assert {"optical", "sar", "thermal", "hyperspectral"} <= kinds
    assert any(s.azimuth_mask for s in bundled.stations)
    assert {f.id for f in bundled.facilities} >= {"destiny-racks", "columbus-racks", "kibo-racks"}
    assert {a.kind for a in bundled.agreements} == {"value_weighted", "fixed_shares"}


def test_every_bundled_record_names_its_source(bundled: Consortium) -> None:
    records: list[object] = [*bundled.partners, *bundled.stations, *bundled.facilities]
    records += [*bundled.agreements, *bundled.fleet]
    records += [sc.orbit for sc in bundled.fleet]
    records += [i for _, i in bundled.instruments()]
    missing = [r for r in records if len(getattr(r, "source", "")) < 10]
    assert missing == []
    assert all(sc.element_source == "nominal" for sc in bundled.fleet)


def test_space_station_barter_shares_are_the_intergovernmental_ones(bundled: Consortium) -> None:
    shares = bundled.agreement("iss-usos").entitlements()
    assert shares == {"nasa": 0.766, "jaxa": 0.128, "esa": 0.083, "csa": 0.023}
    assert bundled.agreement("iss-rs").entitlements() == {"roscosmos": 1.0}


def test_every_agreement_entitles_shares_summing_to_one(bundled: Consortium) -> None:
    for agreement in bundled.agreements:
        shares = agreement.entitlements()
        assert abs(math.fsum(shares.values()) - 1.0) <= 1e-9, agreement.id
        assert all(share >= 0.0 for share in shares.values())


def test_value_weighted_pool_follows_the_documented_data_rate_formula(
    bundled: Consortium,
) -> None:
    pool = bundled.agreement("eo-pool")
    values = dict(zip(pool.members, pool.contributions, strict=True))
    # USGS: OLI 265 + TIRS 26 on each Landsat, plus 0.25 x its 384 Mbit/s station.
    assert values["usgs"] == pytest.approx(2 * (265.0 + 26.0) + 0.25 * 384.0, abs=1e-9)
    # ISRO owns NISAR's S-band SAR on NASA's spacecraft: it counts for ISRO only.
    # EOS-04 SAR 640 + LISS-IV 105 + AWiFS 105 + S-SAR 1000 + 0.25 x Shadnagar 640.
    isro = 640.0 + 105.0 + 105.0 + 1000.0 + 0.25 * 640.0
    assert values["isro"] == pytest.approx(isro, abs=1e-9)
    total = sum(values.values())
    assert pool.entitlements()["usgs"] == pytest.approx(values["usgs"] / total, rel=1e-12)


def test_consortium_round_trips_through_plain_data_and_json(
    bundled: Consortium, tmp_path: Path
) -> None:
    assert Consortium.from_dict(bundled.to_dict()) == bundled
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(bundled.to_dict()), encoding="utf-8")
    assert load_consortium(path) == bundled
    assert bundled.to_dict()["epoch"] == "2026-05-30T00:00:00Z"


def test_spacecraft_are_found_by_id_name_or_norad_number(bundled: Consortium) -> None:
    sentinel = bundled.spacecraft("sentinel-2b")
    assert bundled.spacecraft(42063) is sentinel
    assert bundled.spacecraft("42063") is sentinel
    assert bundled.spacecraft("SENTINEL-2B") is sentinel
    assert bundled.station("kiruna") is bundled.station("KIRUNA")


def test_unknown_station_lists_the_known_ones(bundled: Consortium) -> None:
    with pytest.raises(UnknownNameError) as caught:
        bundled.station("Goldstone")
    known = ", ".join(sorted(s.id for s in bundled.stations))
    assert str(caught.value) == f"unknown station 'Goldstone'; known stations: {known}"


def test_assets_of_a_partner_include_instruments_hosted_by_others(bundled: Consortium) -> None:
    isro = bundled.assets_of("isro")
    assert [(sc.id, i.id) for sc, i in isro.hosted_instruments] == [("nisar", "s-sar")]
    assert {sc.id for sc in isro.spacecraft} == {"eos-04", "resourcesat-2a"}
    assert [s.id for s in isro.stations] == ["shadnagar"]
    assert {f.id for f in bundled.assets_of("esa").facilities} == {"columbus-racks"}


def test_descending_node_time_is_stored_as_ascending_node_time(bundled: Consortium) -> None:
    orbit = bundled.spacecraft("sentinel-2a").orbit  # published LTDN 10:30
    assert orbit.ltan_hours == 22.5
    assert orbit.ltdn_hours == 10.5


def _station(mask: tuple[tuple[float, float], ...]) -> GroundStation:
    return GroundStation(
        id="x",
        name="X",
        owner="esa",
        latitude_deg=0.0,
        longitude_deg=0.0,
        altitude_m=0.0,
        min_elevation_deg=5.0,
        bands=("X",),
        downlink_rate_mbps=100.0,
        source="test",
        azimuth_mask=mask,
    )


def test_constant_elevation_mask_keeps_the_input_shape() -> None:
    mask = _station(()).elevation_mask_deg(np.zeros((2, 3)))
    assert mask.shape == (2, 3)
    assert np.all(mask == 5.0)


def test_azimuth_mask_interpolates_linearly_and_wraps_at_north() -> None:
    station = _station(((0.0, 5.0), (90.0, 15.0), (180.0, 5.0), (300.0, 11.0)))
    azimuth = np.array([0.0, 45.0, 90.0, 135.0, 300.0, 330.0, 359.0, 360.0, -30.0])
    expected = np.array([5.0, 10.0, 15.0, 10.0, 11.0, 8.0, 5.1, 5.0, 8.0])
    np.testing.assert_allclose(station.elevation_mask_deg(azimuth), expected, atol=1e-12)


def test_azimuth_mask_never_goes_below_the_constant_mask() -> None:
    station = _station(((0.0, 0.0), (180.0, 20.0)))
    assert station.elevation_mask_deg(np.array([0.0, 90.0]))[0] == 5.0
    assert station.elevation_mask_deg(np.array([0.0, 90.0]))[1] == 10.0


def test_orbit_round_trip_keeps_node_time_and_phasing() -> None:
    orbit = Orbit.from_dict(
        {
            "sun_synchronous": True,
            "altitude_km": 700.0,
            "ltdn": "09:45:30",
            "arg_latitude_deg": 12.5,
            "epoch": "2026-05-30T00:00:00Z",
            "source": "test",
        }
    )
    assert orbit.ltan_hours == pytest.approx(21.0 + 45.5 / 60.0, abs=1e-12)
    assert Orbit.from_dict(orbit.to_dict()) == orbit


@pytest.mark.shared_data
def test_bundled_norad_ids_are_the_real_catalogue_numbers_of_those_spacecraft(
    bundled: Consortium,
) -> None:
    names: dict[int, str] = {}
    for file in ("celestrak_resource_2026-05-30.tle", "celestrak_active_2026-05-07.tle"):
        path = TLE_DIR / file
        if not path.exists():
            pytest.skip(f"{path} not present")
        lines = path.read_text(encoding="ascii").splitlines()
        for k in range(0, len(lines) - 2, 3):
            names.setdefault(int(lines[k + 1][2:7]), lines[k].strip())
    catalogue_spelling = {"eos-04": "EOS4", "resurs-p4": "RESURSP4", "resurs-p5": "RESURSP5"}
    for sc in bundled.fleet:
        catalogue = names[sc.norad_id].upper().replace(" ", "").replace("-", "")
        ours = sc.name.upper().replace(" ", "").replace("-", "")
        assert catalogue_spelling.get(sc.id, ours[:5]) in catalogue, (sc.id, names[sc.norad_id])


def test_package_docstring_example_runs() -> None:
    import doctest

    failures, tried = doctest.testmod(consortium_api)
    assert (failures, tried) == (0, 4)
