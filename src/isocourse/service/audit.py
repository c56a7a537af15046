"""The audit trail: who did what to which patient's record, when, in which request.

Entries are chained: each one's hash covers its fields and the previous entry's
hash, so a changed, removed or inserted entry breaks the chain at that point.
Appending locks the chain's head row, so concurrent requests never fork it (the
lock is taken first in every unit of work, see
:func:`isocourse.store.audit_chain.lock_head`; the chain's statements are the store's).
An entry that is a transaction of its own (a read's audit, after the read) goes through
:class:`AuditAppends`: concurrent ones share one transaction and one commit.

An entry covers the content too: it names the events its transaction wrote since
the entry before it in that transaction (``event_digests``: each event's id, kind
and the SHA-256 of its row as stored), and :func:`verify_content` recomputes each
digest from the stored event, so an event changed, removed or added in the database
is found and named. The head can also be signed into a checkpoint kept outside the
database (``isocourse.service.audit_checkpoint``), which catches a cut-off tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

from sqlalchemy.orm import Session

from isocourse.store import audit_chain
from isocourse.store.database import DatabaseUnavailable
from isocourse.store.event_log import event_digest, take_written_events
from isocourse.store.group_commit import GroupCommit, NotWritten
from isocourse.store.tables import AuditEntryRow

if TYPE_CHECKING:
    from isocourse.store.database import Store

GENESIS_HASH = "0" * 64


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


class Who(Protocol):
    """Who an entry is about: a signed-in user (``service.context.Actor``), or no one."""

    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def clinic_id(self) -> str: ...


class AuditedCall(Protocol):
    """What an entry records of a request (``service.context.Call`` is one)."""

    @property
    def actor(self) -> Who: ...
    @property
    def request_id(self) -> str: ...
    @property
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class NoOne:
    """The caller of a request that carried no valid credentials."""

    email: str = ""
    role: str = "anonymous"
    clinic_id: str = ""


@dataclass(frozen=True)
class AnonymousCall:
    """A request without valid credentials (its refusal is audited)."""

    request_id: str
    now: datetime
    actor: NoOne = field(default_factory=NoOne)


#: ``event_digests`` of an entry whose transaction wrote no event
NO_EVENTS: Final = "[]"


@dataclass(frozen=True)
class AuditRequest:
    """One entry to append: who (the call), what, about which patient, and the events
    it wrote (:data:`NO_EVENTS`, or :func:`digests_json` of them)."""

    call: AuditedCall
    action: str
    patient_id: str | None
    detail: str = ""
    event_digests: str = NO_EVENTS


def record_audit(
    session: Session, call: AuditedCall, action: str, *, patient_id: str | None, detail: str = ""
) -> None:
    """Append one entry in the session's transaction (the use case's unit of work),
    naming the events the transaction appended since its last entry. Those events are
    ``patient_id``'s: an entry names the events of its own patient."""
    written = take_written_events(session)
    strangers = sorted({event.id for event in written if event.patient_id != patient_id})
    if strangers:
        raise RuntimeError(
            f"the audit entry {action!r} for patient {patient_id!r} would name events of "
            f"another patient ({', '.join(strangers)}): record one entry per patient"
        )
    digests = digests_json([(event.id, event.kind, event.digest) for event in written])
    request = AuditRequest(call, action, patient_id, detail, digests)
    audit_chain.append(session, partial(_chained, [request]))


