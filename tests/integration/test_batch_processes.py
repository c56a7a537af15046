"""Batch evaluation in worker processes matches one-by-one evaluation (moved from
tests/unit/test_synth_and_batch.py: starting processes is not a unit test's work)."""

from __future__ import annotations

from datetime import date

from isocourse.assessment_json import assessment_to_json
from isocourse.batch import assess_documents
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from isocourse.synth import synth_records

TODAY = date(2026, 11, 22)


def test_batch_results_in_worker_processes_match_one_by_one_evaluation() -> None:
    documents = list(synth_records(120, seed=2, today=TODAY))
    parallel = list(assess_documents(documents, as_of=TODAY, workers=2, chunk_size=25))
    knowledge = load_knowledge()
    for document, result in zip(documents, parallel, strict=True):
        record = course_record_from_json(document, knowledge, today=TODAY)
        assert result.patient_id == record.patient.id
        assert result.assessment == assessment_to_json(assess(record, knowledge, as_of=TODAY))
