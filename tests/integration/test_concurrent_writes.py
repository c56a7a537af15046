"""Simultaneous writes give the one correct result (SQLite; PostgreSQL when configured):
two corrections of one entry make one correction and one 409; concurrent imports of
one course record under one Idempotency-Key make one patient; the same FHIR Bundle
imported at once from several requests is recorded once."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from isocourse.auth.roles import Actor
from isocourse.auth.users import actor_of
from isocourse.errors import ServiceError
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.enrolment import Enrolment, enrol_patient
from isocourse.service.observation_import import import_bundle
from isocourse.service.recording import correct_entry
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from isocourse.store.tables import Clinic as ClinicTable
from isocourse.store.tables import EventRow, PatientRow, UserRow
from tests.clinic_support import ALLOWED_DEMO, NOW, TODAY, Clinic, demo

Outcome = Any


def _system(clinic: Clinic) -> ClinicSystem:
    system: ClinicSystem = clinic.app.state.wiring.system
    return system


def _prescriber(clinic: Clinic) -> Actor:
    with _system(clinic).store.transaction() as session:
        return actor_of(
            session.scalars(select(UserRow).where(UserRow.email == "doc_a@a.test")).one()
        )


def at_once(count: int, work: Callable[[int], Outcome]) -> list[Outcome]:
    """Run ``work(i)`` in ``count`` threads released together; their answers or error codes."""
    start = threading.Barrier(count)
    outcomes: list[Outcome] = []

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes.append(work(index))
        except ServiceError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == count
    return outcomes


def test_two_simultaneous_corrections_of_one_entry_make_one(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    headers = clinic.as_user("doc_a")
    events = clinic.client.get(f"/api/v1/patients/{patient_id}/events", headers=headers).json()
    target = next(e["event_id"] for e in events if e["kind"] == "lab_result")
    system, actor = _system(clinic), _prescriber(clinic)

    def correct(index: int) -> Outcome:
        call = Call(actor, f"correction-{index}", TODAY, NOW)
        return correct_entry(system, call, patient_id, target, f"wrong patient ({index})")

    outcomes = at_once(2, correct)
    assert sorted(o if isinstance(o, str) else "corrected" for o in outcomes) == [
        "ALREADY_CORRECTED",
        "corrected",
    ]
    with system.store.transaction() as session:
        query = select(func.count()).where(EventRow.corrects_event_id == target)
        assert session.scalar(query) == 1


def test_concurrent_imports_under_one_idempotency_key_make_one_patient(clinic: Clinic) -> None:
    system, actor = _system(clinic), _prescriber(clinic)
    record = demo(ALLOWED_DEMO)

    def enrol(index: int) -> Outcome:
        call = Call(actor, f"import-{index}", TODAY, NOW, idempotency_key="import-once")
        return enrol_patient(system, call, record)

    outcomes = at_once(4, enrol)
    assert all(isinstance(o, Enrolment) for o in outcomes), outcomes
    assert len({o.patient_id for o in outcomes}) == 1
    with system.store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(PatientRow)) == 1


def test_one_bundle_imported_at_once_is_recorded_once(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    system, actor = _system(clinic), _prescriber(clinic)
    with system.store.transaction() as session:
        before = session.scalar(select(func.count()).where(EventRow.patient_id == patient_id))

    def import_once(index: int) -> Outcome:
        call = Call(actor, f"bundle-{index}", TODAY, NOW)
        return import_bundle(system, call, patient_id, _triglycerides_bundle())

    outcomes = at_once(3, import_once)
    assert sorted(len(o.event_ids) for o in outcomes) == [0, 0, 1]
    with system.store.transaction() as session:
        after = session.scalar(select(func.count()).where(EventRow.patient_id == patient_id))
    assert after == (before or 0) + 1


def _triglycerides_bundle() -> dict[str, Any]:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2571-8"}]},
        "effectiveDateTime": "2026-03-14T08:30:00Z",
        "valueQuantity": {
            "value": 180,
            "unit": "mg/dL",
            "system": "http://unitsofmeasure.org",
            "code": "mg/dL",
        },
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": observation}]}


def test_one_processs_sqlite_writers_queue_in_the_process_not_at_the_file(
    tmp_path: Path,
) -> None:
    """With SQLite's own wait switched off (busy timeout 0), a writer that met the file's
    lock would fail at once: every one of many concurrent transactions succeeds, because
    the store queues its writers before BEGIN IMMEDIATE."""
    url = f"sqlite:///{(tmp_path / 'queue.sqlite3').as_posix()}"
    migrate(url)
    store = open_store(Settings(data_dir=tmp_path, database_url=url))
    event.listen(store.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=0"))
    table = ClinicTable.__table__

    def write(index: int) -> Outcome:
        for round_ in range(10):
            with store.transaction() as session:
                row = {"id": f"c{index}-{round_}", "name": "queued", "created_at": NOW}
                session.execute(table.insert().values(**row))
        return "ok"

    try:
        assert at_once(8, write) == ["ok"] * 8
        with store.reading() as session:
            assert session.scalar(select(func.count()).select_from(table)) == 80
    finally:
        store.close()


def _write_rows_with_no_busy_wait(url: str, prefix: str, count: int) -> int:
    """In another process: ``count`` transactions with SQLite's own wait switched off."""
    store = open_store(Settings(database_url=url))
    event.listen(store.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=0"))
    try:
        for number in range(count):
            with store.transaction() as session:
                row = {"id": f"{prefix}-{number}", "name": "queued", "created_at": NOW}
                session.execute(ClinicTable.__table__.insert().values(**row))
        return count
    finally:
        store.close()


@pytest.mark.slow  # two writer processes
def test_sqlite_writers_of_several_processes_queue_at_the_file_lock_not_in_sqlite(
    tmp_path: Path,
) -> None:
    """Two processes writing at once, each with SQLite's busy wait switched off: a writer
    that met SQLite's lock would fail at once. None fails: the processes wait for each
    other on the lock file beside the database first."""
    url = f"sqlite:///{(tmp_path / 'processes.sqlite3').as_posix()}"
    migrate(url)
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
        written = list(pool.map(_write_rows_with_no_busy_wait, [url, url], ["p1", "p2"], [40, 40]))
    assert written == [40, 40]
    store = open_store(Settings(database_url=url))
    try:
        with store.reading() as session:
            total = session.scalar(select(func.count()).select_from(ClinicTable.__table__))
        assert total == 80
        assert (tmp_path / "processes.sqlite3.writers").exists()
    finally:
        store.close()
