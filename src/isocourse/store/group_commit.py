"""Group commit: what concurrent callers submit is written together, one transaction per batch.

A thread that submits an item waits until the item is committed (or raises if it was
not). Whoever finds no batch being written writes everything waiting, its own item
and those of the threads that queued meanwhile, with one call of ``write`` (one
transaction, one commit, one fsync); the others only wait for that commit. Alone, a
thread writes its own item at once: nothing is delayed to make batches, they form
only while a write is under way.

A coroutine (:meth:`GroupCommit.submit_async`) waits without blocking its event loop.
The items submitted during one turn of the loop are written together at the end of
that turn: on the loop itself by ``try_write`` when the write can start at once (no
thread of this process writing, the lock free), otherwise by one writer thread. On the
loop no thread takes Python's interpreter lock away between the two. Given
``write_async`` (a database reached through an asyncio driver), the coroutines' items
are written on the loop instead, awaited: one batch at a time, the items submitted
while it is written forming the next. A group commit serves coroutines of one event
loop at a time (a server process has one).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class NotWritten(RuntimeError):
    """The batch holding this item failed; the item was not committed."""


@dataclass
class _Waiting(Generic[T]):
    item: T
    settled: bool = False
    error: BaseException | None = None
    on_settled: Callable[[], None] | None = None


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], None],
        try_write: Callable[[list[T]], bool] | None = None,
        write_async: Callable[[list[T]], Awaitable[None]] | None = None,
    ) -> None:
        """``write`` commits a batch of items in one transaction, or raises (none
        committed). ``try_write`` does the same only if it can start without waiting,
        and returns False (nothing written) if it would have to wait. ``write_async``
        does what ``write`` does, awaited on the loop; given, it writes every item
        submitted by a coroutine."""
        self._write = write
        self._try_write = try_write
        self._write_async = write_async
        self._awaited: list[_Waiting[T]] = []  # for write_async, not yet in a batch
        self._awaited_writer: asyncio.Task[None] | None = None
        self._this_turn: list[_Waiting[T]] = []  # submitted on the loop, not yet written
        self._queue: list[_Waiting[T]] = []
        self._queue_lock = threading.Lock()
        self._writing = threading.Lock()  # one batch at a time
        self._draining = False  # a drain of the queue is scheduled on the writer thread
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")

    def submit(self, item: T) -> None:
        """Return once ``item`` is committed; raise if its batch failed."""
        waiting = _Waiting(item)
        with self._queue_lock:
            self._queue.append(waiting)
        with self._writing:
            # an unsettled item is still queued: whoever holds the lock takes them all
            if not waiting.settled:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write_batch(batch)  # on failure, raises the original error here
        if waiting.error is not None:
            raise NotWritten(f"not written: {waiting.error}") from waiting.error

    async def submit_async(self, item: T) -> None:
        """Return once ``item`` is committed; raise if its batch failed. The loop never
        blocks on a lock: with ``write_async`` the write is awaited; otherwise a write
        that cannot start at once goes to the writer thread."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        waiting = _Waiting(item, on_settled=lambda: _settle_soon(loop, committed))
        if self._write_async is not None:
            self._awaited.append(waiting)
            if self._awaited_writer is None:
                self._awaited_writer = loop.create_task(self._write_awaited_batches())
        elif self._try_write is None:
            self._to_writer_thread([waiting])
        else:
            if not self._this_turn:  # the first of this turn: write at its end
                loop.call_soon(self._write_this_turn)
            self._this_turn.append(waiting)
        await committed
        if waiting.error is not None:
            raise NotWritten(f"not written: {waiting.error}") from waiting.error

    async def _write_awaited_batches(self) -> None:
        """Write the coroutines' items with ``write_async``, a batch at a time, until
        none is left (errors are settled on their items)."""
        assert self._write_async is not None
        batch: list[_Waiting[T]] = []
        try:
            while self._awaited:
                batch, self._awaited = self._awaited, []
                try:
                    await self._write_async([waiting.item for waiting in batch])
                except Exception as error:
                    _settle(batch, error)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException as error:  # cancelled: nobody is left unanswered
            batch, self._awaited = batch + self._awaited, []
            _settle(batch, error)
            raise
        finally:
            self._awaited_writer = None

    def _write_this_turn(self) -> None:
        batch, self._this_turn = self._this_turn, []
        if self._writing.acquire(blocking=False):  # no thread of this process is writing
            try:
                if self._try_batch(batch):
                    return
            finally:
                self._writing.release()
        self._to_writer_thread(batch)

    def _try_batch(self, batch: list[_Waiting[T]]) -> bool:
        """Write ``batch`` now if that needs no wait; False: untouched, still to write."""
        assert self._try_write is not None
        try:
            written = self._try_write([waiting.item for waiting in batch])
        except Exception as error:  # settled on every item: each caller raises NotWritten
            _settle(batch, error)
            return True
        if written:
            _settle(batch, None)
        return written

    def _to_writer_thread(self, batch: list[_Waiting[T]]) -> None:
        with self._queue_lock:
            self._queue.extend(batch)
            start, self._draining = not self._draining, True
        if start:
            self._writer.submit(self._drain)

    def _drain(self) -> None:
        """Write batches until the queue is empty (errors are settled on their items)."""
        while True:
            with self._writing:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                    if not batch:
                        self._draining = False
                        return
                with contextlib.suppress(BaseException):  # each item of the batch has the error
                    self._write_batch(batch)

    def waiting(self) -> int:
        """How many submitted items wait for a batch to take them."""
        with self._queue_lock:
            return len(self._queue)

    def _write_batch(self, batch: list[_Waiting[T]]) -> None:
        try:
            self._write([waiting.item for waiting in batch])
        except BaseException as error:
            _settle(batch, error)
            raise
        _settle(batch, None)


def _settle(batch: list[_Waiting[T]], error: BaseException | None) -> None:
    for waiting in batch:
        waiting.error = error
        waiting.settled = True
        if waiting.on_settled is not None:
            waiting.on_settled()


def _settle_soon(loop: asyncio.AbstractEventLoop, committed: asyncio.Future[None]) -> None:
    def settle() -> None:
        if not committed.done():  # a cancelled waiter's item is still written
            committed.set_result(None)

    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:  # a thread with no loop: the writer thread
        on_loop = False
    if on_loop:
        settle()
        return
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(settle)
