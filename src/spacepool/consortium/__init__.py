"""spacepool.consortium."""
