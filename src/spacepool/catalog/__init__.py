"""The shared catalogue: STAC items with their owner's access policy and embargo.

Pure data and rules; the database layer (:mod:`spacepool.store`) and the HTTP layer
(:mod:`spacepool.api`) convert at their edges.
"""

from __future__ import annotations

from spacepool.catalog.access import AccessPolicy, ItemAccess, Viewer, can_view, is_public

__all__ = ["AccessPolicy", "ItemAccess", "Viewer", "can_view", "is_public"]
