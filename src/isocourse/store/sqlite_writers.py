"""The queue SQLite writers wait in before ``BEGIN IMMEDIATE``.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
between tries, up to 100 ms a sleep, so a writer can wait long after the lock came free
(the long tail under load). Writers of one process therefore wait on a thread lock, each
woken the moment the one before it is done; and the processes sharing a database file
(``isocourse serve --workers N``, the CLI) then wait on an OS lock on a file beside it
(``<database>.writers``), tried every millisecond. The file lock only shortens the wait:
SQLite's own lock still decides, so a writer that waited longer than SQLite's busy timeout
goes on to meet it (and its timeout) as before.
"""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

_POLL_SECONDS = 0.001


class SqliteWriters:
    """A re-entrant context manager: this thread may write once it is entered."""

    def __init__(self, database: Path | None, *, timeout_seconds: float) -> None:
        """``database``: the SQLite file (None: in memory, only this process's queue)."""
        self._threads = threading.RLock()
        self._lock_path = (
            None if database is None else database.with_name(database.name + ".writers")
        )
        self._timeout = timeout_seconds
        self._file: IO[bytes] | None = None
        self._depth = 0  # entries of the thread holding `_threads`
        self._holds_file = False

    def __enter__(self) -> SqliteWriters:
        self._threads.acquire()
        try:
            if self._depth == 0:
                self._holds_file = self._lock_file()
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        return self

    def enter_now(self) -> bool:
        """Enter only if that needs no wait: no thread of this process and no other
        process holds the lock. True: entered (leave with ``__exit__``)."""
        if not self._threads.acquire(blocking=False):
            return False
        if self._depth == 0:
            try:
                locked = self._lock_file_now()
            except BaseException:
                self._threads.release()
                raise
            if not locked:
                self._threads.release()
                return False
            self._holds_file = self._lock_path is not None
        self._depth += 1
        return True

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._holds_file and self._file is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
                self._holds_file = False
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _lock_file_now(self) -> bool:
        """One try for the other processes' lock (no file: nothing to wait for)."""
        if self._lock_path is None:
            return True
        if self._file is None:
            self._file = self._lock_path.open("ab")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock_file(self) -> bool:
        """Wait for the other processes' writers; False if there is no file or the wait
        outlasted the timeout (then SQLite's own lock decides)."""
        if self._lock_path is None:
            return False
        deadline = time.monotonic() + self._timeout
        while not self._lock_file_now():
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)
        return True
