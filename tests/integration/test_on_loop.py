"""The event loop's PostgreSQL pool (psycopg's) hands out connections without checking
them first (a round trip per use). What a connection the server has closed fails (as
after a restart) runs once more, once the pool has replaced its closed connections, but
only when nothing was written: a read, or a transaction that failed before its commit
was sent. Statements are SQLAlchemy's, compiled once and run on the driver."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import psycopg
import pytest
from sqlalchemy import (
    JSON,
    Column,
    Dialect,
    MetaData,
    Select,
    String,
    Table,
    TypeDecorator,
    func,
    insert,
    literal,
    select,
    text,
)

from isocourse.auth.roles import Actor
from isocourse.service.audit import AuditAppends, verify_chain
from isocourse.service.context import Call
from isocourse.settings import Settings
from isocourse.store.database import DatabaseUnavailable, InTransaction, OnLoop, Store, open_store
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
CLINICS = cast(Table, Clinic.__table__)
COUNT_CLINICS = select(func.count()).select_from(CLINICS)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(
        Settings(data_dir=tmp_path, database_url=fresh_database("postgresql", tmp_path))
    )
    yield opened
    opened.close()


def on_loop_of(store: Store) -> OnLoop:
    assert store.on_loop is not None
    return store.on_loop


def close_the_servers_connections(store: Store) -> None:
    """Every connection to the database but the one asking, as a restart would."""
    with store.engine.connect() as connection:
        assert connection.execute(text(CLOSE_THE_OTHERS)).scalar_one() >= 1


async def warm(on_loop: OnLoop, connections: int) -> None:
    """Let the pool hold ``connections`` connections (each used at the same time)."""
    hold = select(func.pg_sleep(0.05))
    await asyncio.gather(*(on_loop.fetch_all(hold) for _ in range(connections)))
    assert on_loop.connections_opened() >= connections


def run_and_close(on_loop: OnLoop, scenario: Coroutine[Any, Any, _T]) -> _T:
    """Run ``scenario`` on a new event loop, then close the pool's connections on it
    (they belong to that loop), whether or not the scenario failed."""

    async def closing() -> _T:
        try:
            return await scenario
        finally:
            await on_loop.close()

    return asyncio.run(closing())


def adding_clinic(clinic_id: str, attempts: list[str]) -> Callable[[InTransaction], Awaitable[int]]:
    """A transaction's work: insert a clinic, then read how many there are."""

    async def work(transaction: InTransaction) -> int:
        attempts.append(clinic_id)
        row = {"id": clinic_id, "name": "Fictional", "created_at": datetime.now(UTC)}
        await transaction.execute(insert(CLINICS).values(row))
        found = await transaction.fetch_one(COUNT_CLINICS)
        assert found is not None
        counted: int = found[0]
        return counted

    return work


def clinics(store: Store) -> list[str]:
    with store.reading() as session:
        return list(session.scalars(select(Clinic.id).order_by(Clinic.id)))


def test_a_statement_runs_with_its_values_and_sqlalchemys_own(store: Store) -> None:
    """The compiled statement's own bound values (a literal here) travel with the caller's."""
    on_loop = on_loop_of(store)
    both = select(literal(7).label("seven"), text(":given"))

    async def scenario() -> list[tuple[Any, ...]]:
        return await on_loop.fetch_all(both, {"given": "x"})

    assert run_and_close(on_loop, scenario()) == [(7, "x")]


