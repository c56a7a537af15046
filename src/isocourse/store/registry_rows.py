"""The whole registry's rows, read and written in bulk: the statements that
:mod:`isocourse.registry` runs to re-assess every patient (pages of patients, then
one page's events in one query) and to write a fictional registry fast (two executemany
``INSERT`` statements a batch). Folding, assessing and generating stay in
``isocourse.registry``.

Pages are keyset pagination over patient ids (``id > last ORDER BY id LIMIT page``); a
page's events come in (patient, sequence) order, which the
``ix_events_patient_sequence`` index answers without sorting, with the payload as the
database's JSON text (``CAST(payload AS TEXT)``). Each read is its own short read-only
transaction (:func:`isocourse.store.database.reading`), so writers never wait on a
reader."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, select, text

from isocourse.store.database import reading
from isocourse.store.event_log import stored_event_columns
from isocourse.store.tables import EventRow, PatientRow

#: one patient of a page: (patient id, clinic id)
PagePatient = tuple[str, str]


def patient_count(engine: Engine) -> int:
    with reading(engine).connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(PatientRow)) or 0)


def patient_page(engine: Engine, *, after: str, page_size: int) -> list[PagePatient]:
    """The first ``page_size`` patients whose id sorts after ``after``, in id order."""
    with reading(engine).connect() as connection:
        query = (
            select(PatientRow.id, PatientRow.clinic_id)
            .where(PatientRow.id > after)
            .order_by(PatientRow.id)
            .limit(page_size)
        )
        return [(row[0], row[1]) for row in connection.execute(query)]


def events_between(engine: Engine, first_id: str, last_id: str) -> list[tuple[Any, ...]]:
    """The event rows (:func:`all_event_rows`) of the patients with ids from ``first_id``
    to ``last_id``, in (patient, sequence) order."""
    with reading(engine).connect() as connection:
        query = all_event_rows().where(
            EventRow.patient_id >= first_id, EventRow.patient_id <= last_id
        )
        return [tuple(row) for row in connection.execute(query)]


def all_event_rows(*, payload_as_text: bool = True) -> Select[*tuple[Any, ...]]:
    """Every event row in (patient, sequence) order: patient id, sequence, event id,
    kind, payload (as the database's JSON text, or decoded as the schema types it), the
    event it corrects and the prescription it fills."""
    return select(
        EventRow.patient_id,
        EventRow.sequence,
        *stored_event_columns(EventRow, payload_as_text=payload_as_text),
    ).order_by(EventRow.patient_id, EventRow.sequence)


def present_patient_ids(engine: Engine, patient_ids: Iterable[str]) -> set[str]:
    """Which of ``patient_ids`` are stored."""
    with engine.connect() as connection:
        return set(connection.scalars(select(PatientRow.id).where(PatientRow.id.in_(patient_ids))))


def insert_patients_and_events(
    connection: Connection,
    patients: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
) -> None:
    """Insert the patient rows, then the event rows (an executemany each), in the
    connection's transaction."""
    connection.execute(insert(PatientRow), patients)
    connection.execute(insert(EventRow), events)


def refresh_planner_statistics(engine: Engine) -> bool:
    """PostgreSQL: ``ANALYZE`` the patients and their events after a bulk load, so that
    the planner knows their size at once instead of after autovacuum's next pass (within
    a minute or so). Without statistics it may answer a pharmacist's verification by
    walking every patient of the clinic. SQLite plans from its indexes alone: nothing to
    do there. True if statistics were gathered."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        connection.execute(text("ANALYZE patients, events"))
        connection.commit()
    return True

