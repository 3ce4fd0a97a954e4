"""Service commands: the REST + STAC API server (``serve``)."""

from __future__ import annotations

import typer

from spacepool.cli.app import app, check_workers, friendly_errors


@app.command("serve")
@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(
        1, "--workers", help="Server processes (each with its own database connections)."
    ),
) -> None:
    """Run the REST + STAC API (STAC root /stac, OpenAPI /openapi.json, docs /docs)."""
    import uvicorn

    from spacepool.api.server import LOOP, NODELAY_HTTP

    check_workers(workers)
    if workers == 1:
        from spacepool.api import create_app

        uvicorn.run(create_app(), host=host, port=port, http=NODELAY_HTTP, loop=LOOP)
        return
    # Several processes need the app as an import string; each builds its own.
    # Migrate once here so the workers do not race to upgrade the schema.
    from spacepool.store.db import upgrade_database

    upgrade_database()
    uvicorn.run(
        "spacepool.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NODELAY_HTTP,
        loop=LOOP,
    )
