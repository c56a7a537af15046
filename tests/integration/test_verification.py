"""The pharmacist's verification: each condition of its one prescription query (retracted,
another clinic, already dispensed), one audit entry per look, the audit head locked once
per transaction, and the caller's identity read without taking the write lock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text

from isocourse.auth.tokens import new_session_id, sign_session_id
from isocourse.service.audit import verify_chain
from isocourse.settings import Settings
from isocourse.store.audit_chain import lock_head
from isocourse.store.database import ON_LOOP_APPLICATION, open_store
from isocourse.store.tables import AuditEntryRow, EventRow
from tests.clinic_support import ALLOWED_DEMO, Clinic, demo, running_clinic

ORDER = {"days_supply": 30, "mg_per_day": 60}


def prescribe(clinic: Clinic) -> tuple[str, str, dict[str, str]]:
    """A new patient's prescription: (patient id, prescription id, birth date parameter)."""
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    issued = clinic.client.post(
        f"/api/v1/patients/{patient_id}/prescriptions", json=ORDER, headers=clinic.as_user("doc_a")
    )
    assert issued.status_code == 201, issued.text
    return (
        patient_id,
        issued.json()["prescription_id"],
        {"birth_date": record["patient"]["birth_date"]},
    )


def verify(clinic: Clinic, prescription_id: str, birth: dict[str, str], user: str = "pharm_a"):  # type: ignore[no-untyped-def]
    return clinic.client.get(
        f"/api/v1/prescriptions/{prescription_id}/verification",
        params=birth,
        headers=clinic.as_user(user),
    )


@dataclass(frozen=True)
class Sent:
    statement: str
    #: sent inside a transaction (on the event loop's pool: after a BEGIN, not in autocommit)
    in_transaction: bool


@contextmanager
def statements(clinic: Clinic) -> Iterator[list[Sent]]:
    """The SQL statements the database is sent while the block runs: by the store's
    engine, and on PostgreSQL by the event loop's pool (psycopg's asyncio cursors, which
    the API's verification uses)."""
    store = clinic.app.state.wiring.system.store
    sent: list[Sent] = []

    def keep(connection: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(Sent(" ".join(statement.split()), connection.in_transaction()))

    began: set[int] = set()  # the loop's connections with a transaction begun

    def on_loop(connection: psycopg.AsyncConnection[Any], statement: Any) -> None:
        statement = " ".join(str(statement).split())
        if statement == "BEGIN":
            began.add(id(connection))
        elif statement in ("COMMIT", "ROLLBACK"):
            began.discard(id(connection))
        sent.append(Sent(statement, id(connection) in began))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        with watching_the_loop(on_loop):
            yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)


@contextmanager
def watching_the_loop(
    watch: Callable[[psycopg.AsyncConnection[Any], Any], None],
) -> Iterator[None]:
    """``watch(connection, statement)`` before each statement an asyncio cursor sends."""
    cursor = psycopg.AsyncCursor
    execute, execute_many = cursor.execute, cursor.executemany

    async def watched_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        watch(self.connection, query)
        return await execute(self, query, *args, **kwargs)

    async def watched_execute_many(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        watch(self.connection, query)
        return await execute_many(self, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cursor, "execute", watched_execute)
        patch.setattr(cursor, "executemany", watched_execute_many)
        yield


def loop_connections(database: Engine, expected: int) -> int:
    """The event loop pool's connections open on the database server, once they are
    ``expected`` or after 10 s (a server process takes a moment to start or end)."""
    deadline = time.monotonic() + 10
    while True:
        with database.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": ON_LOOP_APPLICATION},
            ).scalar_one()
        if found == expected or time.monotonic() > deadline:
            return int(found)
        time.sleep(0.05)


def audit_count(clinic: Clinic) -> int:
    with clinic.app.state.wiring.system.store.reading() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)


def test_a_dispensed_prescription_verifies_as_already_dispensed(clinic: Clinic) -> None:
    _, prescription_id, birth = prescribe(clinic)
    assert verify(clinic, prescription_id, birth).json()["already_dispensed"] is False
    dispensed = clinic.client.post(
        f"/api/v1/prescriptions/{prescription_id}/dispenses",
        json=birth,
        headers=clinic.as_user("pharm_a"),
    )
    assert dispensed.status_code == 201, dispensed.text
    answer = verify(clinic, prescription_id, birth).json()
    assert (answer["already_dispensed"], answer["allowed"]) == (True, False)


def test_a_wrong_birth_date_is_not_found(clinic: Clinic) -> None:
    _, prescription_id, birth = prescribe(clinic)
    wrong = {"birth_date": "1990-01-01"}
    assert birth != wrong
    assert verify(clinic, prescription_id, wrong).status_code == 404
    assert verify(clinic, prescription_id, birth).status_code == 200


