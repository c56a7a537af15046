"""The event loop's PostgreSQL pool hands out connections without checking them first
(a round trip per use). What a connection the server has closed fails (as after a
restart) runs once more on a new connection, but only when nothing was written: a read,
or a transaction that failed before its commit was sent."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from isocourse.settings import Settings
from isocourse.store.database import OnLoop, Store, open_store
from isocourse.store.tables import Clinic
from tests.clinic_support import POSTGRES_URL_VARIABLE, fresh_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_URL_VARIABLE),
    reason=f"{POSTGRES_URL_VARIABLE} is not set (the asyncio pool is PostgreSQL's)",
)

_T = TypeVar("_T")
CLOSE_THE_OTHERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(
        Settings(data_dir=tmp_path, database_url=fresh_database("postgresql", tmp_path))
    )
    yield opened
    opened.close()


def on_loop_of(store: Store) -> OnLoop:
    assert store.on_loop is not None
    assert store.on_loop.engine.pool._pre_ping is False  # type: ignore[attr-defined]
    return store.on_loop


def close_the_servers_connections(store: Store) -> None:
    """Every connection to the database but the one asking, as a restart would."""
    with store.engine.connect() as connection:
        assert connection.execute(text(CLOSE_THE_OTHERS)).scalar_one() >= 1


async def warm(on_loop: OnLoop, connections: int) -> None:
    """Let the pool hold ``connections`` connections (each used at the same time)."""

    def hold(connection: Connection) -> None:
        connection.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(on_loop.read_in_one_statement(hold) for _ in range(connections)))
    assert on_loop.engine.pool.checkedin() == connections  # type: ignore[attr-defined]


def run_and_close(on_loop: OnLoop, scenario: Coroutine[Any, Any, _T]) -> _T:
    """Run ``scenario`` on a new event loop, then close the pool's connections on it
    (they belong to that loop), whether or not the scenario failed."""

    async def closing() -> _T:
        try:
            return await scenario
        finally:
            await on_loop.close()

    return asyncio.run(closing())


def add_clinic(session: Session, clinic_id: str, attempts: list[str]) -> str:
    attempts.append(clinic_id)
    session.add(Clinic(id=clinic_id, name="Fictional", created_at=datetime.now(UTC)))
    session.flush()
    return clinic_id


def clinics(store: Store) -> list[str]:
    with store.reading() as session:
        return list(session.scalars(select(Clinic.id).order_by(Clinic.id)))


def test_a_transaction_on_a_closed_connection_runs_once_more_on_a_new_one(store: Store) -> None:
    on_loop = on_loop_of(store)
    attempts: list[str] = []

    async def scenario() -> None:
        await warm(on_loop, 4)
        close_the_servers_connections(store)
        assert await on_loop.run_in_transaction(add_clinic, "x", attempts) == "x"
        # the pool discarded every connection opened before the loss: no second retry
        assert await on_loop.run_in_transaction(add_clinic, "y", attempts) == "y"

    run_and_close(on_loop, scenario())
    assert attempts == ["x", "x", "y"]
    assert clinics(store) == ["x", "y"]


def test_a_transaction_that_fails_for_another_reason_runs_once(store: Store) -> None:
    on_loop = on_loop_of(store)
    attempts: list[str] = []

    async def scenario() -> None:
        await on_loop.run_in_transaction(add_clinic, "x", attempts)
        with pytest.raises(IntegrityError):
            await on_loop.run_in_transaction(add_clinic, "x", attempts)

    run_and_close(on_loop, scenario())
    assert attempts == ["x", "x"]
    assert clinics(store) == ["x"]


def test_a_read_on_a_closed_connection_runs_once_more_on_a_new_one(store: Store) -> None:
    on_loop = on_loop_of(store)
    attempts: list[int] = []

    def count(connection: Connection) -> int:
        attempts.append(1)
        return int(connection.execute(text("SELECT count(*) FROM clinics")).scalar_one())

    async def scenario() -> list[int]:
        await warm(on_loop, 4)
        close_the_servers_connections(store)
        return [await on_loop.read_in_one_statement(count) for _ in range(3)]

    assert run_and_close(on_loop, scenario()) == [0, 0, 0]
    assert len(attempts) == 4  # the first read twice, then each once
