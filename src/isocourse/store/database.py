"""Opening the database: engine, sessions, one transaction per use case, migrations.

SQLite runs in WAL mode with foreign keys on, and every transaction begins
``IMMEDIATE`` so that concurrent writers queue instead of failing half-way. A
connection from :func:`reading` begins a plain (deferred) transaction instead: it
only reads, so it neither waits for nor holds up the writers (WAL snapshots); on
PostgreSQL it is a read-only REPEATABLE READ transaction (one snapshot too).

On PostgreSQL the store also opens the database through psycopg's asyncio driver and
its pool (:class:`OnLoop`): a path that runs on the server's event loop awaits each
round trip there instead of holding a thread while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import psycopg
from alembic import command
from alembic.config import Config
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import URL, Dialect, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from isocourse.settings import Settings
from isocourse.store.sqlite_writers import SqliteWriters

_SQLITE_BUSY_MS = 30_000
_READ_ONLY = "isocourse_read_only"
_T = TypeVar("_T")
#: the ``application_name`` of :class:`OnLoop`'s connections
ON_LOOP_APPLICATION = "isocourse-on-loop"


class OnLoop:
    """PostgreSQL through psycopg's asyncio driver and its pool, on the server's event
    loop: every round trip is awaited there, no thread is held while it waits.

    Statements are SQLAlchemy Core statements (the tables stay the one description of
    the schema), compiled once for the dialect and run on the driver's connection as
    they are: SQLAlchemy's execution layer (its pool, a greenlet per use, a result
    object) cost more per verification than the statement did. So only statements
    whose values need no conversion by SQLAlchemy run here (:meth:`_compiled` refuses
    the others).

    The pool is opened on the running loop by :meth:`open` (a server, as it starts) or by
    the first use, and its connections belong to that loop: :meth:`close` on that loop
    before it ends (a later loop opens a new pool).

    The pool does not check a connection before handing it out (a round trip for every
    use). A connection the server has closed (it restarted) fails at its
    first statement; the pool then checks the connections it holds, replacing the
    closed ones, and both methods run their work once more, which is safe only because
    nothing was written: a read, or a transaction that failed before its commit was
    sent."""

    def __init__(
        self, url: URL, dialect: Dialect, connections: int, wait_seconds: float = 5
    ) -> None:
        """``wait_seconds``: how long a use waits for a connection before it raises
        :class:`DatabaseUnavailable` (the pool reconnects in the background meanwhile)."""
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._dialect = dialect
        self._connections = connections
        self._wait_seconds = wait_seconds
        self._pool: AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # compiled once per statement (the callers' are built once), while it exists
        self._statements: WeakKeyDictionary[Executable, _Compiled] = WeakKeyDictionary()

    async def fetch_all(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement, run outside any transaction. A statement reads one
        snapshot on its own, so it needs no ``BEGIN`` and no ``COMMIT`` (two round trips
        fewer); a second statement would read another snapshot."""
        return await self._once_more_if_lost(lambda: self._fetch_all(statement, parameters))

    async def in_transaction(self, work: Callable[[InTransaction], Awaitable[_T]]) -> _T:
        """``await work(transaction)`` in one transaction, committed if it returns and
        rolled back if it raises. The statements are pipelined: the ``BEGIN`` and those
        sent before a result is needed travel in one round trip, the rest and the
        ``COMMIT`` in the next."""
        return await self._once_more_if_lost(lambda: self._in_transaction(work))

    @property
    def size(self) -> int:
        """How many connections the pool keeps (and opens at most)."""
        return self._connections

    def connections_opened(self) -> int:
        """How many connections the pool has opened since it was (re)opened."""
        return 0 if self._pool is None else self._pool.get_stats().get("connections_num", 0)

    async def close(self) -> None:
        """Close the pool's connections (on the loop that opened them)."""
        pool, self._pool, self._loop = self._pool, None, None
        if pool is not None:
            await pool.close()

    async def _fetch_all(
        self, statement: Executable, parameters: Mapping[str, Any] | None
    ) -> list[tuple[Any, ...]]:
        async with self._connection() as connection:
            try:
                cursor = await connection.execute(*self._bound(statement, parameters))
                return await cursor.fetchall()
            except psycopg.OperationalError as error:
                if connection.broken:
                    raise _LostBeforeCommit from error
                raise

    async def _in_transaction(self, work: Callable[[InTransaction], Awaitable[_T]]) -> _T:
        async with self._connection() as connection:
            committing = False
            try:
                # BEGIN and COMMIT as statements of the pipeline: psycopg's transaction
                # block would wait for the server before each (two round trips more)
                async with connection.pipeline():
                    await connection.execute("BEGIN")
                    done = await work(InTransaction(connection, self))
                    await connection.execute("COMMIT")
                    committing = True  # sent, with what is queued before it, as this ends
                return done
            except BaseException as error:
                await _roll_back(connection)
                lost = isinstance(error, psycopg.OperationalError) and connection.broken
                if lost and not committing:
                    raise _LostBeforeCommit from error
                raise

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection of the pool, for the block; :class:`DatabaseUnavailable` if none
        is free within the wait (the database does not answer, or is overwhelmed)."""
        pool = await self._opened()
        try:
            connection = await pool.getconn()
        except PoolTimeout as error:
            raise DatabaseUnavailable(self._wait_seconds) from error
        try:
            yield connection
        finally:
            await pool.putconn(connection)

    async def open(self) -> None:
        """Open the pool on the running loop (a server, as it starts): its connections are
        opened in the background, before the first requests need them. The first use
        opens it otherwise."""
        await self._opened()

    async def _opened(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        if self._pool is None:
            # no overflow: the loop's coroutines, as many as there are requests, queue
            # for the pool's connections (a connection opened for one request and closed
            # after it costs more than the request)
            self._pool = AsyncConnectionPool(
                self._conninfo,
                min_size=self._connections,
                max_size=self._connections,
                # a transaction only where one is begun; named for pg_stat_activity
                kwargs={"autocommit": True, "application_name": ON_LOOP_APPLICATION},
                open=False,
                name=ON_LOOP_APPLICATION,
                timeout=self._wait_seconds,
            )
            self._loop = loop
            await self._pool.open()
        elif self._loop is not loop:
            raise RuntimeError("the pool belongs to another event loop: close it there first")
        return self._pool

    async def _once_more_if_lost(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """``attempt()``, and once more if it found its connection closed before it wrote
        anything, after the pool has replaced the closed connections it holds."""
        try:
            return await attempt()
        except _LostBeforeCommit:
            await (await self._opened()).check()
        return await attempt()

    def _bound(
        self, statement: Executable, parameters: Mapping[str, Any] | None
    ) -> tuple[str, dict[str, Any]]:
        compiled = self._compiled(statement)
        return compiled.sql, compiled.bind(parameters)

    def _compiled(self, statement: Executable) -> _Compiled:
        found = self._statements.get(statement)
        if found is None:
            found = _Compiled.of(statement, self._dialect)
            self._statements[statement] = found
        return found


class InTransaction:
    """The statements of one transaction on :class:`OnLoop`."""

    def __init__(self, connection: psycopg.AsyncConnection[Any], on_loop: OnLoop) -> None:
        self._connection = connection
        self._on_loop = on_loop

    async def fetch_one(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> tuple[Any, ...] | None:
        """The first row (this waits for the statements sent before it, in one round trip)."""
        cursor = await self._connection.execute(*self._on_loop._bound(statement, parameters))
        return await cursor.fetchone()

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> None:
        """Send a statement; its result is not waited for (an error shows at the commit)."""
        await self._connection.execute(*self._on_loop._bound(statement, parameters))

    async def execute_many(self, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._on_loop._compiled(statement)
        async with self._connection.cursor() as cursor:
            await cursor.executemany(compiled.sql, [compiled.bind(row) for row in rows])


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: the values SQLAlchemy bound itself (literals in the statement)
    constants: dict[str, Any]

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect) -> _Compiled:
        """``statement`` compiled for ``dialect`` once. Refused if a value it sends or a
        column it returns needs SQLAlchemy's conversion (the driver's own is used)."""
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        converted = [
            name
            for name, bound in compiled.binds.items()
            if bound.type.dialect_impl(dialect).bind_processor(dialect) is not None
        ]
        converted += [
            column.name
            for column in getattr(statement, "selected_columns", ())
            if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None
        ]
        if converted:
            raise TypeError(f"needs SQLAlchemy's conversion of {converted}: use a session")
        return cls(compiled.string, dict(compiled.params))

    def bind(self, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
        """The statement's values: its constants and the caller's."""
        return {**self.constants, **(parameters or {})}


async def _roll_back(connection: psycopg.AsyncConnection[Any]) -> None:
    """End a transaction that failed (a statement of it, or the work between them)."""
    if connection.broken or connection.info.transaction_status == _IDLE:
        return  # the pool discards a broken connection
    with contextlib.suppress(psycopg.Error):  # lost meanwhile: likewise
        await connection.execute("ROLLBACK")


_IDLE = psycopg.pq.TransactionStatus.IDLE


class DatabaseUnavailable(Exception):
    """No connection to the database within the wait: it does not answer (or is
    overwhelmed). What needed the connection was not done."""

    def __init__(self, waited_seconds: float) -> None:
        super().__init__(f"the database did not answer within {waited_seconds:g} s")
        self.waited_seconds = waited_seconds


class _LostBeforeCommit(Exception):
    """The connection was found closed before the transaction's commit was sent."""


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    #: on SQLite, writers queue here before ``BEGIN IMMEDIATE`` rather than in SQLite's
    #: busy handler, which polls with sleeps of up to 100 ms (the long tail under load):
    #: this process's threads on a lock, the processes on a file lock beside the database
    #: (:class:`~isocourse.store.sqlite_writers.SqliteWriters`)
    writer_queue: AbstractContextManager[object] = field(default_factory=nullcontext)
    #: PostgreSQL: the same database for paths that await it on the event loop
    on_loop: OnLoop | None = None

    @property
    def serves_on_loop(self) -> bool:
        """A short read, and a short write that can start at once, may run on the
        caller's event loop: the database is a local SQLite file (no network round
        trips), whose readers never wait for writers (WAL)."""
        return isinstance(self.writer_queue, SqliteWriters)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.writer_queue, self.sessions.begin() as session:
            yield session

    @contextmanager
    def transaction_now(self) -> Iterator[Session | None]:
        """:meth:`transaction` if it can begin without waiting for another writer
        (SQLite); None if it would have to wait, and always on PostgreSQL."""
        queue = self.writer_queue
        if not isinstance(queue, SqliteWriters) or not queue.enter_now():
            yield None
            return
        try:
            with self.sessions.begin() as session:
                yield session
        finally:
            queue.__exit__(None, None, None)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (on SQLite: a WAL snapshot, no write lock)."""
        with self.read_sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
        if isinstance(self.writer_queue, SqliteWriters):
            self.writer_queue.close()


def open_store(settings: Settings) -> Store:
    connections = _connections_at_once(settings)
    engine = make_engine(settings.sqlalchemy_url(), connections=connections)
    return Store(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(reading(engine), expire_on_commit=False),
        _writer_queue(engine),
        _on_loop(engine, connections, settings),
    )


def _on_loop(engine: Engine, connections: int, settings: Settings) -> OnLoop | None:
    if engine.dialect.name == "sqlite":
        return None  # a local file, used on the loop as it is (``serves_on_loop``)
    return OnLoop(engine.url, engine.dialect, connections, settings.database_wait_seconds)


def _connections_at_once(settings: Settings) -> int:
    """How many connections one process may use at the same time: one per server thread,
    the group commit's writer thread, and the event loop's own."""
    return settings.server_threads + 2


def _writer_queue(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()  # PostgreSQL writers queue on the audit head row
    database = engine.url.database
    file = Path(database) if database and database != ":memory:" else None
    return SqliteWriters(file, timeout_seconds=_SQLITE_BUSY_MS / 1000)


def make_engine(url: str, *, connections: int = 5) -> Engine:
    """``connections``: how many the pool keeps open (PostgreSQL). A pool smaller than the
    threads that use it at once opens a new connection (a new server process) for the
    extra ones and closes it on return, for every request under load."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # keep ``connections`` open, open up to 10 more for a burst (closed on return), and
        # check each one before handing it out: a restarted server closed it
        return create_engine(url, pool_pre_ping=True, pool_size=connections, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """The engine for connections that only read. Each transaction reads one consistent
    snapshot: on SQLite a deferred ``BEGIN`` (WAL snapshot, no write lock taken); on
    PostgreSQL ``REPEATABLE READ, READ ONLY`` (its default, READ COMMITTED, would let
    each statement see what others committed meanwhile)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine.execution_options(**{_READ_ONLY: True})


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (Alembic, packaged migrations)."""
    config = Config()
    config.set_main_option("script_location", str(files("isocourse.store") / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, revision)
