"""``python -m spacepool.cli``: the same as the ``spacepool`` console script."""

from spacepool.cli import main

main()
