"""Fictional registries are reproducible and valid; batch evaluation in one process (in
worker processes: tests/integration/test_batch_processes.py)."""

from __future__ import annotations

from datetime import date

from isocourse.batch import assess_documents
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.synth import synth_records

TODAY = date(2026, 11, 22)


def test_the_same_seed_gives_the_same_registry() -> None:
    assert list(synth_records(30, seed=7, today=TODAY)) == list(
        synth_records(30, seed=7, today=TODAY)
    )
    assert list(synth_records(30, seed=7, today=TODAY)) != list(
        synth_records(30, seed=8, today=TODAY)
    )


def test_a_registry_can_be_generated_in_parts() -> None:
    whole = list(synth_records(20, seed=3, today=TODAY))
    parts = list(synth_records(10, seed=3, today=TODAY)) + list(
        synth_records(10, seed=3, today=TODAY, start=10)
    )
    assert whole == parts


def test_every_synthetic_record_is_valid() -> None:
    # 3,000 records of seed 1 once held 7 finished courses whose last dose period
    # ended before it began: rare cases need a registry of this size to show
    knowledge = load_knowledge()
    for document in synth_records(3000, seed=1, today=TODAY):
        course_record_from_json(document, knowledge, today=TODAY)


def test_synthetic_registries_contain_problems_at_realistic_rates() -> None:
    results = list(assess_documents(synth_records(600, seed=5, today=TODAY), as_of=TODAY))
    assert all(result.error is None for result in results)
    blocked = sum(1 for r in results if r.assessment and not r.assessment["dispense"]["allowed"])
    assert 0.05 * len(results) < blocked < 0.95 * len(results)


def test_batch_reports_progress_and_refusals() -> None:
    seen: list[int] = []
    documents = [
        *synth_records(5, seed=1, today=TODAY),
        {"format": "wrong", "patient": {"id": "x"}},
    ]
    results = list(assess_documents(documents, as_of=TODAY, chunk_size=2, on_progress=seen.append))
    assert sum(seen) == 6
    assert results[-1].assessment is None and results[-1].error and "format" in results[-1].error
