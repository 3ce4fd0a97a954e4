"""spacepool.planning."""
