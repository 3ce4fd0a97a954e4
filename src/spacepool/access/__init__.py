"""spacepool.access."""
