"""Audit entries that are transactions of their own (a verification's) are group-committed:
entries queued during a write share the next transaction, in order, in an intact chain;
an entry whose transaction fails is not written and its verification gets no answer."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, select, text
from sqlalchemy.exc import IntegrityError

from isocourse.auth.roles import Actor
from isocourse.service.audit import AuditAppends, verify_chain
from isocourse.service.context import Call
from isocourse.settings import Settings
from isocourse.store.database import Store, migrate, open_store
from isocourse.store.group_commit import NotWritten
from isocourse.store.tables import AuditEntryRow
from tests.clinic_support import Clinic
from tests.integration.test_verification import (
    prescribe,
    statements,
    verify,
    watching_the_loop,
)

WAIT = 30
PHARMACIST = Actor(1, "pharm@a.test", "pharmacist", "clinic-a")
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def sqlite_store(tmp_path: Path) -> Store:
    url = f"sqlite:///{(tmp_path / 'audit.sqlite3').as_posix()}"
    migrate(url)
    return open_store(Settings(database_url=url))


def test_entries_queued_during_a_write_share_one_transaction_in_order(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    appends = AuditAppends(store)
    begins: list[str] = []
    event.listen(store.engine, "begin", lambda connection: begins.append("BEGIN"))

    def append(number: int) -> None:
        call = Call(PHARMACIST, f"request-{number}", NOW.date(), NOW)
        appends.append(call, "prescription.verify", patient_id=f"patient-{number}")

    threads = []
    with store.writer_queue:  # another writer holds the database: the first append waits
        for number in range(10):
            threads.append(threading.Thread(target=append, args=(number,)))
            threads[-1].start()
            deadline = time.monotonic() + WAIT
            # the first is taken into a batch of its own at once; the others queue
            while appends.waiting() != number:
                assert time.monotonic() < deadline, "timed out"
                time.sleep(0.005)
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    with store.reading() as session:
        entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)))
        report = verify_chain(session)
    assert [entry.request_id for entry in entries] == [f"request-{n}" for n in range(10)]
    assert report.intact and report.entries == 10
    assert len(begins) == 2 + 1  # two write transactions (1 entry, then 9), and the read
    store.close()


def test_a_verification_whose_audit_entry_fails_gets_no_answer(clinic: Clinic) -> None:
    store = clinic.app.state.wiring.system.store
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the failure is injected with a SQLite trigger")
    _, prescription_id, birth = prescribe(clinic)
    with store.reading() as session:
        before = verify_chain(session).entries
    with store.transaction() as session:
        session.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit storage refused the entry'); END"
            )
        )
    with pytest.raises(NotWritten, match="audit storage refused the entry") as refused:
        verify(clinic, prescription_id, birth)  # the test client re-raises the server's error
    assert isinstance(refused.value.__cause__, IntegrityError)
    with store.transaction() as session:
        session.execute(text("DROP TRIGGER refuse_audit"))
    with store.reading() as session:
        report = verify_chain(session)
    assert report.intact and report.entries == before
    assert verify(clinic, prescription_id, birth).status_code == 200
    with store.reading() as session:
        assert verify_chain(session).entries == before + 1


READS = [
    ("/api/v1/patients/{id}/record", "record.read"),
    ("/api/v1/patients/{id}/assessment", "assessment.read"),
    ("/api/v1/patients/{id}/events", "events.read"),
    ("/api/v1/patients/{id}/report.pdf", "report.read"),
    ("/api/v1/patients/{id}/calendar.ics", "calendar.read"),
    ("/fhir/Patient/{id}/$everything", "fhir.everything"),
    ("/fhir/Patient/{id}", "fhir.read"),
    ("/api/v1/worklist", "worklist.read"),
]


@pytest.mark.parametrize(("path", "action"), READS, ids=[action for _, action in READS])
def test_a_read_takes_the_write_lock_only_for_its_audit_entry(
    clinic: Clinic, path: str, action: str
) -> None:
    """The caller and the data are read in snapshots; one short write transaction appends
    the read's audit entries (on SQLite only a write begins IMMEDIATE)."""
    store = clinic.app.state.wiring.system.store
    patient_id, _, _ = prescribe(clinic)
    with statements(clinic) as sent:
        response = clinic.client.get(path.format(id=patient_id), headers=clinic.as_user("doc_a"))
    assert response.status_code == 200, response.text
    if store.engine.dialect.name == "sqlite":
        begins = [s.statement for s in sent if s.statement.startswith("BEGIN")]
        assert begins == ["BEGIN", "BEGIN", "BEGIN IMMEDIATE"], begins
    with store.reading() as session:
        last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id.desc())).first()
        assert verify_chain(session).intact
    assert last is not None
    assert (last.action, last.patient_id, last.user_email) == (action, patient_id, "doc_a@a.test")


