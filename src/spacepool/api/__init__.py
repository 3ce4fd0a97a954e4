"""The HTTP layer: FastAPI app factory, auth, STAC endpoints, error table."""

from __future__ import annotations

import logging

# stac-fastapi logs a notice at import when its settings come from defaults; the
# app passes its own settings, so the notice would only mislead.
logging.getLogger("stac_fastapi.types.config").setLevel(logging.ERROR)

from spacepool.api.app import create_app  # noqa: E402

__all__ = ["create_app"]
