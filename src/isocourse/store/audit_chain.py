"""The audit chain as stored: its head, locked while appending, the entries appended after
it, and the reads the chain's checks walk. Building and hashing the entries is the
service's (:mod:`isocourse.service.audit`); it hands this module a :data:`Chain`, which
turns the head's last link into the rows to append after it.

The head is locked first in every unit of work (:func:`lock_head`), so concurrent writers
never fork the chain. The statements are built once, here, at import: they run in every
unit of work and every audit batch. Entries are inserted in Core (no ORM flush per entry),
all of a batch in one statement.

A batch of entries that is a transaction of its own is written one of three ways (the
group commit picks): :func:`append_committed` (waits for the write lock),
:func:`append_now` (SQLite, on the event loop: only if the lock is free at once) and
:func:`append_awaited` (PostgreSQL, on the event loop through :class:`OnLoop`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Result, ScalarResult, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from isocourse.store.event_log import DIGESTED_COLUMNS
from isocourse.store.tables import AuditEntryRow, AuditHeadRow, EventRow

if TYPE_CHECKING:
    from isocourse.store.database import InTransaction, OnLoop, Store

#: the rows (each a mapping of ``audit_entries``' columns) to append after the head at
#: ``(last_id, last_hash)``: at least one, each chained to the one before it
Chain = Callable[[int, str], Sequence[dict[str, Any]]]

_HELD_HEAD = "isocourse_audit_head"  # session.info: (transaction, the head it locked)
_ENTRIES = cast(Table, AuditEntryRow.__table__)
_HEAD = cast(Table, AuditHeadRow.__table__)
_LOCK_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD_TO = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=bindparam("to_id"), last_hash=bindparam("to_hash"))
)
# an entry, every value bound by its column's name (OnLoop compiles it once)
_INSERT_ENTRY = insert(_ENTRIES).values(
    {column.name: bindparam(column.name) for column in _ENTRIES.c}
)
_ENTRIES_IN_ORDER = select(AuditEntryRow).order_by(AuditEntryRow.id)
_ENTRY_COUNT = select(func.count()).select_from(AuditEntryRow)
_ENTRY_HASH = select(AuditEntryRow.hash).where(AuditEntryRow.id == bindparam("entry_id"))
_HIGHEST_SEQUENCE = select(func.max(EventRow.sequence))
_EVENT_LISTS = (
    select(AuditEntryRow.id, AuditEntryRow.patient_id, AuditEntryRow.event_digests)
    .order_by(AuditEntryRow.id)
    .execution_options(yield_per=2000)
)
_DIGESTED = select(*(getattr(EventRow, name) for name in DIGESTED_COLUMNS))
_EVENTS_IN_ORDER = (
    select(EventRow.sequence, EventRow.id, EventRow.patient_id, EventRow.kind)
    .order_by(EventRow.sequence)
    .execution_options(yield_per=5000)
)
_NO_HEAD = "the audit chain has no head row: run `isocourse db upgrade`"


@dataclass
class Head:
    """The chain's last link as locked by a transaction (moved on as it appends)."""

    last_id: int
    last_hash: str


def lock_head(session: Session) -> Head:
    """The chain's head, locked until the session's transaction ends (once per transaction;
    read and written in Core: this runs in every unit of work and every audit batch)."""
    transaction = session.get_transaction()
    held = session.info.get(_HELD_HEAD)
    if held is not None and held[0] is transaction:
        head: Head = held[1]
        return head
    found = session.connection().execute(_LOCK_HEAD).one_or_none()
    if found is None:
        raise RuntimeError(_NO_HEAD)
    head = Head(*found)
    session.info[_HELD_HEAD] = (transaction, head)
    return head


