"""Writing a fictional registry (``isocourse.synth``) straight into the database, in bulk.

Each batch is one transaction: the batch's patients and all their events go in with
two executemany ``INSERT`` statements (SQLAlchemy Core, run by
:mod:`isocourse.store.registry_rows`). Patient ids are derived
from ``(seed, index)`` (a UUID 5), so a run is idempotent: patients already present
are skipped, and an interrupted run resumes where it stopped. Records are normalised
the way enrolment normalises them; the few the generator makes invalid on purpose are
stored as generated, to be reported (fail closed) by the re-assessment.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import RecordError, course_record_from_json, course_record_to_json
from isocourse.store.clinics import add_clinic_if_new
from isocourse.store.database import Store
from isocourse.store.fold import events_from_record
from isocourse.store.registry_rows import (
    insert_patients_and_events,
    present_patient_ids,
    refresh_planner_statistics,
)
from isocourse.synth import SynthRates, synth_record

_SYNTH_NAMESPACE = uuid.UUID("5f0c7d1e-3b7a-4c55-9a57-6d0f1b2e8a11")
EventPairs = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class SynthPlan:
    patients: int
    seed: int
    clinic_id: str
    today: date
    now: datetime
    batch_size: int = 2000
    workers: int = 1


@dataclass(frozen=True)
class SynthReport:
    written: int
    skipped: int
    events: int


def synth_patient_id(seed: int, index: int) -> str:
    """The stored id of synthetic patient ``index`` of registry ``seed`` (stable)."""
    return str(uuid.uuid5(_SYNTH_NAMESPACE, f"{seed}:{index}"))


def write_synthetic_registry(
    store: Store, plan: SynthPlan, on_progress: Callable[[int], None] | None = None
) -> SynthReport:
    """Write patients ``0 .. patients - 1`` of registry ``seed``, skipping present ones."""
    _ensure_clinic(store, plan)
    written = skipped = events = 0
    for size, missing in _batches_to_write(store, plan):
        with store.engine.begin() as connection:
            events += _insert_batch(connection, plan, missing)
        written += len(missing)
        skipped += size - len(missing)
        if on_progress is not None:
            on_progress(size)
    if written:
        refresh_planner_statistics(store.engine)
    return SynthReport(written, skipped, events)


def _batches_to_write(
    store: Store, plan: SynthPlan
) -> Iterator[tuple[int, list[tuple[int, EventPairs]]]]:
    """(size, [(index, events) for each missing patient]) per batch, in order."""
    in_flight: deque[tuple[int, Future[list[tuple[int, EventPairs]]]]] = deque()
    with ProcessPoolExecutor(max_workers=max(plan.workers, 1)) as pool:
        for start in range(0, plan.patients, plan.batch_size):
            size = min(plan.batch_size, plan.patients - start)
            indexes = _missing(store, plan.seed, range(start, start + size))
            future = pool.submit(_generate, plan.seed, plan.today, indexes)
            in_flight.append((size, future))
            if len(in_flight) > 2 * plan.workers:
                count, done = in_flight.popleft()
                yield count, done.result()
        while in_flight:
            count, done = in_flight.popleft()
            yield count, done.result()


def _missing(store: Store, seed: int, indexes: range) -> list[int]:
    ids = {synth_patient_id(seed, index): index for index in indexes}
    present = present_patient_ids(store.engine, ids)
    return [index for patient_id, index in ids.items() if patient_id not in present]


def _generate(seed: int, today: date, indexes: list[int]) -> list[tuple[int, EventPairs]]:
    """In a worker: each patient's events, from ``(seed, index)`` alone."""
    knowledge, rates = load_knowledge(), SynthRates()
    generated = []
    for index in indexes:
        document = synth_record(index, seed=seed, today=today, rates=rates)
        try:
            record = course_record_from_json(document, knowledge, today=today)
            document = course_record_to_json(record)
        except RecordError:
            pass  # kept as generated: the re-assessment reports it as an invalid record
        generated.append((index, events_from_record(document)))
    return generated


def _insert_batch(
    connection: Connection, plan: SynthPlan, patients: list[tuple[int, EventPairs]]
) -> int:
    if not patients:
        return 0
    patient_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for index, pairs in patients:
        patient_id = synth_patient_id(plan.seed, index)
        patient_rows.append({"id": patient_id, "clinic_id": plan.clinic_id, "created_at": plan.now})
        event_rows.extend(
            {
                "id": str(uuid.uuid4()),
                "patient_id": patient_id,
                "kind": kind,
                "payload": payload,
                "recorded_at": plan.now,
            }
            for kind, payload in pairs
        )
    insert_patients_and_events(connection, patient_rows, event_rows)
    return len(event_rows)


def _ensure_clinic(store: Store, plan: SynthPlan) -> None:
    with store.transaction() as session:
        add_clinic_if_new(session, plan.clinic_id, plan.now, name=f"{plan.clinic_id} (synthetic)")
