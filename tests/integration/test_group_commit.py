"""Group commit: a thread alone is written at once; threads that arrive during a write
share the next one; a failed batch fails every item in it, and only those."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from isocourse.store.group_commit import GroupCommit, NotWritten

WAIT = 30  # seconds: a generous bound, only reached when the code under test hangs


class Writes:
    """A ``write`` that records its batches; the first can be held until released."""

    def __init__(self, *, hold_first: bool = False, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()
        self.hold_first = hold_first
        self.fail_on = fail_on

    def __call__(self, batch: list[str]) -> None:
        first = not self.batches and not self.first_started.is_set()
        self.first_started.set()
        if first and self.hold_first:
            assert self.release.wait(WAIT)
        if self.fail_on in batch:
            raise OSError(f"disk full while writing {self.fail_on}")
        self.batches.append(list(batch))


Outcomes = dict[str, BaseException | None]  # what each item's submit raised (None: returned)


def recording(submit: Callable[[str], None], outcomes: Outcomes) -> Callable[[str], None]:
    def one(item: str) -> None:
        try:
            submit(item)
            outcomes[item] = None
        except BaseException as error:
            outcomes[item] = error

    return one


def queued_one_at_a_time(
    group: GroupCommit[str], items: list[str], outcomes: Outcomes
) -> list[threading.Thread]:
    """Each item submitted from its own thread, the next only once the last is queued
    (so the arrival order is known)."""
    threads = []
    for item in items:
        threads.append(threading.Thread(target=recording(group.submit, outcomes), args=(item,)))
        threads[-1].start()
        queued = len(threads)
        deadline = time.monotonic() + WAIT
        while group.waiting() != queued:
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.005)
    return threads


def writing_first(group: GroupCommit[str], writes: Writes) -> threading.Thread:
    """A thread that submits "first" and is now inside its write (held: ``hold_first``)."""
    first = threading.Thread(target=group.submit, args=("first",))
    first.start()
    assert writes.first_started.wait(WAIT)
    return first


def joined(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a submit never returned"


def test_a_thread_alone_is_written_at_once_in_a_batch_of_its_own() -> None:
    writes = Writes()
    group = GroupCommit(writes)
    group.submit("a")
    group.submit("b")
    assert writes.batches == [["a"], ["b"]]
    assert group.waiting() == 0


def test_threads_arriving_during_a_write_share_the_next_one_in_arrival_order() -> None:
    writes = Writes(hold_first=True)
    group = GroupCommit(writes)
    first = writing_first(group, writes)
    later = [f"r{number}" for number in range(8)]
    outcomes: Outcomes = {}
    arrivals = queued_one_at_a_time(group, later, outcomes)
    writes.release.set()
    joined([first, *arrivals])
    assert writes.batches == [["first"], later]
    assert outcomes == dict.fromkeys(later)  # every submit returned, after its commit
    assert group.waiting() == 0


def test_a_failed_batch_fails_every_item_in_it_and_the_next_batch_is_written() -> None:
    writes = Writes(hold_first=True, fail_on="bad")
    group = GroupCommit(writes)
    first = writing_first(group, writes)
    outcomes: Outcomes = {}
    batch = ["x", "bad", "y"]
    threads = queued_one_at_a_time(group, batch, outcomes)
    writes.release.set()
    joined([first, *threads])
    assert writes.batches == [["first"]]  # the failed batch recorded nothing
    assert set(outcomes) == set(batch)
    for item in batch:
        error = outcomes[item]
        assert isinstance(error, (NotWritten, OSError)), (item, error)
        cause = error if isinstance(error, OSError) else error.__cause__
        assert isinstance(cause, OSError) and "disk full while writing bad" in str(cause)
    # exactly one thread wrote the failed batch and raised the original error itself
    assert sum(isinstance(outcomes[item], OSError) for item in batch) == 1
    group.submit("after")
    assert writes.batches == [["first"], ["after"]]


def test_many_threads_each_return_only_once_their_item_is_written() -> None:
    written: set[str] = set()
    lock = threading.Lock()

    def write(batch: list[str]) -> None:
        time.sleep(0.002)  # a commit's fsync: others arrive meanwhile
        with lock:
            written.update(batch)

    group = GroupCommit(write)
    seen_written: dict[str, bool] = {}

    def submit_and_look(item: str) -> None:
        group.submit(item)
        with lock:
            seen_written[item] = item in written

    items = [f"item-{number}" for number in range(60)]
    outcomes: Outcomes = {}
    threads = [
        threading.Thread(target=recording(submit_and_look, outcomes), args=(item,))
        for item in items
    ]
    for thread in threads:
        thread.start()
    joined(threads)
    assert outcomes == dict.fromkeys(items)
    assert written == set(items)
    assert seen_written == dict.fromkeys(items, True)


def test_a_write_that_raises_keyboard_interrupt_still_settles_its_batch() -> None:
    def write(batch: list[str]) -> None:
        raise KeyboardInterrupt

    group = GroupCommit(write)
    with pytest.raises(KeyboardInterrupt):
        group.submit("a")
    assert group.waiting() == 0


# --- submit_async: a caller on an event loop, which the write does not block ---------


def test_a_coroutine_alone_returns_once_its_item_is_written_off_the_loop() -> None:
    writers: list[str] = []

    def write(batch: list[str]) -> None:
        writers.append(threading.current_thread().name)
        time.sleep(0.05)  # a commit's fsync
        written.extend(batch)

    written: list[str] = []
    group = GroupCommit(write)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    async def scenario() -> None:
        ticker = asyncio.create_task(ticking())
        await group.submit_async("a")
        assert written == ["a"]  # returned only after the commit
        ticker.cancel()

    asyncio.run(scenario())
    assert ticks >= 5  # the loop went on running while the write slept
    assert writers and writers[0] != threading.main_thread().name
    assert group.waiting() == 0


def test_coroutines_and_threads_arriving_during_a_write_share_the_next_one() -> None:
    writes = Writes(hold_first=True)
    group = GroupCommit(writes)
    first = writing_first(group, writes)
    outcomes: Outcomes = {}
    threads = queued_one_at_a_time(group, ["t1"], outcomes)

    async def scenario() -> None:
        waiting = [asyncio.create_task(group.submit_async(item)) for item in ("c1", "c2")]
        while group.waiting() != 3:  # t1, c1 and c2 queued behind the held write
            await asyncio.sleep(0.005)
        writes.release.set()
        await asyncio.wait_for(asyncio.gather(*waiting), WAIT)

    asyncio.run(scenario())
    joined([first, *threads])
    assert writes.batches == [["first"], ["t1", "c1", "c2"]]
    assert outcomes == {"t1": None}
    assert group.waiting() == 0


def test_a_coroutine_whose_batch_fails_gets_not_written_and_the_next_batch_is_written() -> None:
    writes = Writes(fail_on="bad")
    group = GroupCommit(writes)

    async def scenario() -> None:
        with pytest.raises(NotWritten, match="disk full while writing bad") as raised:
            await group.submit_async("bad")
        assert isinstance(raised.value.__cause__, OSError)
        await group.submit_async("after")

    asyncio.run(scenario())
    assert writes.batches == [["after"]]


def test_a_cancelled_coroutine_s_item_is_still_written() -> None:
    writes = Writes(hold_first=True)
    group = GroupCommit(writes)

    async def scenario() -> None:
        waiter = asyncio.create_task(group.submit_async("a"))
        while not writes.first_started.is_set():
            await asyncio.sleep(0.005)
        waiter.cancel()  # the client went away while its entry was being committed
        with pytest.raises(asyncio.CancelledError):
            await waiter
        writes.release.set()
        await group.submit_async("b")  # the writer thread is free again

    asyncio.run(scenario())
    assert writes.batches == [["a"], ["b"]]


# --- submit_async with try_write: one turn of the loop, written on the loop if it can --


class TryWrites:
    """A ``try_write`` that writes (recording the thread) unless told the lock is busy."""

    def __init__(self, *, busy: bool = False, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.threads: list[str] = []
        self.busy = busy
        self.fail = fail

    def __call__(self, batch: list[str]) -> bool:
        if self.busy:
            return False
        if self.fail:
            raise OSError("disk full")
        self.threads.append(threading.current_thread().name)
        self.batches.append(list(batch))
        return True


def test_a_turn_s_coroutines_are_written_together_on_the_loop_when_the_lock_is_free() -> None:
    writes, now = Writes(), TryWrites()
    group = GroupCommit(writes, now)

    async def scenario() -> None:
        await asyncio.gather(*(group.submit_async(item) for item in ("a", "b", "c")))
        await group.submit_async("d")  # a later turn: a transaction of its own

    asyncio.run(scenario())
    assert now.batches == [["a", "b", "c"], ["d"]]
    assert now.threads == [threading.current_thread().name] * 2  # the loop's thread
    assert writes.batches == []  # the writer thread wrote nothing


def test_a_turn_whose_write_would_wait_goes_to_the_writer_thread() -> None:
    writes, now = Writes(), TryWrites(busy=True)
    threads: list[str] = []

    def write(batch: list[str]) -> None:
        threads.append(threading.current_thread().name)
        writes(batch)

    group = GroupCommit(write, now)

    async def scenario() -> None:
        await asyncio.gather(*(group.submit_async(item) for item in ("a", "b")))

    asyncio.run(scenario())
    assert writes.batches == [["a", "b"]]
    assert threads[0].startswith("group-commit")


def test_while_a_thread_of_the_process_writes_the_loop_does_not_try_and_does_not_wait() -> None:
    writes, now = Writes(hold_first=True), TryWrites()
    group = GroupCommit(writes, now)
    first = writing_first(group, writes)
    ticks = 0

    async def scenario() -> None:
        nonlocal ticks
        waiter = asyncio.create_task(group.submit_async("c"))
        for _ in range(20):  # the loop keeps turning while the thread's write is held
            await asyncio.sleep(0.001)
            ticks += 1
        assert not waiter.done()
        writes.release.set()
        await asyncio.wait_for(waiter, WAIT)

    asyncio.run(scenario())
    joined([first])
    assert ticks == 20
    assert now.batches == []  # the lock was taken: never tried on the loop
    assert writes.batches == [["first"], ["c"]]


def test_a_turn_whose_write_fails_on_the_loop_fails_each_of_its_coroutines() -> None:
    writes, now = Writes(), TryWrites(fail=True)
    group = GroupCommit(writes, now)
    outcomes: list[BaseException | None] = []

    async def one(item: str) -> None:
        try:
            await group.submit_async(item)
            outcomes.append(None)
        except NotWritten as error:
            outcomes.append(error.__cause__)

    async def scenario() -> None:
        await asyncio.gather(one("a"), one("b"))

    asyncio.run(scenario())
    assert [type(outcome) for outcome in outcomes] == [OSError, OSError]
    assert writes.batches == []


class AwaitedWrites:
    """A ``write_async`` that records its batches; the first waits until released."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.first_started = asyncio.Event()
        self.release = asyncio.Event()
        self.fail_on = fail_on

    async def __call__(self, batch: list[str]) -> None:
        if not self.first_started.is_set():
            self.first_started.set()
            await self.release.wait()
        if self.fail_on in batch:
            raise OSError(f"disk full while writing {self.fail_on}")
        self.batches.append(list(batch))


