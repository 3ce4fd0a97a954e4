"""spacepool.consortium: partners, assets, agreements and the bundled reference consortium.

>>> from spacepool.consortium import load_consortium
>>> consortium = load_consortium()          # the bundled reference consortium
>>> consortium.spacecraft("sentinel-2b").norad_id
42063
>>> round(consortium.agreement("iss-usos").entitlements()["jaxa"], 3)
0.128
"""

from __future__ import annotations

from spacepool.consortium.loader import load_consortium
from spacepool.consortium.model import (
    Agreement,
    Consortium,
    Facility,
    GroundStation,
    Instrument,
    Orbit,
    Partner,
    PartnerAssets,
    Spacecraft,
)
from spacepool.consortium.nominal import NominalOrbit, nominal_element_set, solve_nominal_orbit

__all__ = [
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
