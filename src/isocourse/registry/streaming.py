"""Reading the whole registry back in bounded pages, folded into course records.

Keyset pagination over patient ids (``id > last ORDER BY id LIMIT page``) gives the
pages; ONE query then reads all events of a page's id range, in (patient, sequence)
order, which the ``ix_events_patient_sequence`` index answers without sorting. The
payload comes back as text (``CAST(payload AS TEXT)``) and is never decoded: the fold
splices the payload texts into the record's JSON text, which the record parser
validates in one pass. Each read is its own short read-only transaction, so writers
never wait on a reader and memory holds one page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from isocourse.store.database import reading
from isocourse.store.event_log import stored_event_columns
from isocourse.store.fold import StoredEventText, fold_event_texts
from isocourse.store.tables import EventRow, PatientRow

#: one patient of a page: (patient id, clinic id)
PagePatient = tuple[str, str]


@dataclass(frozen=True)
class FoldedPatient:
    """One patient of the registry: where they belong and their record folded for a day."""

    patient_id: str
    clinic_id: str
    events_through: int  # the last event sequence folded in
    document: str  # the course record, JSON text


def patient_count(engine: Engine) -> int:
    with reading(engine).connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(PatientRow)) or 0)


def patient_pages(engine: Engine, *, page_size: int) -> Iterator[list[PagePatient]]:
    """Every patient, in id order, ``page_size`` at a time (one query per page)."""
    after = ""
    while True:
        with reading(engine).connect() as connection:
            query = (
                select(PatientRow.id, PatientRow.clinic_id)
                .where(PatientRow.id > after)
                .order_by(PatientRow.id)
                .limit(page_size)
            )
            page = [(row[0], row[1]) for row in connection.execute(query)]
        if not page:
            return
        yield page
        after = page[-1][0]


def read_page(engine: Engine, page: Sequence[PagePatient], *, as_of: date) -> list[FoldedPatient]:
    """The page's patients with their records folded for ``as_of`` (one events query)."""
    return fold_page(page, read_events(engine, page), as_of)


def read_events(engine: Engine, page: Sequence[PagePatient]) -> list[tuple[Any, ...]]:
    """The event rows of the page's id range, in (patient, sequence) order."""
    with reading(engine).connect() as connection:
        return _events_for(connection, page[0][0], page[-1][0])


def _events_for(connection: Connection, first_id: str, last_id: str) -> list[tuple[Any, ...]]:
    query = all_event_rows().where(EventRow.patient_id >= first_id, EventRow.patient_id <= last_id)
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


def fold_page(
    page: Sequence[PagePatient], events: Sequence[tuple[Any, ...]], as_of: date
) -> list[FoldedPatient]:
    """Fold the event rows of a page, patient by patient (pure; payloads stay text)."""
    by_patient = {patient_id: list(rows) for patient_id, rows in groupby(events, key=itemgetter(0))}
    folded = []
    for patient_id, clinic_id in page:
        rows = by_patient.get(patient_id, [])
        stored = [StoredEventText(*row[2:7]) for row in rows]
        last = max((row[1] for row in rows), default=0)
        document = fold_event_texts(stored, as_of=as_of)
        folded.append(FoldedPatient(patient_id, clinic_id, last, document))
    return folded