def not_on_a_thread(batch: list[str]) -> None:
    raise AssertionError(f"written by a thread: {batch}")


async def outcome(submitted: asyncio.Task[None]) -> BaseException | None:
    try:
        await submitted
    except BaseException as error:
        return error
    return None


def test_awaited_items_submitted_during_a_write_form_the_next_batch_on_the_loop() -> None:
    writes = AwaitedWrites()
    group = GroupCommit(not_on_a_thread, write_async=writes)

    async def scenario() -> None:
        first = asyncio.create_task(group.submit_async("first"))
        await asyncio.wait_for(writes.first_started.wait(), WAIT)
        later = [asyncio.create_task(group.submit_async(item)) for item in ("a", "b", "c")]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in [first, *later])  # none before its commit
        writes.release.set()
        await asyncio.wait_for(asyncio.gather(first, *later), WAIT)
        await group.submit_async("alone")  # nothing being written: a batch of its own

    asyncio.run(scenario())
    assert writes.batches == [["first"], ["a", "b", "c"], ["alone"]]


def test_an_awaited_batch_that_fails_fails_its_items_only() -> None:
    writes = AwaitedWrites(fail_on="b")
    group = GroupCommit(not_on_a_thread, write_async=writes)

    async def scenario() -> dict[str, BaseException | None]:
        first = asyncio.create_task(group.submit_async("first"))
        await asyncio.wait_for(writes.first_started.wait(), WAIT)
        later = {item: asyncio.create_task(group.submit_async(item)) for item in ("a", "b")}
        await asyncio.sleep(0.01)
        writes.release.set()
        results = {"first": await outcome(first)}
        results |= {item: await outcome(task) for item, task in later.items()}
        results["after"] = await outcome(asyncio.create_task(group.submit_async("after")))
        return results

    results = asyncio.run(scenario())
    assert results["first"] is None and results["after"] is None
    for item in ("a", "b"):
        assert isinstance(results[item], NotWritten), results[item]
        assert "disk full while writing b" in str(results[item])
    assert writes.batches == [["first"], ["after"]]


def test_awaited_items_are_answered_if_their_writer_is_cancelled() -> None:
    writes = AwaitedWrites()
    group = GroupCommit(not_on_a_thread, write_async=writes)

    async def scenario() -> list[BaseException | None]:
        first = asyncio.create_task(group.submit_async("first"))
        await asyncio.wait_for(writes.first_started.wait(), WAIT)
        queued = asyncio.create_task(group.submit_async("queued"))
        await asyncio.sleep(0.01)
        writers = [task for task in asyncio.all_tasks() if "_write_awaited" in repr(task)]
        assert len(writers) == 1
        writers[0].cancel()
        return [await asyncio.wait_for(outcome(task), WAIT) for task in (first, queued)]

    results = asyncio.run(scenario())
    assert all(isinstance(result, NotWritten) for result in results), results
    assert writes.batches == []
