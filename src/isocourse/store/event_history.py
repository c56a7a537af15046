"""A patient's event log as people read it: each event, oldest first, with who recorded
it (the user's e-mail and role) and the entry's ``source``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from isocourse.store.event_log import entry_source, event_rows, recorders_of


@dataclass(frozen=True)
class Recorder:
    """The user who recorded an event."""

    email: str
    role: str


@dataclass(frozen=True)
class RecordedEvent:
    """One event of the log: corrections are events too (``corrects`` names the event
    they mark entered in error); nothing is hidden or deleted."""

    event_id: str
    kind: str
    #: the course-record element, as in the course-record format
    entry: dict[str, Any]
    corrects: str | None
    recorded_at: datetime
    #: None for an event no user recorded (an import by the system itself)
    recorded_by: Recorder | None
    #: who the entry says recorded it, for an entry of the record's lists; else None
    source: str | None


def event_history(session: Session, patient_id: str) -> list[RecordedEvent]:
    """The patient's events in order, each with its recorder (two statements)."""
    rows = event_rows(session, patient_id)
    recorders = recorders_of(session, {row.recorded_by for row in rows})
    return [
        RecordedEvent(
            event_id=row.id,
            kind=row.kind,
            entry=dict(row.payload),
            corrects=row.corrects_event_id,
            recorded_at=row.recorded_at,
            recorded_by=_recorder(recorders.get(row.recorded_by))
            if row.recorded_by is not None
            else None,
            source=entry_source(row.kind, row.payload),
        )
        for row in rows
    ]


def _recorder(found: dict[str, str] | None) -> Recorder | None:
    return None if found is None else Recorder(found["email"], found["role"])
