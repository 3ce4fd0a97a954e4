"""Every exception spacepool raises, in one place.

Hierarchy::

    SpacepoolError                      base of everything below; has ``code`` (str)
    ├── InputError                      the user gave something we cannot use (HTTP 4xx)
    │   ├── ElementSetError             a TLE / OMM record is malformed
    │   │   ├── TLEFormatError          names file, line, column, expected and found
    │   │   └── OMMFormatError          names file, record, field, expected and found
    │   ├── StaleElementsError          propagation far beyond element validity (strict mode)
    │   ├── TimeRangeError              empty window, start after end, unparsable time
    │   ├── GeometryError               invalid polygon / point / GeoJSON
    │   │   └── GeoJSONError            an area of interest file: source, location, reason
    │   ├── FilterError                 a CQL2 filter that does not parse or is unsupported
    │   ├── UnknownNameError            a station, satellite, partner ... that does not exist;
    │   │                               lists the names that do
    │   ├── ConsortiumDataError         the consortium file is inconsistent (field named)
    │   ├── BenchmarkFormatError        a SPOT5 instance file is malformed (line named)
    │   ├── ScenarioError               a planning scenario / instance is invalid (field named)
    │   │   └── ActivationError         a disaster activation is invalid (field named)
    │   ├── NotFoundError               a record asked for by id does not exist, or is hidden
    │   │                               from the caller (HTTP 404; never says which)
    │   ├── ConflictError               a record with that id exists already (HTTP 409)
    │   ├── AuthenticationError         an API key that is unknown or revoked (HTTP 401)
    │   └── PermissionDeniedError       the caller's role may not do this (HTTP 403)
    ├── PropagationError                SGP4 reported an error for a satellite (code + meaning)
    └── RemoteSourceError               CelesTrak / Space-Track answered with an error

Exceptions carry their data as attributes, not only in their text, so the CLI and
the HTTP layer can present them without parsing messages.
"""

from __future__ import annotations

from collections.abc import Callable


class SpacepoolError(Exception):
    """Base class. ``code`` is a short stable machine-readable identifier."""

    code = "spacepool_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(SpacepoolError):
    """The user supplied something spacepool cannot use; maps to HTTP 4xx."""

    code = "invalid_input"


# --- element sets ------------------------------------------------------------------


class ElementSetError(InputError):
    code = "invalid_element_set"