def append(session: Session, chain: Chain) -> None:
    """In the session's transaction: lock the head, insert the rows ``chain`` builds after
    it (one statement) and move the head past them; the held head moves only once both
    statements have run."""
    if session.in_nested_transaction():
        # A savepoint rolled back after this would undo the rows but not the held head.
        raise RuntimeError("audit entries are appended outside savepoints")
    head = lock_head(session)
    rows = chain(head.last_id, head.last_hash)
    last_id, last_hash = rows[-1]["id"], rows[-1]["hash"]
    connection = session.connection()
    connection.execute(_INSERT_ENTRY, rows)
    connection.execute(_MOVE_HEAD_TO, {"to_id": last_id, "to_hash": last_hash})
    head.last_id, head.last_hash = last_id, last_hash


def append_committed(store: Store, chain: Chain) -> None:
    """:func:`append` in a transaction of its own, committed (waits for the write lock)."""
    with store.transaction() as session:
        append(session, chain)


def append_now(store: Store, chain: Chain) -> bool:
    """:func:`append_committed` if the write lock is free at once (SQLite, on the event
    loop); False, nothing written, if another writer holds it."""
    with store.transaction_now() as session:
        if session is None:
            return False
        append(session, chain)
    return True


async def append_awaited(on_loop: OnLoop, chain: Chain) -> None:
    """:func:`append_committed` on the event loop through the asyncio driver (PostgreSQL),
    each round trip awaited."""

    async def appended(transaction: InTransaction) -> None:
        # two round trips: BEGIN with the head's lock, then the rows, the head
        # moved past them and the COMMIT (pipelined)
        found = await transaction.fetch_one(_LOCK_HEAD)
        if found is None:
            raise RuntimeError(_NO_HEAD)
        rows = chain(*found)
        await transaction.execute_many(_INSERT_ENTRY, rows)
        await transaction.execute(
            _MOVE_HEAD_TO, {"to_id": rows[-1]["id"], "to_hash": rows[-1]["hash"]}
        )

    await on_loop.in_transaction(appended)


def entries_in_order(session: Session) -> ScalarResult[AuditEntryRow]:
    """Every entry, in the chain's order."""
    return session.scalars(_ENTRIES_IN_ORDER)


def stored_head(session: Session) -> Head | None:
    """The head row's last link as stored (not locked); None: there is no head row."""
    head = session.get(AuditHeadRow, 1)
    return None if head is None else Head(head.last_id, head.last_hash)


@dataclass(frozen=True)
class TrailHead:
    """The trail's end as stored: the entries it holds and the head row's last link."""

    entries: int
    last_id: int
    last_hash: str


def trail_head(session: Session) -> TrailHead:
    head = session.get(AuditHeadRow, 1)
    if head is None:
        raise RuntimeError(_NO_HEAD)
    count = session.scalar(_ENTRY_COUNT) or 0
    return TrailHead(count, head.last_id, head.last_hash)


def stored_entry_hash(session: Session, entry_id: int) -> str | None:
    """The hash stored with entry ``entry_id`` (None: there is no such entry)."""
    return session.scalar(_ENTRY_HASH, {"entry_id": entry_id})


def highest_event_sequence(session: Session) -> int:
    """The highest sequence of a stored event (0: there is none)."""
    return session.scalar(_HIGHEST_SEQUENCE) or 0


def event_lists(session: Session) -> Result[int, str | None, str | None]:
    """Each entry's id, patient and ``event_digests`` (None: written before digests), in
    the chain's order, streamed."""
    return session.execute(_EVENT_LISTS)


def digested_events(session: Session, event_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored events of ``event_ids`` that exist, by id: each its
    :data:`~isocourse.store.event_log.DIGESTED_COLUMNS` by name (one statement)."""
    query = _DIGESTED.where(EventRow.id.in_(set(event_ids)))
    return {row.id: row._asdict() for row in session.execute(query)}


def events_in_order(session: Session) -> Result[int, str, str, str]:
    """Each stored event's sequence, id, patient and kind, in the log's order, streamed."""
    return session.execute(_EVENTS_IN_ORDER)
