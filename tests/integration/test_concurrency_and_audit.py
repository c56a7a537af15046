"""Two simultaneous dispenses record one; the audit chain detects tampering."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from isocourse.auth.roles import Actor
from isocourse.auth.users import actor_of
from isocourse.errors import Conflict
from isocourse.service.audit import record_audit, verify_chain
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.dispensing import dispense
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.tables import AuditEntryRow, EventRow, UserRow
from tests.clinic_support import ALLOWED_DEMO, NOW, TODAY, Clinic, demo


def system_of(clinic: Clinic) -> ClinicSystem:
    system: ClinicSystem = clinic.app.state.wiring.system
    return system


def pharmacist(clinic: Clinic) -> Actor:
    with system_of(clinic).store.transaction() as session:
        return actor_of(
            session.scalars(select(UserRow).where(UserRow.email == "pharm_a@a.test")).one()
        )


def issued_prescription(clinic: Clinic) -> tuple[str, date]:
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    response = clinic.client.post(
        f"/api/v1/patients/{patient_id}/prescriptions",
        json={"days_supply": 30, "mg_per_day": 60},
        headers=clinic.as_user("doc_a"),
    )
    assert response.status_code == 201, response.text
    return response.json()["prescription_id"], date.fromisoformat(record["patient"]["birth_date"])


def test_two_simultaneous_dispenses_record_exactly_one(clinic: Clinic) -> None:
    prescription_id, birth_date = issued_prescription(clinic)
    system, actor = system_of(clinic), pharmacist(clinic)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pharmacy(name: str) -> None:
        call = Call(actor, f"request-{name}", TODAY, NOW)
        start.wait()
        try:
            dispense(system, call, prescription_id, birth_date)
            outcomes.append("dispensed")
        except Conflict as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=pharmacy, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ALREADY_DISPENSED", "dispensed"]
    with system.store.transaction() as session:
        query = select(func.count()).where(EventRow.fills_prescription_id == prescription_id)
        assert session.scalar(query) == 1


def test_every_read_and_write_leaves_an_audit_entry_in_an_intact_chain(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    clinic.client.get(f"/api/v1/patients/{patient_id}/record", headers=clinic.as_user("doc_a"))
    with system_of(clinic).store.transaction() as session:
        entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)))
        report = verify_chain(session)
    # the clinic fixture's users signed in first: each sign-in is an entry too
    signed_in = len(clinic.headers)
    assert [e.action for e in entries[:signed_in]] == ["sign_in"] * signed_in
    assert [(e.action, e.patient_id, e.user_email) for e in entries[signed_in:]] == [
        ("patient.enrol", patient_id, "doc_a@a.test"),
        ("record.read", patient_id, "doc_a@a.test"),
    ]
    assert all(e.request_id for e in entries)
    assert report.intact and report.entries == signed_in + 2


def test_a_changed_audit_entry_is_detected_at_that_entry(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    for _ in range(3):
        clinic.client.get(f"/api/v1/patients/{patient_id}/record", headers=clinic.as_user("doc_a"))
    store = system_of(clinic).store
    with store.transaction() as session:
        session.execute(text("UPDATE audit_entries SET user_email = 'someone@else' WHERE id = 2"))
    with store.transaction() as session:
        report = verify_chain(session)
    assert report.first_break is not None
    assert report.first_break.entry_id == 2


def test_a_removed_audit_entry_is_detected(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    for _ in range(3):
        clinic.client.get(f"/api/v1/patients/{patient_id}/record", headers=clinic.as_user("doc_a"))
    store = system_of(clinic).store
    with store.transaction() as session:
        session.execute(text("DELETE FROM audit_entries WHERE id = 3"))
    with store.transaction() as session:
        report = verify_chain(session)
    assert report.first_break is not None
    assert report.first_break.entry_id == 3


def test_a_removed_last_audit_entry_is_detected(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    clinic.client.get(f"/api/v1/patients/{patient_id}/record", headers=clinic.as_user("doc_a"))
    store = system_of(clinic).store
    with store.transaction() as session:
        session.execute(text("DELETE FROM audit_entries WHERE id = 2"))
    with store.transaction() as session:
        report = verify_chain(session)
    assert report.first_break is not None
    assert report.first_break.entry_id == 2


def test_several_appends_in_one_unit_of_work_chain_after_each_other(clinic: Clinic) -> None:
    """The head is locked once per transaction and moved by each append (in Core)."""
    system, actor = system_of(clinic), pharmacist(clinic)
    call = Call(actor, "request-chain", TODAY, NOW)
    with unit_of_work(system) as session:
        for action in ("first", "second", "third"):
            record_audit(session, call, action, patient_id=None)
    with system.store.reading() as session:
        assert verify_chain(session).intact
        last = session.execute(
            select(AuditEntryRow.action, AuditEntryRow.id).order_by(AuditEntryRow.id.desc())
        ).first()
    assert last is not None and last.action == "third"


def test_an_audit_entry_is_refused_inside_a_savepoint(clinic: Clinic) -> None:
    """A savepoint rolled back after an append would undo the entry but not the head the
    transaction holds: appends inside one are refused, and nothing is written."""
    system, actor = system_of(clinic), pharmacist(clinic)
    call = Call(actor, "request-savepoint", TODAY, NOW)
    with system.store.reading() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntryRow))
    refused = pytest.raises(RuntimeError, match="outside savepoints")
    with refused, unit_of_work(system) as session, session.begin_nested():
        record_audit(session, call, "inside", patient_id=None)
    with system.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntryRow)) == before
        assert verify_chain(session).intact
