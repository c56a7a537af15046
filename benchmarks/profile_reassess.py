"""Where a re-assessment's time goes, stage by stage, in one process (no workers).

Run on a registry that ``bench_reassess.py`` or ``isocourse synth`` wrote:
``python benchmarks/profile_reassess.py sqlite:////tmp/bench-reassess-XXXX/registry.sqlite3``
(or a PostgreSQL URL). Pages through every patient as ``isocourse reassess`` does and
times each stage of a page separately: the events read, the fold (payloads kept as
JSON text), the record parser, the rules, the stored row (assessment JSON and
work-list tier) and the upsert. Prints milliseconds per patient for each stage; the
upserts write the same rows a real run writes.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, date, datetime

from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_text
from isocourse.registry.streaming import fold_page, patient_pages, read_events
from isocourse.rules import assess
from isocourse.settings import Settings
from isocourse.store.database import open_store
from isocourse.store.latest_assessments import (
    AssessedPatient,
    knowledge_digest,
    latest_row,
    upsert_latest,
)

TODAY = date(2026, 11, 22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--batch-size", type=int, default=1000)
    options = parser.parse_args()
    store = open_store(Settings(database_url=options.database_url))
    knowledge = load_knowledge()
    digest = knowledge_digest(knowledge)
    seconds: Counter[str] = Counter()
    patients = 0
    for page in patient_pages(store.engine, page_size=options.batch_size):
        started = time.perf_counter()
        events = read_events(store.engine, page)
        lap = _lap(seconds, "read the events", started)
        folded = fold_page(page, events, TODAY)
        lap = _lap(seconds, "fold (text)", lap)
        records = [course_record_from_text(p.document, knowledge) for p in folded]
        lap = _lap(seconds, "parse", lap)
        assessments = [assess(record, knowledge, as_of=TODAY) for record in records]
        lap = _lap(seconds, "rules", lap)
        rows = [
            latest_row(
                AssessedPatient(p.patient_id, p.clinic_id, p.events_through, a, None),
                as_of=TODAY,
                digest=digest,
                assessed_at=datetime.now(tz=UTC),
            )
            for p, a in zip(folded, assessments, strict=True)
        ]
        lap = _lap(seconds, "stored row", lap)
        with store.engine.begin() as connection:
            upsert_latest(connection, rows)
        _lap(seconds, "upsert", lap)
        patients += len(page)
    store.close()
    total = sum(seconds.values())
    print(f"{patients} patients, {total:.1f} s in one process")
    for stage, spent in seconds.items():
        print(f"{stage:16} {spent * 1000 / patients:6.3f} ms/patient  {spent / total:5.1%}")


def _lap(seconds: Counter[str], stage: str, started: float) -> float:
    now = time.perf_counter()
    seconds[stage] += now - started
    return now


if __name__ == "__main__":
    main()
