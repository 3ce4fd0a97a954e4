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
        1,
        "--workers",
        help="Server processes, each listening on the port (each with its own database "
        "connections).",
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="Log a line per request."
    ),
) -> None:
    """Run the REST + STAC API (STAC root /stac, OpenAPI /openapi.json, docs /docs)."""
    from spacepool.api.server import serve as serve_api

    check_workers(workers)
    status = serve_api(host, port, workers=workers, access_log=access_log)
    if status:
        raise typer.Exit(status)
