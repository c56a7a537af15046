"""Evaluate many course records at once, spread over worker processes.

Records stream in, results stream out in the same order, and at most a few chunks
per worker are in flight, so memory stays flat however large the registry. The
rules are pure, so the work splits by patient.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from isocourse.assessment_json import assessment_to_json
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.rules import assess

Document = dict[str, Any]


@dataclass(frozen=True)
class BatchResult:
    """One record's outcome: its assessment (JSON form) or why it was refused."""

    patient_id: str
    assessment: Document | None
    error: str | None = None


def assess_documents(
    documents: Iterable[Document],
    *,
    as_of: date,
    workers: int = 1,
    chunk_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[BatchResult]:
    """Assess each course-record document on ``as_of``; results keep the input order."""
    chunks = _chunks(documents, chunk_size)
    if workers <= 1:
        results: Iterable[list[BatchResult]] = (_assess_chunk(c, as_of) for c in chunks)
    else:
        results = _in_processes(chunks, as_of, workers)
    for chunk_results in results:
        yield from chunk_results
        if on_progress is not None:
            on_progress(len(chunk_results))


def _in_processes(
    chunks: Iterator[list[Document]], as_of: date, workers: int
) -> Iterator[list[BatchResult]]:
    in_flight: deque[Future[list[BatchResult]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=load_knowledge) as pool:
        for chunk in chunks:
            in_flight.append(pool.submit(_assess_chunk, chunk, as_of))
            if len(in_flight) >= 2 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _assess_chunk(chunk: list[Document], as_of: date) -> list[BatchResult]:
    knowledge = load_knowledge()
    results = []
    for document in chunk:
        patient_id = str((document.get("patient") or {}).get("id", "?"))
        try:
            record = course_record_from_json(
                {**document, "as_of": as_of.isoformat()}, knowledge, today=as_of
            )
        except RecordError as error:
            results.append(BatchResult(patient_id, None, str(error)))
            continue
        assessment = assess(record, knowledge, as_of=as_of)
        results.append(BatchResult(patient_id, assessment_to_json(assessment)))
    return results


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk
