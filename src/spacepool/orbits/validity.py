"""How far element sets can be trusted: SGP4 error codes and element age.

SGP4 mean elements are a fit to observations around their epoch; the further a
prediction goes from the epoch, the larger the error. Outputs computed from old
elements are therefore warned about and marked, never silently trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from spacepool.errors import PropagationError, StaleElementsError
from spacepool.orbits.elements import ElementSet

__all__ = [
    "DEEP_SPACE_MAX_AGE_DAYS",
    "NEAR_EARTH_MAX_AGE_DAYS",
    "SGP4_ERROR_MEANINGS",
    "AgeWarning",
    "check_age",
    "default_max_age_days",
    "propagation_error",
]

# The ``error`` codes set by sgp4 (Vallado's SGP4.cpp, as listed in
# ``sgp4.api.SGP4_ERRORS``); SGP4 returns NaN positions with them.
SGP4_ERROR_MEANINGS: dict[int, str] = {
    1: "mean eccentricity is out of range (0 <= e < 1)",
    2: "mean motion has fallen below zero",
    3: "perturbed eccentricity is out of range (0 <= e <= 1)",
    4: "semi-latus rectum has fallen below zero",
    5: "satellite below the Earth's surface (code unused by current SGP4)",
    6: "satellite has decayed (orbit radius below one Earth radius)",
}

# Near-Earth (period < 225 min) elements: 14 days. SGP4 prediction error for LEO
# grows by roughly 1-3 km per day from the epoch, mostly along-track, driven by
# drag-model error (Vallado & Cefola 2012, "Two-line element sets - practice and use",
# IAC-12.C1.6.12; Kelso 2007, "Validation of SGP4 and IS-GPS-200D against GPS
# precision ephemerides", AAS 07-127). After two weeks that is tens of km, i.e.
# several seconds of timing error on a pass and more than a narrow swath's width:
# still usable for contact planning, no longer for targeting. CelesTrak refreshes
# active LEO objects several times a day, so a 14-day-old set signals a problem.
NEAR_EARTH_MAX_AGE_DAYS = 14.0
# Deep-space (period >= 225 min) elements: 30 days. Without drag, error grows much
# more slowly (GEO errors of the order of km after weeks, same sources), and deep-space
# objects are observed less often, so their sets are naturally older.
DEEP_SPACE_MAX_AGE_DAYS = 30.0


def default_max_age_days(elements: ElementSet) -> float:
    """14 days for near-Earth (SGP4) elements, 30 for deep-space (SDP4) ones."""
    return DEEP_SPACE_MAX_AGE_DAYS if elements.is_deep_space else NEAR_EARTH_MAX_AGE_DAYS


@dataclass(frozen=True)
class AgeWarning:
    """Elements used further from their epoch than ``max_age_days``.

    ``age_days`` is measured at the end of the window farthest from the epoch
    (windows before the epoch count too: SGP4 degrades both ways).
    """

    satellite: str
    norad_id: int
    age_days: float
    max_age_days: float
    message: str


def check_age(
    elements: Iterable[ElementSet],
    start: datetime,
    end: datetime,
    max_age_days: float | None = None,
    *,
    strict: bool = False,
) -> list[AgeWarning]:
    """One :class:`AgeWarning` per element set too old for the window ``start``-``end``.

    ``max_age_days=None`` uses :func:`default_max_age_days` per satellite. With
    ``strict=True`` the first stale set raises
    :class:`~spacepool.errors.StaleElementsError` instead.
    """
    warnings = []
    for element in elements:
        age_start = element.age_days(start)
        age_end = element.age_days(end)
        age = age_start if abs(age_start) > abs(age_end) else age_end
        limit = default_max_age_days(element) if max_age_days is None else max_age_days
        if abs(age) <= limit:
            continue
        when = "after" if age > 0 else "before"
        message = (
            f"{element.label}: elements used {abs(age):.1f} days {when} their epoch "
            f"{element.epoch:%Y-%m-%dT%H:%M:%SZ} (limit {limit:g} days); "
            "positions may be off by tens of km: load newer elements"
        )
        if strict:
            raise StaleElementsError(message, satellite=element.label, age_days=age)
        warnings.append(AgeWarning(element.label, element.norad_id, age, limit, message))
    return warnings


def propagation_error(satellite: str, error_code: int) -> PropagationError:
    """The :class:`~spacepool.errors.PropagationError` for an SGP4 error code."""
    meaning = SGP4_ERROR_MEANINGS.get(error_code, "unknown SGP4 error code")
    return PropagationError(satellite=satellite, error_code=error_code, meaning=meaning)
