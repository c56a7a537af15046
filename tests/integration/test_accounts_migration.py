"""Revision 0004 on a database with data: every user keeps their id, every reference to a
user still holds, and from then on no id is handed out twice (SQLite: the users table is
rebuilt with AUTOINCREMENT). Down to 0003 and up again. SQLite and PostgreSQL."""

from __future__ import annotations

from importlib.resources import files

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from isocourse.store.database import migrate


def _downgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(files("isocourse.store") / "migrations"))
    config.attributes["url"] = url
    command.downgrade(config, revision)


ROWS = (
    "INSERT INTO clinics (id, name, created_at) VALUES ('a', 'a', '2026-01-01 00:00:00')",
    "INSERT INTO patients (id, clinic_id, created_at) VALUES ('p1', 'a', '2026-01-01 00:00:00')",
    *(
        "INSERT INTO users (id, email, password_hash, role, clinic_id, created_at) "
        f"VALUES ({n}, 'u{n}@a.test', 'hash', 'prescriber', 'a', '2026-01-01 00:00:00')"
        for n in (1, 2, 3)
    ),
    "INSERT INTO events (id, patient_id, kind, payload, recorded_at, recorded_by) "
    "VALUES ('e1', 'p1', 'weight', '{}', '2026-01-01 00:00:00', 3)",
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, response, created_at) "
    "VALUES (2, 'k', 'f', 200, '{}', '2026-01-01 00:00:00')",
)


def test_upgrading_keeps_every_user_and_reference_and_ids_are_never_reused(
    database_url: str,
) -> None:
    _downgrade(database_url, "0003")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
            if engine.dialect.name == "postgresql":  # the rows above named their ids
                connection.execute(text("SELECT setval('users_id_seq', 3)"))
        migrate(database_url)
        with engine.begin() as connection:
            users = connection.execute(text("SELECT id, email FROM users ORDER BY id")).all()
            assert [tuple(row) for row in users] == [(n, f"u{n}@a.test") for n in (1, 2, 3)]
            assert connection.execute(text("SELECT recorded_by FROM events")).scalar() == 3
            assert connection.execute(text("SELECT user_id FROM idempotency_keys")).scalar() == 2
            assert connection.execute(text("SELECT disabled_at FROM users WHERE id = 3")).one() == (
                None,
            )
            if engine.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'users'")
                ).scalar()
                assert "AUTOINCREMENT" in str(sql)
            connection.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, clinic_id, created_at) "
                    "VALUES ('u4@a.test', 'hash', 'admin', 'a', '2026-01-02 00:00:00')"
                )
            )
            connection.execute(text("DELETE FROM users WHERE email = 'u4@a.test'"))
            connection.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, clinic_id, created_at) "
                    "VALUES ('u5@a.test', 'hash', 'admin', 'a', '2026-01-02 00:00:00')"
                )
            )
            new_id = connection.execute(
                text("SELECT id FROM users WHERE email = 'u5@a.test'")
            ).scalar()
            assert new_id == 5  # not 4 again
        _downgrade(database_url, "0003")
        migrate(database_url)
        with engine.begin() as connection:
            count = connection.execute(text("SELECT count(*) FROM users")).scalar()
            assert count == 4
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", ["sessions", "sign_in_failures", "invitations", "calendar_feeds"])
def test_the_new_tables_are_made_and_taken_away_again(database_url: str, table: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"SELECT count(*) FROM {table}"))
        _downgrade(database_url, "0003")
        with engine.connect() as connection, pytest.raises(Exception, match=table):
            connection.execute(text(f"SELECT count(*) FROM {table}"))
    finally:
        engine.dispose()
