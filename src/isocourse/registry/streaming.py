"""Reading the whole registry back in bounded batches, folded into course records.

Keyset pagination over patient ids (``id > last ORDER BY id LIMIT batch``), then ONE
query for all events of the batch's id range, in (patient, sequence) order, which the
``ix_events_patient_sequence`` index answers without sorting. Each batch is read in
its own short transaction and released before the caller sees it, so a writer (on
SQLite, the same file) never waits on the reader and memory holds one batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from isocourse.store.fold import StoredEvent, fold_events
from isocourse.store.tables import EventRow, PatientRow


@dataclass(frozen=True)
class FoldedPatient:
    """One patient of the registry: where they belong and their record folded for a day."""

    patient_id: str
    clinic_id: str
    events_through: int  # the last event sequence folded in
    document: dict[str, Any]


def patient_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(PatientRow)) or 0)


def folded_batches(
    engine: Engine, *, as_of: date, batch_size: int
) -> Iterator[list[FoldedPatient]]:
    """Every patient, in id order, ``batch_size`` at a time (2 queries per batch)."""
    after = ""
    while True:
        with engine.connect() as connection:
            patients = _patient_page(connection, after, batch_size)
            if not patients:
                return
            events = _events_for(connection, patients[0][0], patients[-1][0])
        yield _fold_batch(patients, events, as_of)
        after = patients[-1][0]


def _patient_page(connection: Connection, after: str, limit: int) -> list[tuple[str, str]]:
    query = (
        select(PatientRow.id, PatientRow.clinic_id)
        .where(PatientRow.id > after)
        .order_by(PatientRow.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in connection.execute(query)]


def _events_for(connection: Connection, first_id: str, last_id: str) -> list[tuple[Any, ...]]:
    query = (
        select(
            EventRow.patient_id,
            EventRow.sequence,
            EventRow.id,
            EventRow.kind,
            EventRow.payload,
            EventRow.corrects_event_id,
        )
        .where(EventRow.patient_id >= first_id, EventRow.patient_id <= last_id)
        .order_by(EventRow.patient_id, EventRow.sequence)
    )
    return [tuple(row) for row in connection.execute(query)]


def _fold_batch(
    patients: Sequence[tuple[str, str]], events: Sequence[tuple[Any, ...]], as_of: date
) -> list[FoldedPatient]:
    by_patient = {patient_id: list(rows) for patient_id, rows in groupby(events, key=itemgetter(0))}
    batch = []
    for patient_id, clinic_id in patients:
        rows = by_patient.get(patient_id, [])
        stored = [StoredEvent(row[2], row[3], row[4], row[5]) for row in rows]
        last = max((row[1] for row in rows), default=0)
        document = fold_events(stored, as_of=as_of)
        batch.append(FoldedPatient(patient_id, clinic_id, last, document))
    return batch
