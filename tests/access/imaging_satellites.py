"""Made-up satellites for the imaging tests (valid TLE lines, epoch 2026-05-30 12:00 UTC).

Orbits chosen to span the cases that matter: a 700 km sun-synchronous imager, a lower
agile one, a 51.6-degree low orbit (short grid step) and a Molniya orbit (eccentric,
deep space). They are not real satellites, so the tests need no external data.
"""

from __future__ import annotations

from spacepool.orbits.elements import ElementSet
from spacepool.orbits.tle import parse_tle

TLE_TEXT = """\
OPTICAL-SSO
1 90001U 26001A   26150.50000000  .00000000  00000+0  20000-4 0  9993
2 90001  98.2000 225.0000 0001000  90.0000 270.0000 14.57000000    06
AGILE-SSO
1 90002U 26001A   26150.50000000  .00000000  00000+0  50000-4 0  9997
2 90002  97.6000 140.0000 0002000  80.0000  10.0000 15.05000000    02
LOW-INCL
1 90003U 26001A   26150.50000000  .00000000  00000+0  18000-3 0  9991
2 90003  51.6000 120.0000 0005000  90.0000 180.0000 15.50000000    03
MOLNIYA-X
1 90004U 26001A   26150.50000000  .00000000  00000+0  00000+0 0  9999
2 90004  63.4000  60.0000 7200000 270.0000  30.0000  2.00600000    03
"""


def satellites() -> dict[str, ElementSet]:
    """The made-up satellites by name."""
    return {e.name: e for e in parse_tle(TLE_TEXT, source="imaging_satellites").elements}
