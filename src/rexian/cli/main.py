"""The `rexian` command: one entry point, a sub-command per area."""

from __future__ import annotations

import typer

app = typer.Typer(help="Rexian (热线): the 12345 hotline platform.", no_args_is_help=True)

# Sub-commands are registered below, one line per area.
# --- register sub-commands here ---


if __name__ == "__main__":
    app()
