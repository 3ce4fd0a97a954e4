"""schemathesis against ``/openapi.json``: every operation, random requests, as
anonymous and as a partner. No answer may be a 5xx; every status must be one the
document declares for the operation; every answer must match the media type and
body schema declared for its status (errors: the one ``Error`` shape).

Valid requests (positive generation) run as anonymous and as a partner: anonymous
callers meet the 401 of partner routes, the partner the 403 of coordinator routes.
Invalid requests (negative generation) run as a partner, so they pass the auth
check and reach validation: each must be refused with a declared 4xx.

Runs in process on the ASGI app over the seeded catalogue of ``stac_world`` (SQLite
and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from stac_world import World, build_world

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

# Requests per operation and caller: enough to reach every parameter's edge cases
# (huge numbers, empty and odd strings, null bodies) while the three runs over some
# 45 operations take about a minute per database on two busy cores.
EXAMPLES_PER_OPERATION = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Invalid input must also be refused (a 4xx), not answered as if valid.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


@pytest.fixture(scope="module")
def world(module_database_url: str) -> Iterator[World]:
    yield from build_world(module_database_url)


def _run_operation(
    operation: Any,
    headers: dict[str, str],
    mode: GenerationMode,
    checks: list[Any],
    statuses: list[int],
) -> list[str]:
    """Run ``operation`` on generated cases; the failures, one text per case. Appends
    each answer's status to ``statuses``."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
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
            response = case.call_and_validate(checks=checks)
        except BaseException as exc:  # schemathesis raises a FailureGroup per case
            failures.append(f"{operation.label}: {exc}")
        else:
            statuses.append(response.status_code)

    run()
    return failures


def _run_all(
    world: World, label: str, mode: GenerationMode, checks: list[Any]
) -> tuple[list[int], float]:
    """Every operation of the document; the statuses seen and the seconds taken.
    Fails with the first failure in full and the names of all failing operations."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    started = time.monotonic()
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:
        failures.extend(_run_operation(operation, world.headers(label), mode, checks, statuses))
    elapsed_s = time.monotonic() - started
    failing = sorted({failure.split(": ", 1)[0] for failure in failures})
    assert not failures, f"failing operations: {failing}; first failure:\n{failures[0][:3000]}"
    return statuses, elapsed_s


# The request models warn about inputs that are valid and answered normally: a bbox
# crossing the antimeridian (minlon > maxlon, which STAC allows; stac-pydantic) and
# a GeometryCollection of one geometry (valid GeoJSON that RFC 7946 advises
# against; geojson-pydantic). The suite turns warnings into errors.
@pytest.mark.filterwarnings("ignore:BBOX crossing the Antimeridian:UserWarning")
@pytest.mark.filterwarnings("ignore:GeometryCollection should not be used:UserWarning")
@pytest.mark.parametrize(
    ("label", "refusal"),
    [
        ("anonymous", 401),  # partner and coordinator routes
        ("esa", 403),  # coordinator routes
    ],
)
def test_every_operation_answers_valid_requests_with_declared_statuses_and_bodies(
    world: World, label: str, refusal: int
) -> None:
    statuses, elapsed_s = _run_all(world, label, GenerationMode.POSITIVE, CHECKS)
    # The checks above ran on successes and on the caller's refusals alike.
    assert 200 in statuses
    assert refusal in statuses
    assert elapsed_s < 60, f"schemathesis took {elapsed_s:.0f} s"


@pytest.mark.filterwarnings("ignore:BBOX crossing the Antimeridian:UserWarning")
@pytest.mark.filterwarnings("ignore:GeometryCollection should not be used:UserWarning")
def test_every_operation_refuses_invalid_requests_with_a_declared_error(world: World) -> None:
    statuses, elapsed_s = _run_all(world, "esa", GenerationMode.NEGATIVE, NEGATIVE_CHECKS)
    # Invalid input reached validation (400) and path ids their lookup (404).
    assert {400, 404} <= set(statuses)
    assert elapsed_s < 60, f"schemathesis took {elapsed_s:.0f} s"