def test_the_worklist_audits_every_patient_it_shows_in_one_transaction(clinic: Clinic) -> None:
    patients = [prescribe(clinic)[0] for _ in range(3)]
    with statements(clinic) as sent:
        shown = clinic.client.get("/api/v1/worklist", headers=clinic.as_user("doc_a")).json()
    assert sorted(row["patient_id"] for row in shown) == sorted(patients)
    with clinic.app.state.wiring.system.store.reading() as session:
        entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)))
    read = [entry.patient_id for entry in entries if entry.action == "worklist.read"]
    assert sorted(read) == sorted(patients)
    assert len([s for s in sent if s.statement.startswith("INSERT INTO audit_entries")]) == 1


def test_the_verification_runs_on_the_event_loop_on_either_database(clinic: Clinic) -> None:
    """The check and its audit entry's write run on the server's event loop, with no hop
    to a thread: SQLite (a local file) as it is, when the lock is free; PostgreSQL (a
    network round trip per query) through the asyncio driver, each round trip awaited."""
    store = clinic.app.state.wiring.system.store
    _, prescription_id, birth = prescribe(clinic)
    sqlite = store.engine.dialect.name == "sqlite"
    assert store.serves_on_loop is sqlite
    assert (store.on_loop is None) is sqlite
    on_loop: dict[str, bool] = {}

    def note(kind: str) -> None:
        thread = threading.current_thread().name
        on_loop.setdefault(
            kind, asyncio_loop_running() and not thread.startswith(("AnyIO", "group-commit"))
        )

    def began(connection: Connection) -> None:
        read_only = connection.get_execution_options().get("isocourse_read_only")
        note("read" if read_only else "write")

    def sent(_connection: object, statement: object) -> None:
        note("write" if "audit" in str(statement) else "read")

    event.listen(store.engine, "begin", began)
    try:
        with watching_the_loop(sent):
            assert verify(clinic, prescription_id, birth).status_code == 200
    finally:
        event.remove(store.engine, "begin", began)
    assert on_loop == {"read": True, "write": True}


def asyncio_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_a_write_that_would_wait_is_not_begun_on_the_loop_and_goes_to_the_writer_thread(
    tmp_path: Path,
) -> None:
    store = sqlite_store(tmp_path)
    other_process = open_store(Settings(database_url=str(store.engine.url)))
    appends = AuditAppends(store)
    writers: list[str] = []
    event.listen(
        store.engine, "begin", lambda connection: writers.append(threading.current_thread().name)
    )
    call = Call(PHARMACIST, "req-1", NOW.date(), NOW, None)

    async def append_while_the_other_process_writes() -> None:
        with other_process.transaction():  # holds the writers' file lock
            with store.transaction_now() as session:
                assert session is None
            waiting = asyncio.create_task(appends.append_async(call, "test.read", patient_id="p"))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # the loop turned; the entry waits for the lock
        await asyncio.wait_for(waiting, WAIT)

    asyncio.run(append_while_the_other_process_writes())
    with store.reading() as session:
        assert verify_chain(session).entries == 1
    assert [name for name in writers if name.startswith("group-commit")]
    with store.transaction_now() as session:  # free again: begun at once
        assert session is not None
    store.close()
    other_process.close()
