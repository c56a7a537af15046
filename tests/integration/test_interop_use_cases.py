"""The output use cases on a real database (SQLite; PostgreSQL when configured): each read
audited, imports in one transaction, reminders planned without opted-out patients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from isocourse.errors import InvalidInput, NotFound
from isocourse.knowledge.loader import load_knowledge
from isocourse.service.audit import verify_chain
from isocourse.service.context import ClinicSystem
from isocourse.service.interop import export_patient_bundle, read_fhir_resource
from isocourse.service.lab_csv import import_lab_csv
from isocourse.service.observation_import import import_bundle
from isocourse.service.reminders import (
    note_reminder_sent,
    plan_reminders,
    set_reminder_preference,
)
from isocourse.settings import Settings
from isocourse.store.database import open_store
from isocourse.store.tables import AuditEntryRow, EventRow
from tests.clinic_support import ALLOWED_DEMO, NOW, demo
from tests.interop_support import PRESCRIBER, add_patient_login, call_as, event_count, seed

BASE = "https://ehr.example/fhir"
LAB_HEADER = "patient,date,test,value,unit\n"


@pytest.fixture
def system(database_url: str) -> Iterator[ClinicSystem]:
    store = open_store(Settings(database_url=database_url))
    yield ClinicSystem(store, load_knowledge())
    store.close()


def audit_actions(system: ClinicSystem) -> list[tuple[str, str | None]]:
    with system.store.transaction() as session:
        rows = session.execute(
            select(AuditEntryRow.action, AuditEntryRow.patient_id).order_by(AuditEntryRow.id)
        )
        return [(action, patient) for action, patient in rows]


def test_fhir_reads_are_audited_and_the_chain_stays_intact(system: ClinicSystem) -> None:
    (patient_id,) = seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    bundle = export_patient_bundle(system, call, patient_id, base_url=BASE)
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    read = read_fhir_resource(system, call, "Observation", observation["id"], base_url=BASE)
    assert read == observation
    assert read["subject"] == {"reference": f"Patient/{patient_id}"}
    actions = audit_actions(system)
    assert actions[-2:] == [("fhir.everything", patient_id), ("fhir.read", patient_id)]
    with system.store.transaction() as session:
        assert verify_chain(session).intact


def test_another_clinics_prescriber_finds_nothing(system: ClinicSystem) -> None:
    (patient_id,) = seed(system.store, [demo(ALLOWED_DEMO)])
    seed(system.store, [], clinic="south")
    stranger = call_as(system.store, "doc@south.test")
    with pytest.raises(NotFound):
        export_patient_bundle(system, stranger, patient_id, base_url=BASE)
    with pytest.raises(NotFound):
        read_fhir_resource(system, stranger, "Patient", patient_id, base_url=BASE)


def weight_of(kg: float) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "effectiveDateTime": "2026-03-14",
        "valueQuantity": {"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org"},
    }


def weight_bundle(kg: float) -> dict[str, object]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": weight_of(kg)}]}


def test_a_bundle_import_appends_events_with_one_audit_entry(system: ClinicSystem) -> None:
    (patient_id,) = seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    answer = import_bundle(system, call, patient_id, weight_bundle(70.5))
    assert answer.imported["weight"] == 1
    with system.store.transaction() as session:
        row = session.scalar(select(EventRow).where(EventRow.id == answer.event_ids[0]))
        assert row is not None
        assert (row.kind, row.payload) == (
            "weight",
            {"date": "2026-03-14", "value": 70.5, "unit": "kg", "source": "import"},
        )
    assert audit_actions(system)[-1] == ("fhir.import", patient_id)


def test_an_observation_the_patient_performed_is_stored_as_the_patients(
    system: ClinicSystem,
) -> None:
    (patient_id,) = seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    by_patient = {**weight_of(70.5), "performer": [{"reference": "Patient/ehr-7"}]}
    by_the_ehr = {**weight_of(70.0), "effectiveDateTime": "2026-03-13"}
    ehr = {"resourceType": "Bundle", "entry": [{"resource": by_patient}, {"resource": by_the_ehr}]}
    answer = import_bundle(system, call, patient_id, ehr)
    assert answer.imported["weight"] == 2
    with system.store.transaction() as session:
        rows = session.scalars(select(EventRow).where(EventRow.id.in_(answer.event_ids)))
        sources = {row.payload["date"]: row.payload["source"] for row in rows}
    assert sources == {"2026-03-14": "patient", "2026-03-13": "import"}


def test_the_clinics_entries_name_the_clinic_which_can_be_read_by_id(
    system: ClinicSystem,
) -> None:
    (patient_id,) = seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    bundle = export_patient_bundle(system, call, patient_id, base_url=BASE)
    (clinic,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization"
    ]
    assert clinic["name"] == "north"
    assert clinic["identifier"][0]["value"] == "north"
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    assert observation["performer"][0]["reference"] == f"Organization/{clinic['id']}"
    read = read_fhir_resource(system, call, "Organization", clinic["id"], base_url=BASE)
    assert read == clinic


def test_all_or_nothing_writes_no_event_when_a_row_is_rejected(system: ClinicSystem) -> None:
    seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    lines = [LAB_HEADER, "demo-01,2026-03-12,alt,30,U/L\n", "demo-01,2026-03-12,alt,x,U/L\n"]
    before = event_count(system.store)
    outcome = import_lab_csv(system, call, lines)
    assert [(r.line, r.reason) for r in outcome.rejected] == [(3, "non-numeric value 'x'")]
    assert outcome.written == 0
    assert event_count(system.store) == before
    partial = import_lab_csv(system, call, lines, all_or_nothing=False)
    assert partial.written == 1
    assert event_count(system.store) == before + 1


def test_a_file_that_is_not_the_lab_csv_is_refused_naming_the_line(system: ClinicSystem) -> None:
    seed(system.store, [demo(ALLOWED_DEMO)])
    call = call_as(system.store, PRESCRIBER)
    with pytest.raises(InvalidInput, match="line 1"):
        import_lab_csv(system, call, ["patient,date,colour\n"])


def test_reminders_skip_opted_out_patients_and_are_sent_once_a_day(
    system: ClinicSystem,
) -> None:
    reminded, opted_out = seed(system.store, [demo(ALLOWED_DEMO), demo(ALLOWED_DEMO)])
    add_patient_login(system.store, "one@mail.test", reminded)
    add_patient_login(system.store, "two@mail.test", opted_out)
    call = call_as(system.store, PRESCRIBER)
    set_reminder_preference(system, call, opted_out, email=None, opt_out=True)
    today = date(2026, 3, 15)
    planned = plan_reminders(system, today=today, now=NOW, request_id="r1")
    assert [(p.patient_id, p.recipients) for p in planned] == [(reminded, ("one@mail.test",))]
    assert ("reminder.check", opted_out) in audit_actions(system)
    note_reminder_sent(system, planned[0], today=today, now=NOW, request_id="r1")
    assert plan_reminders(system, today=today, now=NOW, request_id="r2") == []
    tomorrow = plan_reminders(system, today=date(2026, 3, 16), now=NOW, request_id="r3")
    assert [p.patient_id for p in tomorrow] == [reminded]
