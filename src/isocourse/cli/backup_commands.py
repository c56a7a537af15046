"""``isocourse backup FILE`` and ``isocourse restore FILE``: the whole database, safely."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import fail, settings

if TYPE_CHECKING:
    from isocourse.settings import Settings


def backup(
    file: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
) -> None:
    """Write a consistent snapshot of the database (safe while the server runs).

    SQLite: the online backup API. PostgreSQL: pg_dump, custom format."""
    from isocourse.store.backup import BackupError
    from isocourse.store.backup import backup as make_backup

    try:
        make_backup(settings().sqlalchemy_url(), file)
    except BackupError as error:
        fail(f"backup failed: {error.message}")
    typer.echo(f"backup written to {file}")


def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `isocourse backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace a database that is not empty")
    ] = False,
) -> None:
    """Bring a backup back (stop the server first). Refuses a non-empty database unless --force."""
    from isocourse.store.backup import BackupError
    from isocourse.store.backup import restore as restore_backup

    configured = settings()
    try:
        restore_backup(configured.sqlalchemy_url(), file, force=force)
    except BackupError as error:
        fail(f"restore failed: {error.message}")
    typer.echo(f"restored {file}; {_audit_summary(configured)}")


def _audit_summary(configured: Settings) -> str:
    from isocourse.service.audit import verify_chain
    from isocourse.store.database import open_store

    store = open_store(configured)
    try:
        with store.reading() as session:  # one snapshot, no write lock
            report = verify_chain(session)
    finally:
        store.close()
    if report.first_break is not None:
        return f"audit chain BROKEN at entry {report.first_break.entry_id}"
    return f"audit chain intact: {report.entries} entries"
