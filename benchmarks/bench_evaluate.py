"""Evaluation cost per record, measured side by side with the parse + serialise floor.

Run: ``python benchmarks/bench_evaluate.py [--rounds N]``. Uses the fictional demo
patients (varied, typical records). Prints per-record times and the ratio
(evaluate / floor), so machine noise largely cancels.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date

from isocourse.assessment_json import assessment_to_json
from isocourse.demo_patients import demo_records
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import parse_course_record
from isocourse.rules import assess

TODAY = date(2026, 11, 22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="passes over the demo records")
    rounds = parser.parse_args().rounds
    knowledge = load_knowledge()
    texts = [json.dumps(document) for document in demo_records(TODAY)]
    records = [parse_course_record(text, knowledge, today=TODAY) for text in texts]

    def floor() -> None:  # parse and serialise only: the cost of merely handling records
        for text in texts:
            record = parse_course_record(text, knowledge, today=TODAY)
            json.dumps({"id": record.patient.id, "as_of": record.as_of.isoformat()})

    def rules_only() -> None:
        for record in records:
            assess(record, knowledge, as_of=record.as_of)

    def end_to_end() -> None:
        for text in texts:
            record = parse_course_record(text, knowledge, today=TODAY)
            json.dumps(assessment_to_json(assess(record, knowledge, as_of=record.as_of)))

    results = {
        name: _per_record(run, rounds, len(texts))
        for name, run in (("floor", floor), ("rules", rules_only), ("end_to_end", end_to_end))
    }
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"records: {len(texts)} demo records x {rounds} rounds, one core")
    for name, seconds in results.items():
        print(f"{name:>11}: {seconds * 1e3:7.3f} ms/record  ({1 / seconds:8.0f} records/s)")
    print(f"ratio end_to_end / floor: {results['end_to_end'] / results['floor']:.2f}")


def _per_record(run: object, rounds: int, count: int) -> float:
    assert callable(run)
    run()  # warm caches (compiled matchers, pydantic adapters)
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(max(1, rounds // 5)):
            run()
        samples.append((time.perf_counter() - started) / (max(1, rounds // 5) * count))
    return statistics.median(samples)


if __name__ == "__main__":
    main()
