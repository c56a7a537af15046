"""The event log: append an event, read a patient's events in order. Nothing else.

There is deliberately no update and no delete here.

Every event is named by an audit entry of the transaction that wrote it: each event
appended is kept, with the digest of its row as stored (:func:`event_digest`), until
the service's audit entry takes it (:func:`take_written_events`); a transaction that
would commit an event no entry took is refused (fail closed), so the audit trail can
always be checked against the events it names (``isocourse audit verify``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, Text, bindparam, cast, event, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from isocourse.record import Source
from isocourse.store.fold import (
    ENTERED_IN_ERROR,
    LIST_KINDS,
    LOG_FIELDS,
    PRESCRIPTION_CANCELLED,
    StoredEvent,
)
from isocourse.store.tables import EventRow, UserRow


def append_event(
    session: Session,
    *,
    patient_id: str,
    kind: str,
    payload: Mapping[str, Any],
    recorded_at: datetime,
    recorded_by: int | None,
    source: Source | None = None,
    corrects: str | None = None,
    fills_prescription: str | None = None,
) -> EventRow:
    """Append one event. ``source`` (who recorded it: the use case says, from the
    signed-in user) is written into the payload of an entry of the course record,
    replacing whatever the payload claimed; the fields the log decides (a prescription's
    id, a dispense's prescription) are never taken from a payload."""
    stored = {k: v for k, v in payload.items() if k not in LOG_FIELDS.get(kind, ())}
    if source is not None and kind in LIST_KINDS:
        stored["source"] = source
    row = EventRow(
        id=str(uuid.uuid4()),
        patient_id=patient_id,
        kind=kind,
        payload=stored,
        corrects_event_id=corrects,
        fills_prescription_id=fills_prescription,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
    )
    session.add(row)
    session.flush()
    sqlite = session.get_bind().dialect.name == "sqlite"
    digest = event_digest(_row_fields(row), stored_in_sqlite=sqlite)
    _written(session).append(WrittenEvent(row, row.id, patient_id, kind, digest))
    return row


#: an event row's columns its digest covers (all of them)
DIGESTED_COLUMNS: Final = (
    "sequence",
    "id",
    "patient_id",
    "kind",
    "payload",
    "corrects_event_id",
    "fills_prescription_id",
    "recorded_at",
    "recorded_by",
)
_WRITTEN = "isocourse_written_events"  # session.info: (transaction, its events not yet taken)


@dataclass(frozen=True)
class WrittenEvent:
    """An event this transaction appended, and the digest of its row as stored."""

    row: EventRow
    id: str
    patient_id: str
    kind: str
    digest: str


class UnauditedEvents(RuntimeError):
    """A transaction tried to commit events that no audit entry names."""


def event_digest(fields: Mapping[str, Any], *, stored_in_sqlite: bool) -> str:
    """SHA-256 of an event row's :data:`DIGESTED_COLUMNS` (canonical JSON: keys sorted,
    no spaces, UTF-8). The payload is the JSON the database holds, decoded; the time is
    as the database keeps it (:func:`stored_time`)."""
    canonical = {name: fields[name] for name in DIGESTED_COLUMNS}
    canonical["recorded_at"] = stored_time(fields["recorded_at"], sqlite=stored_in_sqlite)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_time(value: datetime, *, sqlite: bool) -> str:
    """A time as the database gives it back, in one form: SQLite keeps an aware time's
    wall-clock reading without its offset (SQLAlchemy's storage format), PostgreSQL the
    instant (given back in the session's zone: read in UTC here)."""
    if sqlite or value.tzinfo is None:
        return value.replace(tzinfo=None).isoformat()
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


def _row_fields(row: EventRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in DIGESTED_COLUMNS}


def _written(session: Session) -> list[WrittenEvent]:
    """This transaction's events not yet taken by an audit entry."""
    transaction = session.get_transaction()
    held = session.info.get(_WRITTEN)
    if held is None or held[0] is not transaction:
        held = (transaction, [])
        session.info[_WRITTEN] = held
    events: list[WrittenEvent] = held[1]
    return events


def take_written_events(session: Session) -> list[WrittenEvent]:
    """The events this transaction appended since the last call, in order, and still
    stored (one whose savepoint was rolled back is left out); they count as named."""
    events = _written(session)
    taken = [written for written in events if inspect(written.row).persistent]
    events.clear()
    return taken


@event.listens_for(Session, "before_commit")
def _refuse_unaudited(session: Session) -> None:
    """Fail closed: no transaction commits an event that no audit entry names."""
    if session.in_nested_transaction():
        return  # a savepoint released; the transaction goes on
    held = session.info.get(_WRITTEN)
    if held is None or held[0] is not session.get_transaction():
        return
    left = [written for written in held[1] if inspect(written.row).persistent]
    if left:
        kinds = ", ".join(sorted({written.kind for written in left}))
        raise UnauditedEvents(
            f"{len(left)} event(s) ({kinds}) appended without an audit entry naming them: "
            "the use case must call record_audit after appending"
        )


def event_rows(session: Session, patient_id: str) -> list[EventRow]:
    query = select(EventRow).where(EventRow.patient_id == patient_id).order_by(EventRow.sequence)
    return list(session.scalars(query))


def stored_events(session: Session, patient_id: str) -> list[StoredEvent]:
    """The patient's events in order, as the fold needs them: plain rows, no ORM objects,
    one statement built once and run as Core on the session's connection (every read
    of a patient runs it; the ORM's result handling cost more than the query). A Core
    statement does not autoflush: ``append_event`` flushes each event it adds."""
    rows = session.connection().execute(_stored_events_query(), {"patient_id": patient_id})
    return [StoredEvent(*row) for row in rows]


@cache
def _stored_events_query() -> Select[str, str, dict[str, Any], str | None, str | None]:
    return (
        select(*stored_event_columns(EventRow))
        .where(EventRow.patient_id == bindparam("patient_id"))
        .order_by(EventRow.sequence)
    )


def stored_event_columns(
    events: type[EventRow], *, payload_as_text: bool = False
) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """The columns of ``events`` (the table or an alias of it) that make a
    :class:`StoredEvent` in its fields' order, or with ``payload_as_text`` a
    :class:`StoredEventText` (the payload as the database's JSON text, not decoded)."""
    payload = cast(events.payload, Text) if payload_as_text else events.payload
    return events.id, events.kind, payload, events.corrects_event_id, events.fills_prescription_id


def is_retracted(session: Session, event_id: str) -> bool:
    query = select(EventRow.id).where(
        EventRow.kind == ENTERED_IN_ERROR, EventRow.corrects_event_id == event_id
    )
    return session.scalar(query) is not None


def prescription_filled(session: Session, prescription_id: str) -> bool:
    """Was the prescription dispensed (by a dispense not since marked entered in error)?
    A prescription whose dispense was taken back can be cancelled, not dispensed again."""
    query = select(EventRow.id).where(EventRow.fills_prescription_id == prescription_id)
    fill = session.scalar(query)
    return fill is not None and not is_retracted(session, fill)


def prescription_cancellation(
    session: Session, patient_id: str, prescription_id: str
) -> EventRow | None:
    """The standing cancellation of a prescription (not itself entered in error), if any."""
    query = (
        select(EventRow)
        .where(EventRow.kind == PRESCRIPTION_CANCELLED, EventRow.patient_id == patient_id)
        .order_by(EventRow.sequence)
    )
    for row in session.scalars(query):
        if row.payload.get("prescription_id") == prescription_id and not is_retracted(
            session, row.id
        ):
            return row
    return None


def event_by_id(session: Session, event_id: str) -> EventRow | None:
    return session.scalar(select(EventRow).where(EventRow.id == event_id))


def recorders_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, dict[str, str]]:
    """user id -> ``{"email", "role"}`` of the users who recorded events."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    query = select(UserRow.id, UserRow.email, UserRow.role).where(UserRow.id.in_(wanted))
    return {
        user_id: {"email": email, "role": role} for user_id, email, role in session.execute(query)
    }


def entry_source(kind: str, payload: Mapping[str, Any]) -> str | None:
    """Who an entry of the record says recorded it (``clinician`` when it does not say);
    None for an event that is not an entry of the record's lists."""
    if kind not in LIST_KINDS:
        return None
    return str(payload.get("source", "clinician"))
