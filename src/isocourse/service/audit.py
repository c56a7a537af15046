"""The audit trail: who did what to which patient's record, when, in which request.

Entries are chained: each one's hash covers its fields and the previous entry's
hash, so a changed, removed or inserted entry breaks the chain at that point.
Appending locks the chain's head row, so concurrent requests never fork it (the
lock is taken first in every unit of work, see :func:`lock_head`). An entry that is
a transaction of its own (a read's audit, after the read) goes through
:class:`AuditAppends`: concurrent ones share one transaction and one commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from isocourse.store.database import DatabaseUnavailable
from isocourse.store.group_commit import GroupCommit, NotWritten
from isocourse.store.tables import AuditEntryRow, AuditHeadRow

if TYPE_CHECKING:
    from isocourse.service.context import Call
    from isocourse.store.database import InTransaction, Store

GENESIS_HASH = "0" * 64
_HELD_HEAD = "isocourse_audit_head"  # session.info: (transaction, the head it locked)
_ENTRIES = cast(Table, AuditEntryRow.__table__)  # appended in Core: no ORM flush per entry
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
_NO_HEAD = "the audit chain has no head row: run `isocourse db upgrade`"


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


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


@dataclass(frozen=True)
class AuditRequest:
    """One entry to append: who (the call), what, about which patient."""

    call: Call
    action: str
    patient_id: str | None
    detail: str = ""


def record_audit(
    session: Session, call: Call, action: str, *, patient_id: str | None, detail: str = ""
) -> None:
    """Append one entry in the session's transaction (the use case's unit of work)."""
    _append(session, [AuditRequest(call, action, patient_id, detail)])


class AuditAppends:
    """Audit entries that are a transaction of their own, group-committed: a read's
    entries, appended after the read (a snapshot) and before its answer goes out.

    :meth:`append` returns once the entry is committed. Concurrent callers' entries
    are appended in one transaction (the head locked once, one commit and fsync),
    in the order they queued; a caller alone is written at once.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._group: GroupCommit[tuple[AuditRequest, ...]] = GroupCommit(
            self._write,
            try_write=self._write_now if store.serves_on_loop else None,
            write_async=self._write_awaited if store.on_loop is not None else None,
        )

    def append(self, call: Call, action: str, *, patient_id: str | None, detail: str = "") -> None:
        self.append_all([AuditRequest(call, action, patient_id, detail)])

    def append_all(self, requests: Sequence[AuditRequest]) -> None:
        """Several entries of one caller, consecutive in the chain (none: nothing)."""
        if requests:
            self._group.submit(tuple(requests))

    async def append_async(
        self, call: Call, action: str, *, patient_id: str | None, detail: str = ""
    ) -> None:
        """:meth:`append` for a caller on an event loop, which never blocks on a lock:
        the entries of one turn of the loop are written at its end. On SQLite, on the
        loop if the write lock is free at once, else by the group commit's writer
        thread; on PostgreSQL, on the loop through the asyncio driver (awaited).
        :class:`DatabaseUnavailable` if the database gave the batch no connection in time
        (the entry, like the rest of its batch, was not written)."""
        try:
            await self._group.submit_async((AuditRequest(call, action, patient_id, detail),))
        except NotWritten as error:
            if isinstance(error.__cause__, DatabaseUnavailable):
                raise DatabaseUnavailable(error.__cause__.waited_seconds) from error
            raise

    def waiting(self) -> int:
        """Callers whose entries are queued for the next transaction."""
        return self._group.waiting()

    def _write(self, batch: list[tuple[AuditRequest, ...]]) -> None:
        with self._store.transaction() as session:
            _append(session, _each_entry(batch))

    async def _write_awaited(self, batch: list[tuple[AuditRequest, ...]]) -> None:
        assert self._store.on_loop is not None
        requests = _each_entry(batch)

        async def append(transaction: InTransaction) -> None:
            # two round trips: BEGIN with the head's lock, then the rows, the head
            # moved past them and the COMMIT (pipelined)
            found = await transaction.fetch_one(_LOCK_HEAD)
            if found is None:
                raise RuntimeError(_NO_HEAD)
            rows = _chained(requests, *found)
            await transaction.execute_many(_INSERT_ENTRY, rows)
            await transaction.execute(
                _MOVE_HEAD_TO, {"to_id": rows[-1]["id"], "to_hash": rows[-1]["hash"]}
            )

        await self._store.on_loop.in_transaction(append)

    def _write_now(self, batch: list[tuple[AuditRequest, ...]]) -> bool:
        with self._store.transaction_now() as session:
            if session is None:
                return False  # another writer holds the lock: the writer thread waits
            _append(session, _each_entry(batch))
        return True


