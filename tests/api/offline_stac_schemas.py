"""STAC JSON-schema validation without network access, for stac-api-validator.

stac-api-validator checks every item and collection it reads with stac-validator
(``StacValidate``) and stac-check (``Linter``), which download the STAC core schemas
from the schema host at run time. The tests run offline, so these two adapters take
their place and validate the same documents with ``rustac validate``, whose binary
carries the official STAC 1.0.0 and 1.1.0 core schemas and the GeoJSON schemas.
Everything else the validator checks (conformance, links, media types, search
semantics, paging, transactions) runs unchanged.

stac-check's best-practice recommendations are only warnings in stac-api-validator;
the adapter gives none.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

# Seconds one `rustac validate` may take (it runs in ~0.1 s).
RUSTAC_TIMEOUT_S = 60.0


def rustac_command() -> str | None:
    """The ``rustac`` console script beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "rustac"
    if beside.exists():
        return str(beside)
    return shutil.which("rustac")


def validate_document(document: dict[str, Any]) -> str | None:
    """None when ``document`` is a valid STAC object, else rustac's message."""
    command = rustac_command()
    if command is None:
        raise RuntimeError("rustac is not installed (pip install rustac)")
    result = subprocess.run(
        [command, "validate", "-"],
        input=json.dumps(document).encode(),
        capture_output=True,
        timeout=RUSTAC_TIMEOUT_S,
        check=False,
    )
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).decode(errors="replace").strip() or "invalid"


class OfflineStacValidate:
    """Stands in for ``stac_validator.StacValidate`` as stac-api-validator uses it."""

    def __init__(self, **_options: Any) -> None:
        self.message: list[dict[str, Any]] = []

    def validate_dict(self, body: dict[str, Any]) -> bool:
        error = validate_document(body)
        self.message = [{"valid_stac": error is None, "error_message": error or ""}]
        return error is None


class OfflineLinter:
    """Stands in for ``stac_check.lint.Linter``: fetch the URL, validate the body."""

    def __init__(
        self,
        url: str,
        config_file: str | None = None,
        assets_open_urls: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        del config_file, assets_open_urls
        response = httpx.get(url, headers=headers or {}, timeout=30.0)
        if response.status_code != 200:
            self.valid_stac = False
            self.error_msg = f"GET {url} answered {response.status_code}"
        else:
            error = validate_document(response.json())
            self.valid_stac = error is None
            self.error_msg = error or ""
        self.best_practices_msg: list[str] = [""]
