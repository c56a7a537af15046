"""The event log: append an event, read a patient's events in order. Nothing else.

There is deliberately no update and no delete here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, bindparam, cast, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from isocourse.store.fold import ENTERED_IN_ERROR, StoredEvent
from isocourse.store.tables import EventRow


def append_event(
    session: Session,
    *,
    patient_id: str,
    kind: str,
    payload: Mapping[str, Any],
    recorded_at: datetime,
    recorded_by: int | None,
    corrects: str | None = None,
    fills_prescription: str | None = None,
) -> EventRow:
    row = EventRow(
        id=str(uuid.uuid4()),
        patient_id=patient_id,
        kind=kind,
        payload=dict(payload),
        corrects_event_id=corrects,
        fills_prescription_id=fills_prescription,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
    )
    session.add(row)
    session.flush()
    return row


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
def _stored_events_query() -> Select[str, str, dict[str, Any], str | None]:
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
    return events.id, events.kind, payload, events.corrects_event_id


def is_retracted(session: Session, event_id: str) -> bool:
    query = select(EventRow.id).where(
        EventRow.kind == ENTERED_IN_ERROR, EventRow.corrects_event_id == event_id
    )
    return session.scalar(query) is not None


def event_by_id(session: Session, event_id: str) -> EventRow | None:
    return session.scalar(select(EventRow).where(EventRow.id == event_id))
