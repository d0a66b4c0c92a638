"""Operations: backup and restore of the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rexian.cli.core import emit
from rexian.config import get_settings


def backup(file: Annotated[Path, typer.Argument(help="where to write the backup")],
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Write a consistent backup of the live database (SQLite backup API, or pg_dump on PostgreSQL)."""
    from rexian.services.backup import backup as do_backup

    written = do_backup(get_settings().database_url, file)
    size = written.stat().st_size
    emit({"file": str(written), "bytes": size}, as_json, f"backup written: {written} ({size} bytes)")


def restore(file: Annotated[Path, typer.Argument(help="a file written by `rexian backup`")],
            yes: Annotated[bool, typer.Option("--yes", help="do not ask before replacing the database")] = False
            ) -> None:
    """Replace the configured database with a backup (stop the servers first)."""
    from rexian.services.backup import restore as do_restore

    url = get_settings().database_url
    if not yes and not typer.confirm(f"replace the database at {url.split('@')[-1]} with {file}?"):
        raise typer.Exit(1)
    do_restore(url, file)
    typer.echo(f"restored from {file}")


def copy(to: Annotated[str, typer.Option("--to", help="the target database URL (migrated, empty)")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Copy the configured database into another one (e.g. SQLite → PostgreSQL), table by table."""
    from tqdm import tqdm

    from rexian.services.backup import copy_database

    with tqdm(unit=" rows", disable=as_json) as bar:
        copied = copy_database(get_settings().database_url, to,
                               progress=lambda table, n: (bar.set_description(table), bar.update(n)))
    emit(copied, as_json, f"{sum(copied.values())} rows copied in {len(copied)} tables")
