"""Reading the audit trail back: the entries that match a filter (``isocourse audit
list``), and whether an entry of some action about a patient exists (the trail is
appended by :mod:`isocourse.store.audit_chain`, its entries built by
:mod:`isocourse.service.audit`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from isocourse.store.tables import AuditEntryRow

_Q = TypeVar("_Q", bound=Select[Any])


@dataclass(frozen=True)
class AuditFilter:
    """Entries at or after ``since`` and at or before ``until`` (UTC instants), by the
    user with e-mail ``actor``, about ``patient_id``, whose action starts with
    ``action_prefix``; None: any."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    patient_id: str | None = None
    action_prefix: str | None = None


@dataclass(frozen=True)
class Listing:
    entries: list[AuditEntryRow]
    #: how many entries match (``entries`` holds the last ``limit`` of them)
    matching: int


def list_entries(session: Session, wanted: AuditFilter, *, limit: int | None) -> Listing:
    """The matching entries in the chain's order; with ``limit``, the last ``limit``."""
    query = _filtered(select(AuditEntryRow), wanted)
    matching = session.scalar(_filtered(select(func.count(AuditEntryRow.id)), wanted)) or 0
    if limit is not None:
        newest = query.order_by(AuditEntryRow.id.desc()).limit(limit)
        entries = list(reversed(session.scalars(newest).all()))
    else:
        entries = list(session.scalars(query.order_by(AuditEntryRow.id)))
    return Listing(entries, matching)


def entry_exists(session: Session, *, action: str, patient_id: str, detail_prefix: str) -> bool:
    """Whether an entry of ``action`` about the patient has a detail starting so."""
    query = select(AuditEntryRow.id).where(
        AuditEntryRow.action == action,
        AuditEntryRow.patient_id == patient_id,
        AuditEntryRow.detail.startswith(detail_prefix),
    )
    return session.scalar(query.limit(1)) is not None


def _filtered(query: _Q, wanted: AuditFilter) -> _Q:
    # ``at`` is ISO 8601 in UTC as written: as text, its order is the instants' order
    if wanted.since is not None:
        query = query.where(AuditEntryRow.at >= _utc_text(wanted.since))
    if wanted.until is not None:
        query = query.where(AuditEntryRow.at <= _utc_text(wanted.until))
    if wanted.actor is not None:
        query = query.where(func.lower(AuditEntryRow.user_email) == wanted.actor.strip().lower())
    if wanted.patient_id is not None:
        query = query.where(AuditEntryRow.patient_id == wanted.patient_id)
    if wanted.action_prefix:
        query = query.where(AuditEntryRow.action.startswith(wanted.action_prefix, autoescape=True))
    return query


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def named_events(entry: AuditEntryRow) -> list[dict[str, str]] | None:
    """The events an entry names (``id``, ``kind``, ``sha256``); None: it predates digests."""
    if entry.event_digests is None:
        return None
    try:
        return [
            {"id": str(i), "kind": str(k), "sha256": str(d)}
            for i, k, d in json.loads(entry.event_digests)
        ]
    except (ValueError, TypeError):
        return []


def entry_json(entry: AuditEntryRow) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "user_email": entry.user_email,
        "role": entry.role,
        "clinic_id": entry.clinic_id,
        "action": entry.action,
        "patient_id": entry.patient_id,
        "request_id": entry.request_id,
        "detail": entry.detail,
        "events": named_events(entry),
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
    }