def digests_json(named: Sequence[tuple[str, str, str]]) -> str:
    """``event_digests`` for events ``(id, kind, digest)``, in the order written."""
    return json.dumps([list(event) for event in named], separators=(",", ":"))


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

    def append(
        self, call: AuditedCall, action: str, *, patient_id: str | None, detail: str = ""
    ) -> None:
        self.append_all([AuditRequest(call, action, patient_id, detail)])

    def append_all(self, requests: Sequence[AuditRequest]) -> None:
        """Several entries of one caller, consecutive in the chain (none: nothing)."""
        if requests:
            self._group.submit(tuple(requests))

    async def append_async(
        self, call: AuditedCall, action: str, *, patient_id: str | None, detail: str = ""
    ) -> None:
        """:meth:`append` for a caller on an event loop, which never blocks on a lock:
        the entries of one turn of the loop are written at its end. On SQLite, on the
        loop if the write lock is free at once, else by the group commit's writer
        thread; on PostgreSQL, on the loop through the asyncio driver (awaited).
        :class:`DatabaseUnavailable` if the database gave the batch no connection in time
        (the entry, like the rest of its batch, was not written)."""
        await self.append_all_async([AuditRequest(call, action, patient_id, detail)])

    async def append_all_async(self, requests: Sequence[AuditRequest]) -> None:
        """:meth:`append_all` for a caller on an event loop (as :meth:`append_async`)."""
        if not requests:
            return
        try:
            await self._group.submit_async(tuple(requests))
        except NotWritten as error:
            if isinstance(error.__cause__, DatabaseUnavailable):
                raise DatabaseUnavailable(error.__cause__.waited_seconds) from error
            raise

    def waiting(self) -> int:
        """Callers whose entries are queued for the next transaction."""
        return self._group.waiting()

    def _write(self, batch: list[tuple[AuditRequest, ...]]) -> None:
        audit_chain.append_committed(self._store, _chain_of(batch))

    async def _write_awaited(self, batch: list[tuple[AuditRequest, ...]]) -> None:
        assert self._store.on_loop is not None
        await audit_chain.append_awaited(self._store.on_loop, _chain_of(batch))

    def _write_now(self, batch: list[tuple[AuditRequest, ...]]) -> bool:
        # False: another writer holds the lock, the writer thread waits for it
        return audit_chain.append_now(self._store, _chain_of(batch))


def _chain_of(batch: list[tuple[AuditRequest, ...]]) -> audit_chain.Chain:
    """A batch's entries in order, each caller's consecutive, as the store chains them."""
    return partial(_chained, [request for requests in batch for request in requests])


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
            "event_digests": request.event_digests,
        }
        fields["hash"] = fields_hash(fields)
        last_id, last_hash = fields["id"], fields["hash"]
        rows.append(fields)
    return rows


def entry_hash(entry: AuditEntryRow) -> str:
    return fields_hash({name: getattr(entry, name) for name in (*_HASHED, "event_digests")})


