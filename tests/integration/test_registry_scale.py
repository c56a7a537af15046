"""A registry at scale: bulk synthetic writes, the streamed daily re-assessment, its table.

Small registries only (the timings live in benchmarks/, never in tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, inspect, select, text, update
from sqlalchemy.exc import OperationalError

from isocourse.assessment_json import assessment_to_json
from isocourse.knowledge.loader import load_knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.registry.reassess import ReassessPlan, reassess_registry
from isocourse.registry.synth_writer import SynthPlan, synth_patient_id, write_synthetic_registry
from isocourse.rules import assess
from isocourse.settings import Settings
from isocourse.store.database import Store, migrate, open_store
from isocourse.store.event_log import stored_events
from isocourse.store.fold import fold_events
from isocourse.store.tables import LatestAssessmentRow, PatientRow
from isocourse.synth import synth_records
from tests.clinic_support import (
    ALLOWED_DEMO,
    NOW,
    TODAY,
    Clinic,
    database_params,
    demo,
    fresh_database,
)

SYNTH_DAY = date(2026, 11, 22)
PATIENTS = 23
SEED = 7


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = open_store(Settings(data_dir=tmp_path, database_url=database_url))
    yield opened
    opened.close()


def synth_plan(**changes: Any) -> SynthPlan:
    fields: dict[str, Any] = {
        "patients": PATIENTS,
        "seed": SEED,
        "clinic_id": "synth",
        "today": SYNTH_DAY,
        "now": NOW,
        "batch_size": 10,
        "workers": 1,
    }
    return SynthPlan(**{**fields, **changes})


def reassess_plan(**changes: Any) -> ReassessPlan:
    fields: dict[str, Any] = {"as_of": SYNTH_DAY, "assessed_at": NOW, "batch_size": 10}
    return ReassessPlan(**{**fields, **changes})


def folded(store: Store, index: int) -> dict[str, Any]:
    with store.transaction() as session:
        events = stored_events(session, synth_patient_id(SEED, index))
    return fold_events(events, as_of=SYNTH_DAY)


def parsed(document: dict[str, Any]) -> CourseRecord | str:
    try:
        return course_record_from_json(document, load_knowledge(), today=SYNTH_DAY)
    except RecordError as error:
        return f"invalid: {error}"


def latest_rows(store: Store) -> dict[str, dict[str, Any]]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(LatestAssessmentRow.__table__)).mappings()
        return {row["patient_id"]: dict(row) for row in rows}


def test_synth_writes_patients_whose_folded_records_are_the_generated_ones(store: Store) -> None:
    report = write_synthetic_registry(store, synth_plan())
    assert (report.written, report.skipped) == (PATIENTS, 0)
    generated = synth_records(PATIENTS, seed=SEED, today=SYNTH_DAY)
    for index, document in enumerate(generated):
        record = parsed(folded(store, index))
        assert not isinstance(record, str), record
        # the store names each prescription (its event's id); nothing else may differ
        assert all(p.id for p in record.prescriptions)
        unnamed = tuple(replace(p, id=None) for p in record.prescriptions)
        assert replace(record, prescriptions=unnamed) == parsed(document)


def test_synth_again_with_the_same_seed_skips_the_patients_already_written(store: Store) -> None:
    write_synthetic_registry(store, synth_plan(patients=12))
    report = write_synthetic_registry(store, synth_plan(batch_size=7))
    assert (report.written, report.skipped) == (PATIENTS - 12, 12)
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(PatientRow)) == PATIENTS


def test_synth_leaves_postgresqls_planner_statistics_of_what_it_wrote(store: Store) -> None:
    """A bulk load analyzes what it wrote on PostgreSQL (the planner knows the registry's
    size at once, not after autovacuum's next pass); SQLite has no statistics to keep."""
    write_synthetic_registry(store, synth_plan(patients=12))
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            counted = "SELECT reltuples FROM pg_class WHERE relname = :table"
            assert connection.scalar(text(counted), {"table": "patients"}) == 12
            assert connection.scalar(text(counted), {"table": "events"}) > 12
        else:
            stat_tables = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
            assert connection.scalar(text(stat_tables)) == 0


def test_reassess_stores_each_patients_assessment_of_the_folded_record(store: Store) -> None:
    write_synthetic_registry(store, synth_plan())
    summary = reassess_registry(store, load_knowledge(), reassess_plan())
    rows = latest_rows(store)
    assert summary.patients == len(rows) == PATIENTS
    knowledge = load_knowledge()
    for index in range(PATIENTS):
        row = rows[synth_patient_id(SEED, index)]
        record = parsed(folded(store, index))
        if isinstance(record, str):
            assert row["error"] and row["blocking"]
            continue
        expected = assessment_to_json(assess(record, knowledge, as_of=SYNTH_DAY))
        assert row["assessment"] == expected
        assert row["blocking"] is not expected["dispense"]["allowed"]
    assert summary.invalid == sum(1 for row in rows.values() if row["error"])


def test_reassess_in_worker_processes_stores_what_one_process_stores(store: Store) -> None:
    write_synthetic_registry(store, synth_plan())
    reassess_registry(store, load_knowledge(), reassess_plan(workers=1))
    one_process = latest_rows(store)
    with store.engine.begin() as connection:
        connection.execute(LatestAssessmentRow.__table__.delete())
    reassess_registry(store, load_knowledge(), reassess_plan(workers=2, batch_size=4))
    assert latest_rows(store) == one_process


def test_reassess_reads_events_once_per_batch_of_at_most_batch_size(store: Store) -> None:
    write_synthetic_registry(store, synth_plan())
    event_reads: list[int] = []

    def count(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM events" in statement:
            event_reads.append(1)

    pages: list[int] = []

    def page_sizes(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "FROM patients" in statement and "LIMIT" in statement.upper():
            pages.append(1)

    event.listen(store.engine, "before_cursor_execute", count)
    event.listen(store.engine, "before_cursor_execute", page_sizes)
    try:
        reassess_registry(store, load_knowledge(), reassess_plan(batch_size=5))
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
        event.remove(store.engine, "before_cursor_execute", page_sizes)
    batches = -(-PATIENTS // 5)
    assert len(event_reads) == batches  # one events query per batch, never one per patient
    assert len(pages) == batches + 1  # the last page comes back empty


def test_reassess_batches_never_hold_more_than_batch_size_patients(store: Store) -> None:
    from isocourse.registry.streaming import patient_pages

    write_synthetic_registry(store, synth_plan())
    sizes = [len(page) for page in patient_pages(store.engine, page_size=4)]
    assert sizes == [4] * (PATIENTS // 4) + [PATIENTS % 4]


def test_the_worklist_uses_a_fresh_stored_assessment(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    system = clinic.app.state.wiring.system
    reassess_registry(system.store, system.knowledge, reassess_plan(as_of=TODAY))
    mark_stored_assessment(system.store, patient_id)
    assert worklist_codes(clinic) == ["STORED_MARKER"]


def test_the_worklist_recomputes_after_a_new_event(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    system = clinic.app.state.wiring.system
    reassess_registry(system.store, system.knowledge, reassess_plan(as_of=TODAY))
    mark_stored_assessment(system.store, patient_id)
    weight = {"date": "2026-03-15", "value": 70, "unit": "kg"}
    body = {"kind": "weight", "entry": weight}
    url = f"/api/v1/patients/{patient_id}/events"
    assert clinic.client.post(url, json=body, headers=clinic.as_user("doc_a")).status_code == 201
    assert "STORED_MARKER" not in worklist_codes(clinic)


def test_the_worklist_recomputes_when_the_stored_day_is_not_today(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    system = clinic.app.state.wiring.system
    reassess_registry(system.store, system.knowledge, reassess_plan(as_of=date(2026, 3, 14)))
    mark_stored_assessment(system.store, patient_id)
    assert "STORED_MARKER" not in worklist_codes(clinic)


def mark_stored_assessment(store: Store, patient_id: str) -> None:
    """Put a marker alert into the stored assessment, to see which one the work-list used."""
    table = LatestAssessmentRow.__table__
    with store.engine.begin() as connection:
        stored = connection.scalar(
            select(table.c.assessment).where(table.c.patient_id == patient_id)
        )
        assert stored is not None
        marker = {"code": "STORED_MARKER", "severity": "info", "message": "m", "source": "s"}
        changed = {**stored, "alerts": [marker]}
        connection.execute(
            update(table).where(table.c.patient_id == patient_id).values(assessment=changed)
        )


def worklist_codes(clinic: Clinic) -> list[str]:
    response = clinic.client.get("/api/v1/worklist", headers=clinic.as_user("doc_a"))
    assert response.status_code == 200, response.text
    return [a["code"] for row in response.json() for a in row["assessment"]["alerts"]]


@pytest.mark.parametrize("kind", database_params())
def test_the_migration_adds_latest_assessments_to_a_v0001_database(
    kind: str, tmp_path: Path
) -> None:
    url = fresh_database(kind, tmp_path, migrated=False)
    migrate(url, "0001")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO clinics (id, name, created_at) VALUES ('c', 'C', :now)"),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        assert "latest_assessments" not in inspect(engine).get_table_names()
        migrate(url)
        inspector = inspect(engine)
        assert "latest_assessments" in inspector.get_table_names()
        columns = {c["name"] for c in inspector.get_columns("latest_assessments")}
        assert {"patient_id", "clinic_id", "as_of", "tier_rank", "assessment"} <= columns
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM clinics")) == 1
    finally:
        engine.dispose()


def test_a_reading_transaction_on_sqlite_does_not_hold_up_a_writer(tmp_path: Path) -> None:
    from isocourse.store.database import make_engine, reading

    url = fresh_database("sqlite", tmp_path)
    reader, writer = make_engine(url), make_engine(url)
    for engine in (reader, writer):  # wait 0.2 s for a lock, not 30 s
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=200"))
    patients = PatientRow.__table__
    try:
        with reading(reader).connect() as held:
            assert held.scalar(select(func.count()).select_from(patients)) == 0
            with writer.begin() as connection:  # the reader's transaction is still open
                connection.execute(patients.delete())
        # whereas an ordinary transaction takes the write lock and holds the next one up
        with writer.begin() as locking, reader.connect() as blocked:
            locking.execute(patients.delete())
            with pytest.raises(OperationalError, match="locked"):
                blocked.execute(patients.delete())
    finally:
        reader.dispose()
        writer.dispose()
