"""Alembic environment: runs the packaged migrations against the URL it is given."""

from __future__ import annotations

from alembic import context

from isocourse.store.database import make_engine
from isocourse.store.tables import Base

_url: str = context.config.attributes["url"]
_engine = make_engine(_url)
try:
    with _engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # A table that others reference is rebuilt by copying it (SQLite cannot alter
            # it in place); with foreign keys on, dropping the old copy would fail. Off
            # for the migration's connection only, before its transaction begins (SQLite
            # ignores the pragma inside one); a migration that rebuilds such a table runs
            # ``PRAGMA foreign_key_check`` before it commits.
            connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys=OFF"
            )
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    _engine.dispose()
