"""Opening the database: engine, sessions, one transaction per use case, migrations.

SQLite runs in WAL mode with foreign keys on, and every transaction begins
``IMMEDIATE`` so that concurrent writers queue instead of failing half-way. A
connection from :func:`reading` begins a plain (deferred) transaction instead: it
only reads, so it neither waits for nor holds up the writers (WAL snapshots); on
PostgreSQL it is a read-only REPEATABLE READ transaction (one snapshot too).

On PostgreSQL the store also opens the database through psycopg's asyncio driver
(:class:`OnLoop`): a path that runs on the server's event loop awaits each round trip
there instead of holding a thread while it waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from isocourse.settings import Settings
from isocourse.store.sqlite_writers import SqliteWriters

_SQLITE_BUSY_MS = 30_000
_READ_ONLY = "isocourse_read_only"
_T = TypeVar("_T")
_Args = ParamSpec("_Args")


@dataclass(frozen=True)
class OnLoop:
    """The database through an asyncio driver (PostgreSQL): sync code run with every
    round trip awaited on the caller's event loop. Its connections belong to the loop
    that opened them: :meth:`close` on that loop before it ends.

    The pool does not check a connection before handing it out (a round trip for every
    use, a third of the verification's). A connection the server has closed (it
    restarted) then fails at its first statement; SQLAlchemy discards it and every
    other connection of the pool opened before, and both methods run their work once
    more on a new connection, which is safe only because nothing was written: a read,
    or a transaction that failed before its commit was sent."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    #: the engine in autocommit: no transaction (see :meth:`read_in_one_statement`)
    statements: AsyncEngine

    async def run_in_transaction(
        self,
        work: Callable[Concatenate[Session, _Args], _T],
        *args: _Args.args,
        **kwargs: _Args.kwargs,
    ) -> _T:
        """``work(session, *args)`` in one transaction, committed if it returns and rolled
        back if it raises."""
        try:
            return await self._in_transaction(True, work, *args, **kwargs)
        except _LostBeforeCommit:
            return await self._in_transaction(False, work, *args, **kwargs)

    async def _in_transaction(
        self,
        retry_if_lost: bool,
        work: Callable[Concatenate[Session, _Args], _T],
        *args: _Args.args,
        **kwargs: _Args.kwargs,
    ) -> _T:
        async with self.sessions.begin() as session:
            try:
                return await session.run_sync(work, *args, **kwargs)
            except DBAPIError as error:  # the commit is sent after this block, on exit
                if retry_if_lost and error.connection_invalidated:
                    raise _LostBeforeCommit from error
                raise

    async def read_in_one_statement(
        self,
        read: Callable[Concatenate[Connection, _Args], _T],
        *args: _Args.args,
        **kwargs: _Args.kwargs,
    ) -> _T:
        """``read(connection, *args)`` outside any transaction: for a read that is one
        statement. A statement reads one snapshot on its own, so it needs no ``BEGIN``
        and no ``COMMIT`` (two round trips fewer). A second statement would read another
        snapshot."""
        try:
            async with self.statements.connect() as connection:
                return await connection.run_sync(read, *args, **kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        async with self.statements.connect() as connection:
            return await connection.run_sync(read, *args, **kwargs)

    async def close(self) -> None:
        await self.engine.dispose()


class _LostBeforeCommit(Exception):
    """The transaction's connection was found closed before its commit was sent."""


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
        _on_loop(engine, connections),
    )


def _on_loop(engine: Engine, connections: int) -> OnLoop | None:
    if engine.dialect.name == "sqlite":
        return None  # a local file, used on the loop as it is (``serves_on_loop``)
    # no overflow: the loop's coroutines, as many as there are requests, queue for the
    # pool's connections (a connection opened for one request and closed after it
    # costs more than the request)
    pool = _postgres_pool(connections, overflow=0, check_each_use=False)
    awaited = create_async_engine(engine.url, **pool)
    return OnLoop(
        awaited,
        async_sessionmaker(awaited, expire_on_commit=False),
        awaited.execution_options(isolation_level="AUTOCOMMIT"),
    )


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
        return create_engine(url, **_postgres_pool(connections, overflow=10))
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _postgres_pool(
    connections: int, *, overflow: int, check_each_use: bool = True
) -> dict[str, Any]:
    """Keep ``connections`` open, open up to ``overflow`` more for a burst (closed on
    return), and (``check_each_use``) check each one before handing it out: a restarted
    server closed it. Without the check, the user of a pool must retry what a closed
    connection failed (:class:`OnLoop`)."""
    return {"pool_pre_ping": check_each_use, "pool_size": connections, "max_overflow": overflow}


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
