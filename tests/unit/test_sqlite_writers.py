"""The SQLite writers' queue: re-entrant in a thread, one holder of the file lock across
processes (two instances stand for two processes: each has its own open file), and a
wait that outlasts the timeout goes on to SQLite's own lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from isocourse.store.sqlite_writers import SqliteWriters


def test_a_thread_may_enter_again_and_the_file_lock_is_kept_until_it_leaves(
    tmp_path: Path,
) -> None:
    mine = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=5)
    other = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=0.05)
    with mine, mine:
        pass
    with mine:
        with mine:
            pass
        started = time.monotonic()
        with other:  # still held by `mine`: `other` waits its timeout, then goes on
            assert time.monotonic() - started >= 0.05
    mine.close()
    other.close()


def test_a_second_process_waits_until_the_first_leaves(tmp_path: Path) -> None:
    first = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=5)
    second = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=5)
    order: list[str] = []
    entered = threading.Event()

    def later() -> None:
        entered.wait(5)
        with second:
            order.append("second in")

    thread = threading.Thread(target=later)
    thread.start()
    with first:
        entered.set()
        time.sleep(0.1)  # the second waits meanwhile
        order.append("first out")
    thread.join(5)
    assert order == ["first out", "second in"]
    first.close()
    second.close()


def test_an_in_memory_database_queues_only_the_threads(tmp_path: Path) -> None:
    writers = SqliteWriters(None, timeout_seconds=1)
    with writers:
        pass
    assert list(tmp_path.iterdir()) == []
    writers.close()