class TLEFormatError(ElementSetError):
    """A TLE line is malformed.

    Attributes: ``source`` (file name or ``<string>``), ``line`` (1-based line number
    in the file), ``column`` (1-based column, or ``None`` when the whole line is at
    fault), ``expected`` and ``found`` (short texts), ``text`` (the offending line).
    """

    code = "invalid_tle"

    # Official TLE column template, printed under the user's line (as sgp4 does).
    TEMPLATE_1 = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
    TEMPLATE_2 = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"

    def __init__(
        self,
        *,
        source: str,
        line: int,
        column: int | None,
        expected: str,
        found: str,
        text: str,
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        self.text = text
        where = f"{source}, line {line}" + (f", column {column}" if column else "")
        template = self.TEMPLATE_1 if text.startswith("1") else self.TEMPLATE_2
        pointer = ""
        if column:
            pointer = "\n  " + " " * (column - 1) + "^"
        parts = [f"{where}: expected {expected}, found {found}"]
        if text:
            parts.append(f"  {text}{pointer}")
        if text[:1].isdigit():  # a data line: the template helps; under a name it misleads
            parts.append(f"  {template}  (TLE column template)")
        super().__init__("\n".join(parts))


class OMMFormatError(ElementSetError):
    """A CCSDS OMM record is malformed.

    Attributes: ``source``, ``record`` (1-based record number), ``field`` (keyword or
    ``None``), ``expected``, ``found``, ``line`` (1-based line in the file when known).
    """

    code = "invalid_omm"

    def __init__(
        self,
        *,
        source: str,
        record: int,
        field: str | None,
        expected: str,
        found: str,
        line: int | None = None,
    ) -> None:
        self.source = source
        self.record = record
        self.field = field
        self.expected = expected
        self.found = found
        self.line = line
        where = f"{source}, record {record}"
        if line is not None:
            where += f" (line {line})"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: expected {expected}, found {found}")


class StaleElementsError(InputError):
    code = "stale_elements"

    def __init__(self, message: str, *, satellite: str, age_days: float) -> None:
        super().__init__(message)
        self.satellite = satellite
        self.age_days = age_days


# --- time and geometry -------------------------------------------------------------


class TimeRangeError(InputError):
    code = "invalid_time_range"


class GeometryError(InputError):
    code = "invalid_geometry"


class GeoJSONError(GeometryError):
    """A GeoJSON area of interest is unusable; ``source`` (file name), ``location``
    (where in the document, e.g. ``features[0].geometry.coordinates[0]``) and
    ``reason`` (what is wrong and how to fix it)."""

    def __init__(self, *, source: str, location: str, reason: str) -> None:
        self.source = source
        self.location = location
        self.reason = reason
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {reason}")


class FilterError(InputError):
    """A CQL2 filter (STAC API Filter extension) that cannot be parsed or uses what
    spacepool does not support; ``operator`` names the operator at fault (``None``
    when the text does not parse)."""

    code = "invalid_filter"

    def __init__(self, message: str, *, operator: str | None = None) -> None:
        self.operator = operator
        super().__init__(message)


class UnknownNameError(InputError):
    """A name that does not exist; ``kind``, ``name`` and the ``known`` names."""

    code = "unknown_name"

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        shown = ", ".join(self.known[:30]) + (" ..." if len(self.known) > 30 else "")
        super().__init__(f"unknown {kind} {name!r}; known {kind}s: {shown or '(none)'}")


# --- consortium --------------------------------------------------------------------


class ConsortiumDataError(InputError):
    """The consortium description is inconsistent; ``field`` names where."""

    code = "invalid_consortium"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# --- planning ----------------------------------------------------------------------


class BenchmarkFormatError(InputError):
    """A benchmark instance file is malformed; ``source`` and ``line`` name where."""

    code = "invalid_benchmark_file"

    def __init__(self, message: str, *, source: str, line: int) -> None:
        super().__init__(f"{source}, line {line}: {message}")
        self.source = source
        self.line = line


class ScenarioError(InputError):
    """A planning scenario, request or instance is invalid; ``field`` names where,
    e.g. ``requests[3].window.end``; ``source`` the file when it came from one;
    ``reason`` the message without them."""

    code = "invalid_scenario"

    def __init__(self, message: str, *, field: str, source: str | None = None) -> None:
        where = f"{source}: {field}" if source else field
        super().__init__(f"{where}: {message}")
        self.field = field
        self.source = source
        self.reason = message


class ActivationError(ScenarioError):
    """A disaster activation is invalid (area, type, event time, partner, policy);
    ``field`` names where, e.g. ``aoi.coordinates[0]`` or ``event_time``."""

    code = "invalid_activation"


# --- data service ----------------------------------------------------------------


class NotFoundError(InputError):
    """A record asked for by id does not exist or the caller may not see it; ``kind``
    and ``name``. The two cases share one message so that a hidden item's existence
    does not leak."""

    code = "not_found"

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"{kind} {name!r} not found")


class ConflictError(InputError):
    """A record with this id exists already with different content; ``kind``, ``name``."""

    code = "conflict"

    def __init__(self, message: str, *, kind: str, name: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name


class AuthenticationError(InputError):
    """The API key given is unknown, malformed or revoked."""

    code = "unauthenticated"


class PermissionDeniedError(InputError):
    """The caller is known but its role may not do this; ``required`` names the role."""

    code = "permission_denied"

    def __init__(self, message: str, *, required: str) -> None:
        super().__init__(message)
        self.required = required


# --- runtime -----------------------------------------------------------------------


class PropagationError(SpacepoolError):
    """SGP4 failed for one satellite; ``satellite``, ``error_code`` and ``meaning``."""

    code = "propagation_error"

    def __init__(self, *, satellite: str, error_code: int, meaning: str) -> None:
        self.satellite = satellite
        self.error_code = error_code
        self.meaning = meaning
        super().__init__(f"{satellite}: SGP4 error {error_code}: {meaning}")

    def __reduce__(self) -> tuple[Callable[[str], PropagationError], tuple[str], dict[str, object]]:
        # Keyword-only constructor: rebuild from the attributes (e.g. across processes).
        return (_rebuild_propagation_error, (self.message,), self.__dict__)


class RemoteSourceError(SpacepoolError):
    """An element source (CelesTrak, Space-Track) failed; ``url`` and ``status``."""

    code = "remote_source_error"

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


def _rebuild_propagation_error(message: str) -> PropagationError:
    err = PropagationError.__new__(PropagationError)
    Exception.__init__(err, message)
    return err
