"""Load a consortium from a TOML or JSON file, or the bundled reference consortium."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from spacepool.consortium.model import Consortium
from spacepool.errors import ConsortiumDataError

BUNDLED_NAME = "consortium.toml"


def bundled_text() -> str:
    """The bundled reference consortium file's text (TOML)."""
    return (resources.files("spacepool.consortium") / "data" / BUNDLED_NAME).read_text("utf-8")


def parse_consortium_text(text: str, *, source: str, fmt: str = "toml") -> dict[str, Any]:
    """Parse TOML (``fmt="toml"``) or JSON text into plain data."""
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConsortiumDataError(f"not valid {fmt.upper()}: {exc}", field=source) from None
    if not isinstance(data, dict):
        raise ConsortiumDataError("the top level must be a table (object)", field=source)
    return data


def load_consortium(path: Path | None = None) -> Consortium:
    """Read and check a consortium file (``.toml`` or ``.json``); ``None`` = bundled.

    Raises :class:`~spacepool.errors.ConsortiumDataError` naming the field at fault.
    """
    if path is None:
        return Consortium.from_dict(parse_consortium_text(bundled_text(), source=BUNDLED_NAME))
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConsortiumDataError(
            f"cannot read the file: {exc.strerror}", field=str(path)
        ) from None
    fmt = "json" if Path(path).suffix.lower() == ".json" else "toml"
    return Consortium.from_dict(parse_consortium_text(text, source=str(path), fmt=fmt))
