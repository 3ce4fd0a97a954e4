"""The error answers declared in ``/openapi.json``: which statuses each operation
lists, and that all of them carry the one ``Error`` body the handlers send.

(``test_schemathesis.py`` checks the real answers against these declarations.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacepool.api import create_app

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = Path(tmp_path_factory.mktemp("openapi")) / "spacepool.sqlite"
    with TestClient(create_app(f"sqlite:///{database}")) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _error_statuses(operation: dict[str, Any]) -> set[str]:
    return {status for status in operation["responses"] if status.startswith(("4", "5"))}


# (method, path): the error statuses declared, and why.
EXPECTED_ERRORS = [
    ("GET", "/stac/", {"401"}, "no parameters; only a bad key is refused"),
    ("GET", "/stac/collections", {"401"}, "no parameters"),
    ("POST", "/stac/search", {"400", "401"}, "a body; reads only, no id in the path"),
    ("GET", "/stac/search", {"400", "401"}, "query parameters"),
    (
        "GET",
        "/stac/collections/{collection_id}/items/{item_id}",
        {"400", "401", "404"},
        "ids in the path; public",
    ),
    (
        "PUT",
        "/stac/collections/{collection_id}/items/{item_id}",
        {"400", "401", "403", "404", "409"},
        "partner write of an item by id",
    ),
    (
        "DELETE",
        "/stac/collections/{collection_id}",
        {"400", "401", "403", "404"},
        "coordinator; deletes do not conflict",
    ),
    ("POST", "/stac/collections", {"400", "401", "403", "409"}, "coordinator create"),
    ("GET", "/partners", {"400", "401"}, "paging parameters; public"),
    ("GET", "/partners/{partner_id}", {"400", "401", "404"}, "id in the path"),
    ("POST", "/partners", {"400", "401", "403", "409"}, "coordinator create"),
    ("GET", "/requests", {"400", "401", "403"}, "partner route with parameters"),
    (
        "POST",
        "/plans",
        {"400", "401", "403", "404", "409"},
        "coordinator create naming requests and an agreement in its body",
    ),
    ("POST", "/access", {"400", "401"}, "a body; a computation, stores nothing"),
    ("GET", "/audit/reads", {"400", "401", "403"}, "partner route with paging"),
]


@pytest.mark.parametrize(
    ("method", "path", "expected", "reason"),
    EXPECTED_ERRORS,
    ids=[f"{method} {path}" for method, path, _, _ in EXPECTED_ERRORS],
)
def test_operation_declares_the_error_statuses_it_can_answer(
    spec: dict[str, Any], method: str, path: str, expected: set[str], reason: str
) -> None:
    operation = spec["paths"][path][method.lower()]
    assert _error_statuses(operation) == expected, reason


def test_every_operation_declares_401_and_every_error_uses_the_error_schema(
    spec: dict[str, Any],
) -> None:
    operations = list(_operations(spec))
    assert len(operations) >= 40
    for method, path, operation in operations:
        statuses = _error_statuses(operation)
        assert "401" in statuses, f"{method} {path}"
        assert "422" not in statuses, f"{method} {path}: validation errors are 400"
        for status in statuses:
            content = operation["responses"][status]["content"]
            assert content == {"application/json": {"schema": ERROR_REF}}, (
                f"{method} {path} {status}"
            )


def test_operations_with_parameters_declare_400_and_role_routes_declare_403(
    spec: dict[str, Any],
) -> None:
    for method, path, operation in _operations(spec):
        statuses = _error_statuses(operation)
        takes_input = bool(operation.get("parameters")) or "requestBody" in operation
        assert ("400" in statuses) == takes_input, f"{method} {path}"
        restricted = operation["x-spacepool-access"] != "public"
        assert ("403" in statuses) == restricted, f"{method} {path}"
        assert ("404" in statuses) >= ("{" in path), f"{method} {path}"


def test_error_schema_is_code_and_description_and_validation_schemas_are_gone(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["required"] == ["code", "description"]
    assert set(schemas["Error"]["properties"]) == {"code", "description"}
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/stac/collections"),
        ("POST", "/partners"),
        ("POST", "/element-sets"),
        ("POST", "/requests"),
        ("POST", "/activations/{activation_id}/acquisitions"),
    ],
)
def test_idempotent_create_declares_200_for_a_re_post_with_the_201_body(
    spec: dict[str, Any], method: str, path: str
) -> None:
    responses = spec["paths"][path][method.lower()]["responses"]
    assert responses["200"]["content"] == responses["201"]["content"]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        (
            "GET",
            "/partners/nobody",
            404,
            {"code": "not_found", "description": "partner 'nobody' not found"},
        ),
        (
            "GET",
            "/partners?limit=0",
            400,
            {
                "code": "invalid_request",
                "description": "query.limit: Input should be greater than or equal to 1",
            },
        ),
        (
            "POST",
            "/partners",
            401,
            {
                "code": "unauthenticated",
                "description": "this endpoint needs a coordinator API key: send "
                "'Authorization: Bearer <key>'",
            },
        ),
    ],
)
def test_error_answers_have_exactly_the_declared_error_fields(
    client: TestClient, method: str, path: str, status: int, body: dict[str, str]
) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    assert response.json() == body
