"""Backup and restore of the whole database: SQLite's online backup API, pg_dump/pg_restore on PostgreSQL.

A SQLite backup is a consistent snapshot taken while the hotline keeps serving (the backup API copies
pages under a read transaction); a PostgreSQL backup is pg_dump's custom format, itself one snapshot.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from rexian.domain.errors import InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def pg_tool(name: str) -> str:
    """The PostgreSQL client `name` (pg_dump, pg_restore): the pgserver wheel's, else one on PATH."""
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        bundled = POSTGRES_BIN_PATH / name
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise InvalidInput(f"找不到 PostgreSQL 客户端工具 {name}，请安装 postgresql-client",
                           f"the PostgreSQL client tool {name} was not found; install postgresql-client")
    return found


def _libpq_url(url: str) -> str:
    """SQLAlchemy's URL as libpq reads it (no +driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput("内存数据库无法备份或恢复", "an in-memory database cannot be backed up or restored")
    return database


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise InvalidInput(f"{Path(args[0]).name} 失败：{message}", f"{Path(args[0]).name} failed: {message}")


def backup(url: str, target: Path) -> Path:
    """Write a consistent copy of the database at `url` to `target` while it stays online."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        source, copy = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)])
    return target


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup in `source` (all or nothing).
    Stop the hotline's processes first: their open connections would see the switch mid-request."""
    if not source.is_file():
        raise InvalidInput(f"备份文件不存在：{source}", f"no backup file at {source}")
    with source.open("rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    backend = make_url(url).get_backend_name()
    if backend == "sqlite" and magic == SQLITE_MAGIC:
        backup_db, live = sqlite3.connect(source), sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    elif backend == "postgresql" and magic.startswith(PGDUMP_MAGIC):
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])
    else:
        raise InvalidInput(f"{source} 不是 {backend} 数据库的备份（跨库迁移请用导出/导入）",
                           f"{source} is not a {backend} backup (move between databases by export/import)")


def copy_database(source_url: str, target_url: str, batch: int = 2000,
                  progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table from one database to another (SQLite → PostgreSQL), parents before children.

    The target must be migrated to the same head and hold no work orders yet. Serial ids keep their
    values; PostgreSQL sequences are moved past them. Returns the rows copied per table, checked
    against the source's counts.
    """
    from sqlalchemy import Integer, func, insert, select, text

    from rexian.adapters.db.engine import make_engine
    from rexian.adapters.db.tables import metadata, work_orders

    source, target = make_engine(source_url), make_engine(target_url)
    copied: dict[str, int] = {}
    try:
        with source.connect() as src, target.connect() as dst:
            dst.execution_options(write=True)
            with dst.begin():
                if dst.execute(select(func.count()).select_from(work_orders)).scalar_one():
                    raise InvalidInput("目标数据库已有工单，请使用空库", "the target already holds work orders: use an empty one")
                for table in reversed(metadata.sorted_tables):  # children first
                    dst.execute(table.delete())  # reference data the target's set-up loaded (units, rules)
                for table in metadata.sorted_tables:  # parents first
                    serial = "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer)
                    # rows in id order (a merged order's master is older); other tables in stored order,
                    # which puts parent units before their children as they were loaded
                    query = select(table).order_by(table.c.id) if serial else select(table)
                    n = 0
                    result = src.execution_options(stream_results=True).execute(query)
                    while rows := result.fetchmany(batch):
                        dst.execute(insert(table), [dict(r._mapping) for r in rows])
                        n += len(rows)
                        if progress:
                            progress(table.name, len(rows))
                    expected = src.execute(select(func.count()).select_from(table)).scalar_one()
                    if n != expected:
                        raise InvalidInput(f"{table.name} 复制不完整", f"{table.name}: copied {n} of {expected} rows")
                    copied[table.name] = n
                    if dst.dialect.name == "postgresql" and serial:
                        dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    finally:
        source.dispose()
        target.dispose()
    return copied