@pytest.mark.parametrize("action", ["verification", "dispenses"])
def test_a_stored_record_that_no_longer_validates_fails_closed_but_only_for_its_birth_date(
    clinic: Clinic, action: str
) -> None:
    """A weight whose value is no longer a number (written past the API, as a faulty
    migration might): the pharmacist is told the record is invalid and nothing is
    dispensed; a caller with the wrong birth date is told only that there is no such
    prescription."""
    patient_id, prescription_id, birth = prescribe(clinic)
    store = clinic.app.state.wiring.system.store
    with store.transaction() as session:
        weight = session.scalars(
            select(EventRow).where(EventRow.patient_id == patient_id, EventRow.kind == "weight")
        ).first()
        assert weight is not None
        weight.payload = {**weight.payload, "value": "heavy"}

    def ask(birth_date: dict[str, str]):  # type: ignore[no-untyped-def]
        path = f"/api/v1/prescriptions/{prescription_id}/{action}"
        headers = clinic.as_user("pharm_a")
        if action == "verification":
            return clinic.client.get(path, params=birth_date, headers=headers)
        return clinic.client.post(path, json=birth_date, headers=headers)

    invalid = ask(birth)
    assert invalid.status_code == 409, invalid.text
    assert "RECORD_INVALID" in invalid.text and "weights" in invalid.text
    assert ask({"birth_date": "1990-01-01"}).status_code == 404
    with store.reading() as session:
        fills = select(EventRow).where(EventRow.fills_prescription_id == prescription_id)
        assert session.scalars(fills).first() is None


def test_a_prescription_marked_entered_in_error_is_not_found(clinic: Clinic) -> None:
    patient_id, prescription_id, birth = prescribe(clinic)
    correction = {"event_id": prescription_id, "reason": "written for the wrong patient"}
    marked = clinic.client.post(
        f"/api/v1/patients/{patient_id}/corrections",
        json=correction,
        headers=clinic.as_user("doc_a"),
    )
    assert marked.status_code == 201, marked.text
    assert verify(clinic, prescription_id, birth).status_code == 404


def test_another_clinics_pharmacist_does_not_find_the_prescription(clinic: Clinic) -> None:
    _, prescription_id, birth = prescribe(clinic)
    assert verify(clinic, prescription_id, birth, user="pharm_b").status_code == 404
    assert verify(clinic, prescription_id, birth, user="pharm_a").status_code == 200


def test_an_event_id_that_is_not_a_prescription_is_not_found(clinic: Clinic) -> None:
    patient_id, _, birth = prescribe(clinic)
    lab = {"date": "2026-03-10", "test": "alt", "value": 40, "unit": "U/L"}
    recorded = clinic.client.post(
        f"/api/v1/patients/{patient_id}/events",
        json={"kind": "lab_result", "entry": lab},
        headers=clinic.as_user("doc_a"),
    )
    assert verify(clinic, recorded.json()["event_id"], birth).status_code == 404


def test_every_verification_writes_one_audit_entry_and_locks_the_head_once(
    clinic: Clinic,
) -> None:
    _, prescription_id, birth = prescribe(clinic)
    before = audit_count(clinic)
    with statements(clinic) as sent:
        assert verify(clinic, prescription_id, birth).status_code == 200
    head_reads = [
        s for s in sent if s.statement.startswith("SELECT") and "audit_head" in s.statement
    ]
    assert len(head_reads) == 1, head_reads
    assert audit_count(clinic) == before + 1


def test_the_verification_reads_in_one_statement_outside_a_transaction(clinic: Clinic) -> None:
    """The caller's session and user, the prescription and its patient's events: one
    statement, one snapshot. On PostgreSQL it runs outside a transaction (no BEGIN and
    COMMIT round trips); the audit entry is written in one."""
    store = clinic.app.state.wiring.system.store
    _, prescription_id, birth = prescribe(clinic)
    with statements(clinic) as sent:
        assert verify(clinic, prescription_id, birth).status_code == 200
    reads = [s for s in sent if s.statement.startswith("SELECT") and "audit" not in s.statement]
    assert len(reads) == 1, reads
    read = reads[0].statement
    assert "FROM sessions JOIN users" in read and "events" in read, reads[0]
    assert "WHERE sessions.id = " in read, read  # the session checked in the same snapshot
    audit = [s for s in sent if "audit" in s.statement]
    assert len(audit) == 3, audit  # the head locked, the entry, the head moved
    assert all(s.in_transaction for s in audit), audit
    if store.on_loop is not None:
        assert reads[0].in_transaction is False
        assert [s.statement for s in sent if s.statement in ("BEGIN", "COMMIT")] == [
            "BEGIN",
            "COMMIT",
        ]


def test_the_head_locked_in_one_transaction_is_locked_again_in_the_next(clinic: Clinic) -> None:
    store = clinic.app.state.wiring.system.store
    with statements(clinic) as sent:
        with store.transaction() as session:
            first = lock_head(session)
            assert lock_head(session) is first
        with store.transaction() as session:
            lock_head(session)
    assert len([s for s in sent if "FROM audit_head" in s.statement]) == 2


