"""Reading the whole registry back in bounded pages, folded into course records.

Keyset pagination over patient ids gives the pages; ONE query then reads all events of
a page's id range, in (patient, sequence) order (the statements are
:mod:`isocourse.store.registry_rows`'). The payload comes back as text
(``CAST(payload AS TEXT)``) and is never decoded: the fold splices the payload texts
into the record's JSON text, which the record parser validates in one pass. Each read
is its own short read-only transaction, so writers never wait on a reader and memory
holds one page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine

from isocourse.store.fold import StoredEventText, fold_event_texts
from isocourse.store.registry_rows import PagePatient, events_between, patient_page
from isocourse.store.registry_rows import patient_count as patient_count  # for the CLI


@dataclass(frozen=True)
class FoldedPatient:
    """One patient of the registry: where they belong and their record folded for a day."""

    patient_id: str
    clinic_id: str
    events_through: int  # the last event sequence folded in
    document: str  # the course record, JSON text


def patient_pages(engine: Engine, *, page_size: int) -> Iterator[list[PagePatient]]:
    """Every patient, in id order, ``page_size`` at a time (one query per page)."""
    after = ""
    while True:
        page = patient_page(engine, after=after, page_size=page_size)
        if not page:
            return
        yield page
        after = page[-1][0]


def read_page(engine: Engine, page: Sequence[PagePatient], *, as_of: date) -> list[FoldedPatient]:
    """The page's patients with their records folded for ``as_of`` (one events query)."""
    return fold_page(page, read_events(engine, page), as_of)


def read_events(engine: Engine, page: Sequence[PagePatient]) -> list[tuple[Any, ...]]:
    """The event rows of the page's id range, in (patient, sequence) order."""
    return events_between(engine, page[0][0], page[-1][0])


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