class Shouted(TypeDecorator[str]):
    """A type whose values SQLAlchemy converts on the way out."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str:
        return str(value).upper()


@pytest.mark.parametrize(
    "statement",
    [
        select(Table("notes", MetaData(), Column("text", Shouted)).c.text),
        select(literal({"a": 1}, JSON)),  # JSON is encoded by SQLAlchemy, not the driver
    ],
    ids=["a column read", "a value sent"],
)
def test_a_statement_whose_values_sqlalchemy_converts_is_refused(
    store: Store, statement: Select[Any]
) -> None:
    """Such a statement needs a session: the driver would hand back or send the
    unconverted value."""
    on_loop = on_loop_of(store)

    async def scenario() -> None:
        await on_loop.fetch_all(statement)

    with pytest.raises(TypeError, match="needs SQLAlchemy's conversion"):
        run_and_close(on_loop, scenario())


def test_a_transaction_commits_what_its_work_did_and_rolls_back_on_an_error(
    store: Store,
) -> None:
    on_loop = on_loop_of(store)
    attempts: list[str] = []

    async def failing(transaction: InTransaction) -> None:
        await adding_clinic("y", attempts)(transaction)
        raise RuntimeError("stop")

    async def scenario() -> int:
        counted = await on_loop.in_transaction(adding_clinic("x", attempts))
        with pytest.raises(RuntimeError, match="stop"):
            await on_loop.in_transaction(failing)
        return counted

    assert run_and_close(on_loop, scenario()) == 1  # its own insert, seen in its transaction
    assert attempts == ["x", "y"]
    assert clinics(store) == ["x"]


def test_a_transaction_on_a_closed_connection_runs_once_more_on_a_new_one(store: Store) -> None:
    """The loss shows when the transaction begins or at its first statement, before its
    work is done or during it: either way its commit was not sent, and it runs again."""
    on_loop = on_loop_of(store)
    attempts: list[str] = []

    async def scenario() -> None:
        await warm(on_loop, 4)
        close_the_servers_connections(store)
        assert await on_loop.in_transaction(adding_clinic("x", attempts)) == 1
        # the pool replaced every closed connection it held: no second retry
        assert await on_loop.in_transaction(adding_clinic("y", attempts)) == 2

    run_and_close(on_loop, scenario())
    assert attempts[-1] == "y" and attempts.count("y") == 1
    assert clinics(store) == ["x", "y"]


def test_a_transaction_that_fails_for_another_reason_runs_once(store: Store) -> None:
    on_loop = on_loop_of(store)
    attempts: list[str] = []

    async def scenario() -> None:
        await on_loop.in_transaction(adding_clinic("x", attempts))
        with pytest.raises(psycopg.errors.UniqueViolation):
            await on_loop.in_transaction(adding_clinic("x", attempts))

    run_and_close(on_loop, scenario())
    assert attempts == ["x", "x"]
    assert clinics(store) == ["x"]


def test_a_read_on_a_closed_connection_runs_once_more_on_a_new_one(store: Store) -> None:
    on_loop = on_loop_of(store)

    async def scenario() -> list[list[tuple[Any, ...]]]:
        await warm(on_loop, 4)
        close_the_servers_connections(store)
        return [await on_loop.fetch_all(COUNT_CLINICS) for _ in range(3)]

    assert run_and_close(on_loop, scenario()) == [[(0,)]] * 3


def test_the_pool_belongs_to_the_loop_that_opened_it(store: Store) -> None:
    """Its connections wait on that loop; another loop gets a new pool once it is closed."""
    on_loop = on_loop_of(store)

    async def read() -> list[tuple[Any, ...]]:
        return await on_loop.fetch_all(COUNT_CLINICS)

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(read()) == [(0,)]
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(read())
        loop.run_until_complete(on_loop.close())
    finally:
        loop.close()
    assert run_and_close(on_loop, read()) == [(0,)]


def test_an_audit_entry_that_gets_no_connection_in_time_says_the_database_is_unavailable(
    tmp_path: Path,
) -> None:
    """Every connection of the loop's pool busy beyond the wait: the entry's batch is not
    written, and its caller is told the database is unavailable (503 at the API), not
    a bare failure; once connections are free the next entry is written."""
    url = fresh_database("postgresql", tmp_path)
    store = open_store(
        Settings(data_dir=tmp_path, database_url=url, server_threads=1, database_wait_seconds=0.3)
    )
    on_loop = on_loop_of(store)
    appends = AuditAppends(store)
    now = datetime.now(UTC)
    call = Call(Actor(1, "pharm@a.test", "pharmacist", "clinic-a"), "req-1", now.date(), now)

    async def scenario() -> None:
        await on_loop.open()
        await warm(on_loop, on_loop.size)
        holding = [
            asyncio.create_task(on_loop.fetch_all(select(func.pg_sleep(1.5))))
            for _ in range(on_loop.size)
        ]
        await asyncio.sleep(0.2)  # each holds a connection
        with pytest.raises(DatabaseUnavailable, match=r"within 0\.3 s"):
            await appends.append_async(call, "prescription.verify", patient_id=None)
        await asyncio.gather(*holding)
        await appends.append_async(call, "prescription.verify", patient_id=None)

    try:
        run_and_close(on_loop, scenario())
        with store.reading() as session:
            report = verify_chain(session)
        assert (report.entries, report.intact) == (1, True)
    finally:
        store.close()
