"""schemathesis against ``/openapi.json``: every operation, random valid requests,
as anonymous and as a partner. No answer may be a 5xx, and every answer must match
the media type and body schema the document declares for its status.

Runs in process on the ASGI app over the seeded catalogue of ``stac_world`` (SQLite
and PostgreSQL). Not checked: that every status is declared (the document lists
only the success answers, not the 4xx of the one error shape; see
docs/data-service.md, "Checks").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from stac_world import World, build_world

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

# Requests per operation and caller: enough to reach every parameter's edge cases
# (huge numbers, empty and odd strings, null bodies) while a run over some 40
# operations, two callers and two databases stays under a minute on two cores.
EXAMPLES_PER_OPERATION = 5
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


def _run_operation(operation: Any, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        # Generated Authorization headers would only test key parsing; the caller's
        # own header (or none, for anonymous) is what this test is about.
        case.headers = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() != "authorization"
        }
        case.headers.update(headers)
        try:
            case.call_and_validate(checks=CHECKS)
        except BaseException as exc:  # schemathesis raises a FailureGroup per case
            failures.append(f"{operation.label}: {exc}")

    run()
    return failures


# The request models warn about inputs that are valid and answered normally: a bbox
# crossing the antimeridian (minlon > maxlon, which STAC allows; stac-pydantic) and
# a GeometryCollection of one geometry (valid GeoJSON that RFC 7946 advises
# against; geojson-pydantic). The suite turns warnings into errors.
@pytest.mark.filterwarnings("ignore:BBOX crossing the Antimeridian:UserWarning")
@pytest.mark.filterwarnings("ignore:GeometryCollection should not be used:UserWarning")
@pytest.mark.parametrize("label", ["anonymous", "esa"])
def test_every_operation_answers_random_requests_without_5xx_and_as_documented(
    world: World, label: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    started = time.monotonic()
    failures: list[str] = []
    for operation in operations:
        failures.extend(_run_operation(operation, world.headers(label)))
    elapsed_s = time.monotonic() - started
    failing = sorted({failure.split(": ", 1)[0] for failure in failures})
    assert not failures, f"failing operations: {failing}; first failure:\n{failures[0][:3000]}"
    assert elapsed_s < 120, f"schemathesis took {elapsed_s:.0f} s"