def _each_entry(batch: list[tuple[AuditRequest, ...]]) -> list[AuditRequest]:
    """A batch's entries in order, each caller's consecutive."""
    return [request for requests in batch for request in requests]


def _append(session: Session, requests: list[AuditRequest]) -> None:
    """Chain ``requests`` after the head (locked), insert them (one statement) and move
    the head past them; the held head moves only once both statements have run."""
    if session.in_nested_transaction():
        # A savepoint rolled back after this would undo the rows but not the held head.
        raise RuntimeError("audit entries are appended outside savepoints")
    head = lock_head(session)
    rows = _chained(requests, head.last_id, head.last_hash)
    last_id, last_hash = rows[-1]["id"], rows[-1]["hash"]
    connection = session.connection()
    connection.execute(_INSERT_ENTRY, rows)
    connection.execute(_MOVE_HEAD_TO, {"to_id": last_id, "to_hash": last_hash})
    head.last_id, head.last_hash = last_id, last_hash


def _chained(requests: list[AuditRequest], last_id: int, last_hash: str) -> list[dict[str, Any]]:
    """The rows of ``requests`` (at least one), chained after the head at ``last_id``."""
    rows = []
    for request in requests:
        call = request.call
        fields: dict[str, Any] = {
            "id": last_id + 1,
            "at": call.now.astimezone(UTC).isoformat(),
            "user_email": call.actor.email,
            "role": call.actor.role,
            "clinic_id": call.actor.clinic_id,
            "action": request.action,
            "patient_id": request.patient_id,
            "request_id": call.request_id,
            "detail": request.detail,
            "previous_hash": last_hash,
        }
        fields["hash"] = fields_hash(fields)
        last_id, last_hash = fields["id"], fields["hash"]
        rows.append(fields)
    return rows


def entry_hash(entry: AuditEntryRow) -> str:
    return fields_hash({name: getattr(entry, name) for name in _HASHED})


def fields_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's hashed fields (canonical JSON), the previous hash included."""
    hashed = {name: fields[name] for name in _HASHED}
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_HASHED = (
    "id",
    "at",
    "user_email",
    "role",
    "clinic_id",
    "action",
    "patient_id",
    "request_id",
    "detail",
    "previous_hash",
)


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from the start; report the first broken link, if any."""
    expected_id, previous_hash, count = 1, GENESIS_HASH, 0
    for entry in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)):
        problem = _link_problem(entry, expected_id, previous_hash)
        if problem:
            broken_at = min(entry.id, expected_id)  # a gap is reported at the missing entry
            return ChainReport(count, ChainBreak(broken_at, problem))
        expected_id, previous_hash, count = entry.id + 1, entry.hash, count + 1
    head = session.get(AuditHeadRow, 1)
    if head is None or head.last_id != expected_id - 1 or head.last_hash != previous_hash:
        return ChainReport(count, ChainBreak(expected_id, "entries after this point are missing"))
    return ChainReport(count, None)


def _link_problem(entry: AuditEntryRow, expected_id: int, previous_hash: str) -> str:
    if entry.id != expected_id:
        return f"entry {expected_id} is missing (the next one found is {entry.id})"
    if entry.previous_hash != previous_hash:
        return "does not link to the entry before it (inserted, or the one before was changed)"
    if entry.hash != entry_hash(entry):
        return "its content was changed after it was written (hash mismatch)"
    return ""
