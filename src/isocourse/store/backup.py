"""Backups and restores of the whole database, consistent while the server runs.

SQLite: Python's ``sqlite3`` online backup API copies a consistent snapshot page by
page, while other connections go on reading and writing. PostgreSQL: ``pg_dump`` in
its custom format (one consistent snapshot, by MVCC) and ``pg_restore`` in a single
transaction, so a failed restore leaves the database as it was. The PostgreSQL
client programs must be on ``PATH`` and no older than the server.

A restore refuses a database that holds anything (a user, a patient, an event or an
audit entry) unless forced, so a restore never overwrites a live record by mistake.

Errors::

    BackupError       the backup or restore cannot be made; ``message`` says why
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Final

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

#: the tables whose rows make a database "not empty" for a restore
RECORD_TABLES: Final = ("users", "patients", "events", "audit_entries")


class BackupError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def backup(database_url: str, target: Path) -> None:
    """Write a consistent snapshot of the database at ``database_url`` to ``target``."""
    url = make_url(database_url)
    if target.exists():
        raise BackupError(f"{target} exists: choose a new file name")
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(url, must_exist=True), target)
    else:
        _run_pg("pg_dump", "--format=custom", f"--file={target}", url=url)


def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Replace the database at ``database_url`` with the backup in ``source``."""
    url = make_url(database_url)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    rows = record_rows(database_url)
    if rows and not force:
        raise BackupError(
            f"the database is not empty ({rows} rows of users, patients, events and audit"
            " entries): restore into an empty database, or pass --force to replace it"
        )
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        _sqlite_copy(source, _sqlite_path(url, must_exist=False))
    else:
        _run_pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(source),
            url=url,
        )


def record_rows(database_url: str) -> int:
    """How many rows the record tables hold (0: an empty or a new database)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url, must_exist=False).exists():
        return 0
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            tables = [name for name in RECORD_TABLES if name in present]
            return sum(
                int(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
                for name in tables
            )
    finally:
        engine.dispose()


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up or restored")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"no database at {path}")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source, timeout=30)) as origin,
        closing(sqlite3.connect(target, timeout=30)) as copy,
    ):
        origin.backup(copy)


def _check_sqlite_backup(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not an SQLite backup: {error}") from error
    if verdict != "ok" or not set(RECORD_TABLES) <= tables:
        raise BackupError(f"{source} is not an intact isocourse backup ({verdict})")


def _run_pg(program: str, *arguments: str, url: URL) -> None:
    found = shutil.which(program)
    if found is None:
        raise BackupError(f"{program} is not on PATH (install the PostgreSQL client programs)")
    plain = url.set(drivername="postgresql", password=None)
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)  # not on the command line (ps)
    connection = plain.render_as_string(hide_password=False)
    finished = subprocess.run(
        [found, f"--dbname={connection}", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise BackupError(f"{program} failed: {finished.stderr.strip()[-2000:]}")
