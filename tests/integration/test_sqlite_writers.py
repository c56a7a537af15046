"""The SQLite writers' queue: re-entrant in a thread, one holder of the file lock across
processes (two instances stand for two processes: each has its own open file), and a
wait that outlasts the timeout goes on to SQLite's own lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

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


def test_enter_now_enters_a_free_lock_and_never_waits_for_a_held_one(tmp_path: Path) -> None:
    mine = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=5)
    other_process = SqliteWriters(tmp_path / "db.sqlite3", timeout_seconds=5)
    assert mine.enter_now()
    assert mine.enter_now()  # re-entrant in its thread
    assert not other_process.enter_now()  # the file lock is held
    from_another_thread: list[bool] = []
    thread = threading.Thread(target=lambda: from_another_thread.append(mine.enter_now()))
    thread.start()
    thread.join(5)
    assert from_another_thread == [False]  # the thread lock is held
    mine.__exit__(None, None, None)
    assert not other_process.enter_now()  # entered twice: still held once
    mine.__exit__(None, None, None)
    assert other_process.enter_now()  # free now
    other_process.__exit__(None, None, None)
    with mine:  # and the waiting entry still works after a refused one
        pass
    mine.close()
    other_process.close()


def test_enter_now_that_cannot_open_the_lock_file_leaves_the_queue_free(tmp_path: Path) -> None:
    folder = tmp_path / "not yet"
    writers = SqliteWriters(folder / "db.sqlite3", timeout_seconds=5)
    with pytest.raises(FileNotFoundError):
        writers.enter_now()
    folder.mkdir()
    entered: list[bool] = []

    def enter_and_leave() -> None:
        entered.append(writers.enter_now())
        if entered[-1]:
            writers.__exit__(None, None, None)

    other = threading.Thread(target=enter_and_leave)
    other.start()
    other.join(5)
    writers.close()
    assert entered == [True]  # the failed try left no thread lock held
