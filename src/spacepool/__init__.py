"""spacepool: one open system for space agencies that pool their assets."""

from __future__ import annotations

__version__ = "0.1.0"
