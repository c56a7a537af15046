"""Alembic environment: runs the packaged migrations against the URL it is given."""

from __future__ import annotations

from alembic import context

from isocourse.store.database import make_engine
from isocourse.store.tables import Base

_url: str = context.config.attributes["url"]
_engine = make_engine(_url)
try:
    with _engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    _engine.dispose()
