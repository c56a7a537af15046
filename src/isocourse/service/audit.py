"""The audit trail: who did what to which patient's record, when, in which request.

Entries are chained: each one's hash covers its fields and the previous entry's
hash, so a changed, removed or inserted entry breaks the chain at that point.
Appending locks the chain's head row, so concurrent requests never fork it (the
lock is taken first in every unit of work, see :func:`lock_head`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from isocourse.service.context import Call
from isocourse.store.tables import AuditEntryRow, AuditHeadRow

GENESIS_HASH = "0" * 64
_HELD_HEAD = "isocourse_audit_head"  # session.info: (transaction, the head it locked)


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


def lock_head(session: Session) -> AuditHeadRow:
    """The chain's head, locked until the session's transaction ends (once per transaction)."""
    transaction = session.get_transaction()
    held = session.info.get(_HELD_HEAD)
    if held is not None and held[0] is transaction:
        head: AuditHeadRow = held[1]
        return head
    found = session.get(AuditHeadRow, 1, with_for_update=True)
    if found is None:
        raise RuntimeError("the audit chain has no head row: run `isocourse db upgrade`")
    session.info[_HELD_HEAD] = (transaction, found)
    return found


def record_audit(
    session: Session, call: Call, action: str, *, patient_id: str | None, detail: str = ""
) -> AuditEntryRow:
    head = lock_head(session)
    entry = AuditEntryRow(
        id=head.last_id + 1,
        at=call.now.astimezone(UTC).isoformat(),
        user_email=call.actor.email,
        role=call.actor.role,
        clinic_id=call.actor.clinic_id,
        action=action,
        patient_id=patient_id,
        request_id=call.request_id,
        detail=detail,
        previous_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    head.last_id, head.last_hash = entry.id, entry.hash
    session.flush()
    return entry


def entry_hash(entry: AuditEntryRow) -> str:
    fields = {
        "id": entry.id,
        "at": entry.at,
        "user_email": entry.user_email,
        "role": entry.role,
        "clinic_id": entry.clinic_id,
        "action": entry.action,
        "patient_id": entry.patient_id,
        "request_id": entry.request_id,
        "detail": entry.detail,
        "previous_hash": entry.previous_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
