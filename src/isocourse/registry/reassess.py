"""The daily re-assessment: every patient of the registry, evaluated for one day, stored.

Patients stream from the database in batches (:mod:`isocourse.registry.streaming`),
the pure evaluation runs over worker processes (:mod:`isocourse.batch`, results in
input order), and each patient's outcome is upserted into ``latest_assessments``
in batches of the same size. Memory holds a few batches, however large the registry.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from isocourse.batch import BatchResult, Document, assess_documents
from isocourse.knowledge.model import Knowledge
from isocourse.registry.latest import AssessedPatient, knowledge_digest, latest_row, upsert_latest
from isocourse.registry.streaming import FoldedPatient, folded_batches
from isocourse.store.database import Store


@dataclass
class ReassessSummary:
    """What a run found: patients, invalid records, alerts by severity, wall time."""

    patients: int = 0
    invalid: int = 0
    alerts_by_severity: Counter[str] = field(default_factory=Counter)
    blocked: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ReassessPlan:
    as_of: date
    assessed_at: datetime
    workers: int = 1
    batch_size: int = 1000
    chunk_size: int = 250


def reassess_registry(
    store: Store,
    knowledge: Knowledge,
    plan: ReassessPlan,
    on_progress: Callable[[int], None] | None = None,
) -> ReassessSummary:
    """Re-assess every patient for ``plan.as_of`` and store each one's latest assessment."""
    started = time.perf_counter()
    summary = ReassessSummary()
    pending: deque[FoldedPatient] = deque()
    digest = knowledge_digest(knowledge)
    rows: list[dict[str, Any]] = []
    results = assess_documents(
        _documents(store, plan, pending),
        as_of=plan.as_of,
        workers=plan.workers,
        chunk_size=plan.chunk_size,
        on_progress=on_progress,
    )
    for result in results:
        patient = _outcome(pending.popleft(), result)
        _count(summary, patient)
        rows.append(
            latest_row(patient, as_of=plan.as_of, digest=digest, assessed_at=plan.assessed_at)
        )
        if len(rows) >= plan.batch_size:
            _store(store, rows)
    _store(store, rows)
    summary.seconds = time.perf_counter() - started
    return summary


def _documents(
    store: Store, plan: ReassessPlan, pending: deque[FoldedPatient]
) -> Iterator[Document]:
    for batch in folded_batches(store.engine, as_of=plan.as_of, batch_size=plan.batch_size):
        for patient in batch:
            pending.append(patient)
            yield patient.document


def _outcome(patient: FoldedPatient, result: BatchResult) -> AssessedPatient:
    return AssessedPatient(
        patient.patient_id,
        patient.clinic_id,
        patient.events_through,
        result.assessment,
        result.error,
    )


def _count(summary: ReassessSummary, patient: AssessedPatient) -> None:
    summary.patients += 1
    if patient.assessment is None:
        summary.invalid += 1
        return
    summary.alerts_by_severity.update(alert["severity"] for alert in patient.assessment["alerts"])
    summary.blocked += not patient.assessment["dispense"]["allowed"]


def _store(store: Store, rows: list[dict[str, Any]]) -> None:
    """Upsert and clear ``rows`` in one transaction."""
    if rows:
        with store.engine.begin() as connection:
            upsert_latest(connection, rows)
        rows.clear()
