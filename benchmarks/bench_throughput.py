"""Evaluation throughput on a synthetic registry, against the parse + serialise floor.

Run: ``python benchmarks/bench_throughput.py --patients 20000 --workers 2``.
Records are generated first (not timed), then three passes run side by side:
floor (parse and serialise only, one core), rules (parse + assess + serialise, one
core), and the same over K worker processes via ``isocourse.batch``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date

from isocourse.batch import assess_documents
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.synth import synth_records

TODAY = date(2026, 11, 22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    documents = list(synth_records(options.patients, seed=options.seed, today=TODAY))
    knowledge = load_knowledge()

    started = time.perf_counter()
    for document in documents:
        record = course_record_from_json(document, knowledge, today=TODAY)
        json.dumps({"id": record.patient.id, "as_of": record.as_of.isoformat()})
    floor = time.perf_counter() - started

    started = time.perf_counter()
    for result in assess_documents(documents, as_of=TODAY, workers=1):
        json.dumps(result.assessment)
    one_core = time.perf_counter() - started

    started = time.perf_counter()
    for result in assess_documents(documents, as_of=TODAY, workers=options.workers):
        json.dumps(result.assessment)
    parallel = time.perf_counter() - started

    count = len(documents)
    print(f"patients: {count}, cores: {os.cpu_count()}, workers: {options.workers}")
    print(f"floor (parse + serialise, 1 core): {count / floor:8.0f} records/s")
    print(f"evaluate (1 core):                 {count / one_core:8.0f} records/s per core")
    print(f"evaluate ({options.workers} workers):               {count / parallel:8.0f} records/s")
    print(f"ratio evaluate / floor (1 core):   {one_core / floor:.2f}")


if __name__ == "__main__":
    main()
