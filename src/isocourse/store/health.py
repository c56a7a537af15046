"""Whether the database answers (the server's health check)."""

from __future__ import annotations

from sqlalchemy import text

from isocourse.store.database import Store


def database_answers(store: Store) -> bool:
    """True when a trivial statement runs; any database failure means no."""
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any database failure means: not healthy
        return False
    return True
