"""The daily re-assessment: every patient of the registry, evaluated for one day, stored.

The main process only pages through the patient ids (:func:`patient_pages`) and hands
each page to a worker process. A worker does the whole of a page itself: it reads
the page's event rows (one query), folds them (payloads stay JSON text), evaluates
each record with the pure rules, and upserts the page's rows into
``latest_assessments`` in one short transaction of its own; it sends back only the
page's counts. So reading, folding, evaluating and writing all spread over the
workers, and at most two pages per worker are in flight: memory stays flat however
large the registry.

With one worker (or an in-memory SQLite database, which other processes cannot
open) the same work runs in the calling process, on the caller's engine.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine

from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.record_parser import RecordError, course_record_from_text
from isocourse.registry.streaming import FoldedPatient, patient_pages, read_page
from isocourse.rules import assess
from isocourse.store.database import Store, make_engine
from isocourse.store.latest_assessments import (
    AssessedPatient,
    knowledge_digest,
    latest_row,
    upsert_latest,
)
from isocourse.store.registry_rows import PagePatient


@dataclass
class ReassessSummary:
    """What a run found: patients, invalid records, alerts by severity, wall time."""

    patients: int = 0
    invalid: int = 0
    alerts_by_severity: Counter[str] = field(default_factory=Counter)
    blocked: int = 0
    seconds: float = 0.0

    def add(self, other: ReassessSummary) -> None:
        self.patients += other.patients
        self.invalid += other.invalid
        self.alerts_by_severity.update(other.alerts_by_severity)
        self.blocked += other.blocked


@dataclass(frozen=True)
class ReassessPlan:
    as_of: date
    assessed_at: datetime
    workers: int = 1
    batch_size: int = 1000  # patients per page: one events read and one upsert each


def reassess_registry(
    store: Store,
    knowledge: Knowledge,
    plan: ReassessPlan,
    on_progress: Callable[[int], None] | None = None,
) -> ReassessSummary:
    """Re-assess every patient for ``plan.as_of`` and store each one's latest assessment."""
    started = time.perf_counter()
    summary = ReassessSummary()
    pages = patient_pages(store.engine, page_size=plan.batch_size)
    if plan.workers <= 1 or _in_memory(store.engine):
        outcomes: Iterator[ReassessSummary] = (
            _reassess_page(store.engine, knowledge, plan, page) for page in pages
        )
    else:
        outcomes = _in_processes(store.engine, plan, pages)
    for outcome in outcomes:
        summary.add(outcome)
        if on_progress is not None:
            on_progress(outcome.patients)
    summary.seconds = time.perf_counter() - started
    return summary


def _in_memory(engine: Engine) -> bool:
    url = engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _in_processes(
    engine: Engine, plan: ReassessPlan, pages: Iterator[list[PagePatient]]
) -> Iterator[ReassessSummary]:
    url = engine.url.render_as_string(hide_password=False)
    in_flight: deque[Future[ReassessSummary]] = deque()
    with ProcessPoolExecutor(
        max_workers=plan.workers, initializer=_start_worker, initargs=(url,)
    ) as pool:
        for page in pages:
            in_flight.append(pool.submit(_reassess_page_in_worker, plan, page))
            if len(in_flight) >= 2 * plan.workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


#: a worker process's own engine (a connection cannot cross processes)
_WORKER_ENGINE: list[Engine] = []


def _start_worker(url: str) -> None:
    _WORKER_ENGINE.append(make_engine(url))
    load_knowledge()


def _reassess_page_in_worker(plan: ReassessPlan, page: list[PagePatient]) -> ReassessSummary:
    return _reassess_page(_WORKER_ENGINE[0], load_knowledge(), plan, page)


def _reassess_page(
    engine: Engine, knowledge: Knowledge, plan: ReassessPlan, page: Sequence[PagePatient]
) -> ReassessSummary:
    """Read, fold, evaluate and store one page of patients; return its counts."""
    digest = knowledge_digest(knowledge)
    summary = ReassessSummary()
    rows = []
    for patient in read_page(engine, page, as_of=plan.as_of):
        outcome = _evaluate(patient, knowledge, plan.as_of)
        _count(summary, outcome)
        rows.append(
            latest_row(outcome, as_of=plan.as_of, digest=digest, assessed_at=plan.assessed_at)
        )
    with engine.begin() as connection:
        upsert_latest(connection, rows)
    return summary


def _evaluate(patient: FoldedPatient, knowledge: Knowledge, as_of: date) -> AssessedPatient:
    try:
        record = course_record_from_text(patient.document, knowledge)
    except RecordError as error:
        return AssessedPatient(
            patient.patient_id, patient.clinic_id, patient.events_through, None, str(error)
        )
    assessment = assess(record, knowledge, as_of=as_of)
    return AssessedPatient(
        patient.patient_id, patient.clinic_id, patient.events_through, assessment, None
    )


def _count(summary: ReassessSummary, patient: AssessedPatient) -> None:
    summary.patients += 1
    if patient.assessment is None:
        summary.invalid += 1
        return
    summary.alerts_by_severity.update(alert.severity for alert in patient.assessment.alerts)
    summary.blocked += not patient.assessment.dispense.allowed
