"""spacepool.orbits."""