def fields_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's hashed fields (canonical JSON), the previous hash included,
    and its event digests (absent, not null, from the hash of an entry written before
    there were any: its hash stays what it was)."""
    hashed = {name: fields[name] for name in _HASHED}
    if fields.get("event_digests") is not None:
        hashed["event_digests"] = fields["event_digests"]
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
    for entry in audit_chain.entries_in_order(session):
        problem = _link_problem(entry, expected_id, previous_hash)
        if problem:
            broken_at = min(entry.id, expected_id)  # a gap is reported at the missing entry
            return ChainReport(count, ChainBreak(broken_at, problem))
        expected_id, previous_hash, count = entry.id + 1, entry.hash, count + 1
    head = audit_chain.stored_head(session)
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


@dataclass(frozen=True)
class EventProblem:
    """A stored event that is not what its audit entry says was written."""

    event_id: str
    patient_id: str | None
    kind: str
    #: the entry that names the event (None: no entry names it)
    entry_id: int | None
    problem: str

    def describe(self) -> str:
        where = f"patient {self.patient_id}" if self.patient_id else "no patient"
        return f"event {self.event_id} ({where}, {self.kind}): {self.problem}"


@dataclass
class ContentReport:
    """The events checked against the digests of the entries that name them."""

    #: events named by an entry and found as written
    unchanged: int = 0
    #: entries that name their events (with digests), and entries written before that
    entries_with_digests: int = 0
    entries_before_digests: int = 0
    #: stored events older than the first one an entry names (written before digests)
    events_before_digests: int = 0
    #: every problem found, in the order found (at most :data:`MAX_PROBLEMS` kept)
    problems: list[EventProblem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: EventProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


MAX_PROBLEMS: Final = 1000
_BATCH = 500  # event ids looked up per statement
_DENSE_LIMIT = 64_000_000  # sequences marked in a bytearray up to this one, else in a set


@dataclass(frozen=True)
class _Named:
    event_id: str
    kind: str
    digest: str
    entry_id: int
    entry_patient: str | None


class _Seen:
    """The event sequences named so far: a byte per sequence while the numbers are
    dense (a registry's millions of events in a few megabytes), else a set."""

    def __init__(self, highest: int) -> None:
        self._bytes = bytearray(highest + 1) if 0 <= highest < _DENSE_LIMIT else None
        self._set: set[int] = set()

    def mark(self, sequence: int) -> bool:
        """Mark ``sequence``; False if it was already marked."""
        if self._bytes is not None and 0 <= sequence < len(self._bytes):
            if self._bytes[sequence]:
                return False
            self._bytes[sequence] = 1
            return True
        if sequence in self._set:
            return False
        self._set.add(sequence)
        return True

    def __contains__(self, sequence: int) -> bool:
        if self._bytes is not None and 0 <= sequence < len(self._bytes):
            return bool(self._bytes[sequence])
        return sequence in self._set


def verify_content(session: Session) -> ContentReport:
    """Recompute the digest of every event an entry names, from the stored event; find
    events changed, missing (deleted) or named by no entry (added in the database).
    Events older than the first one an entry names predate the digests: counted, not
    checked. Read ``session`` as one snapshot (``Store.reading``)."""
    report = ContentReport()
    sqlite = session.get_bind().dialect.name == "sqlite"
    seen = _Seen(audit_chain.highest_event_sequence(session))
    first_named: list[int] = []  # the lowest sequence named so far (one element)
    pending: list[_Named] = []
    for named in _named_events(session, report):
        pending.append(named)
        if len(pending) >= _BATCH:
            _check_named(session, pending, seen, first_named, report, sqlite=sqlite)
            pending.clear()
    _check_named(session, pending, seen, first_named, report, sqlite=sqlite)
    _find_unnamed(session, seen, first_named[0] if first_named else None, report)
    return report


def _named_events(session: Session, report: ContentReport) -> Iterator[_Named]:
    """The events the entries name, in the chain's order (entries streamed)."""
    for entry_id, patient_id, digests in audit_chain.event_lists(session):
        if digests is None:
            report.entries_before_digests += 1
            continue
        report.entries_with_digests += 1
        try:
            named = [(str(i), str(k), str(d)) for i, k, d in json.loads(digests)]
        except (ValueError, TypeError):
            problem = f"audit entry {entry_id}'s list of events cannot be read"
            report.add(EventProblem("?", patient_id, "?", entry_id, problem))
            continue
        for event_id, kind, digest in named:
            yield _Named(event_id, kind, digest, entry_id, patient_id)


def _check_named(
    session: Session,
    batch: list[_Named],
    seen: _Seen,
    first_named: list[int],
    report: ContentReport,
    *,
    sqlite: bool,
) -> None:
    if not batch:
        return
    stored = audit_chain.digested_events(session, (named.event_id for named in batch))
    for named in batch:
        row = stored.get(named.event_id)
        if row is None:
            problem = f"MISSING: audit entry {named.entry_id} recorded it; it was deleted"
            patient = named.entry_patient
            report.add(EventProblem(named.event_id, patient, named.kind, named.entry_id, problem))
            continue
        sequence = int(row["sequence"])
        if not first_named or sequence < first_named[0]:
            first_named[:] = [sequence]
        if not seen.mark(sequence):
            problem = f"named again by audit entry {named.entry_id} (an entry was copied)"
            report.add(EventProblem(named.event_id, row["patient_id"], row["kind"], None, problem))
            continue
        if event_digest(row, stored_in_sqlite=sqlite) == named.digest:
            report.unchanged += 1
            continue
        was = "" if row["kind"] == named.kind else f" (recorded as {named.kind})"
        problem = f"CHANGED since audit entry {named.entry_id} recorded it{was}"
        patient, kind = row["patient_id"], row["kind"]
        report.add(EventProblem(named.event_id, patient, kind, named.entry_id, problem))


def _find_unnamed(
    session: Session, seen: _Seen, first_named: int | None, report: ContentReport
) -> None:
    """Events no entry names: before the first named one, written before the digests;
    from it on, written past the application's use cases, which name every event they
    write (``isocourse synth`` bulk-loads fictional patients without entries)."""
    for sequence, event_id, patient_id, kind in audit_chain.events_in_order(session):
        if sequence in seen:
            continue
        if first_named is None or sequence < first_named:
            report.events_before_digests += 1
            continue
        problem = (
            "NOT NAMED by any audit entry: written past the application (with SQL, or by "
            "isocourse synth's fictional bulk load)"
        )
        report.add(EventProblem(event_id, patient_id, kind, None, problem))