def test_only_the_audit_entry_takes_the_write_lock(clinic: Clinic) -> None:
    """The caller's identity and the check are read in one snapshot (the caller's user is
    read inside the check's transaction); one short write transaction appends the audit
    entry."""
    engine = clinic.app.state.wiring.system.store.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("only SQLite takes the write lock at BEGIN")
    _, prescription_id, birth = prescribe(clinic)
    with statements(clinic) as sent:
        verify(clinic, prescription_id, birth)
    begins = [s.statement for s in sent if s.statement.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"], begins


@pytest.mark.parametrize("route", ["verification", "worklist"])
def test_a_token_of_a_session_that_does_not_exist_is_refused(clinic: Clinic, route: str) -> None:
    """Validly signed, but naming no session (its user removed, so its sessions with it):
    the verification (which reads the caller's session and user in the check's snapshot)
    refuses it as the other reads do, and audits the refusal alone (no read took place)."""
    _, prescription_id, birth = prescribe(clinic)
    wiring = clinic.app.state.wiring
    token = sign_session_id(new_session_id(), secret=wiring.secret)
    path = {
        "verification": f"/api/v1/prescriptions/{prescription_id}/verification",
        "worklist": "/api/v1/worklist",
    }[route]
    before = audit_count(clinic)
    refused = clinic.client.get(path, params=birth, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401, refused.text
    assert "no longer exists" in refused.text
    with clinic.app.state.wiring.system.store.reading() as session:
        added = session.scalars(select(AuditEntryRow).where(AuditEntryRow.id > before)).all()
    assert [(entry.action, entry.role, entry.patient_id) for entry in added] == [
        ("access.denied.not_authenticated", "anonymous", None)
    ]
    assert "no longer exists" in added[0].detail


def test_concurrent_verifications_queue_for_the_loop_pool_and_each_is_audited(
    clinic: Clinic,
) -> None:
    """Thirty at once on the server's loop. On PostgreSQL they queue for the event loop
    pool's connections: none is opened beyond the pool (one opened per request and closed
    after it cost more than the request)."""
    store = clinic.app.state.wiring.system.store
    _, prescription_id, birth = prescribe(clinic)
    before = audit_count(clinic)
    with ThreadPoolExecutor(30) as pool:
        answers = list(
            pool.map(lambda _: verify(clinic, prescription_id, birth).status_code, range(90))
        )
    assert answers == [200] * 90
    assert audit_count(clinic) == before + 90
    with store.reading() as session:
        assert verify_chain(session).intact
    if store.on_loop is not None:
        assert 0 < store.on_loop.connections_opened() <= store.on_loop.size < 30


def test_the_verification_is_answered_after_the_database_closed_its_connections(
    clinic: Clinic,
) -> None:
    """As after a PostgreSQL restart: the server closes every connection the pools hold.
    The next verifications are still answered, each once its audit entry is committed:
    the first request on each dead connection must not fail."""
    store = clinic.app.state.wiring.system.store
    if store.on_loop is None:
        pytest.skip("PostgreSQL: a SQLite file has no server to lose")
    _, prescription_id, birth = prescribe(clinic)
    with ThreadPoolExecutor(10) as pool:  # the loop's pool holds several connections
        assert set(
            pool.map(lambda _: verify(clinic, prescription_id, birth).status_code, range(20))
        ) == {200}
    for _ in range(2):  # twice: the connections opened after the first loss are lost too
        with store.engine.connect() as connection:
            closed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND datname = current_database()"
                )
            ).scalar_one()
        assert closed >= 1
        before = audit_count(clinic)
        answers = [verify(clinic, prescription_id, birth).status_code for _ in range(3)]
        assert answers == [200, 200, 200]
        assert audit_count(clinic) == before + 3


def test_a_server_opens_its_loops_connections_as_it_starts_and_closes_them_as_it_stops(
    database_url: str, tmp_path: Path
) -> None:
    """They belong to the server's event loop, which ends with it."""
    clinic_running = running_clinic(database_url, tmp_path)
    clinic = next(clinic_running)
    store = clinic.app.state.wiring.system.store
    if store.on_loop is None:
        pytest.skip("SQLite: the loop uses the store's own connections")
    database = create_engine(database_url)
    try:
        size = store.on_loop.size
        # opened as the server started, in the background: before the first verification
        assert loop_connections(database, size) == size
        _, prescription_id, birth = prescribe(clinic)
        assert verify(clinic, prescription_id, birth).status_code == 200
        assert loop_connections(database, size) == size
        with pytest.raises(StopIteration):
            next(clinic_running)  # the server stops
        assert loop_connections(database, 0) == 0
    finally:
        database.dispose()


def test_the_threads_pool_keeps_a_connection_per_server_thread(database_url: str) -> None:
    """A pool smaller than the threads that use it at once opens and closes a connection
    per request under load (on PostgreSQL, a server process each)."""
    store = open_store(Settings(database_url=database_url, server_threads=3))
    try:
        if store.on_loop is None:
            pytest.skip("SQLite: a connection is a file handle, opened at no cost")
        assert store.engine.pool.size() == 3 + 2  # type: ignore[attr-defined]  # threads, writer, loop
        assert store.on_loop.size == 3 + 2
    finally:
        store.close()
