"""`rexian open311`: API keys for Open311 GeoReport v2 clients."""

from __future__ import annotations

from typing import Annotated

import typer

from rexian.cli.core import emit, hotline, operator

app = typer.Typer(help="Open311 GeoReport v2 (/open311/v2): client API keys.", no_args_is_help=True)


@app.command("key")
def key(name: Annotated[str, typer.Argument(help="the client, e.g. the city's app")],
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Issue an API key for an Open311 client; it is printed once (only its hash is stored)."""
    from rexian.services.open311 import issue_key

    issued = issue_key(hotline(), name, operator())
    emit({"name": name, "api_key": issued}, as_json, issued)
