"""Events, corrections, prescribing and dispensing against a real database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from isocourse.auth.users import user_by_email
from isocourse.service.unit_of_work import fingerprint
from isocourse.store.idempotency import keep_answer
from isocourse.store.tables import EventRow
from tests.clinic_support import ALLOWED_DEMO, BLOCKED_DEMO, NOW, Clinic, demo

LAB = {"date": "2026-03-10", "test": "alt", "value": 40, "unit": "U/L"}


def event_count(clinic: Clinic, patient_id: str) -> int:
    with clinic.app.state.wiring.system.store.transaction() as session:
        query = select(func.count()).where(EventRow.patient_id == patient_id)
        return int(session.scalar(query) or 0)


def post(clinic: Clinic, url: str, body: dict[str, Any], user: str = "doc_a", **headers: str):  # type: ignore[no-untyped-def]
    return clinic.client.post(f"/api/v1{url}", json=body, headers=clinic.as_user(user, **headers))


def record_of(clinic: Clinic, patient_id: str) -> dict[str, Any]:
    response = clinic.client.get(
        f"/api/v1/patients/{patient_id}/record", headers=clinic.as_user("doc_a")
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_a_recorded_lab_result_joins_the_record(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    response = post(clinic, f"/patients/{patient_id}/events", {"kind": "lab_result", "entry": LAB})
    assert response.status_code == 201, response.text
    assert record_of(clinic, patient_id)["labs"][-1]["value"] == 40


def test_an_unknown_lab_test_is_refused_naming_the_entry_field(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    entry = {**LAB, "test": "unobtainium"}
    response = post(
        clinic, f"/patients/{patient_id}/events", {"kind": "lab_result", "entry": entry}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "entry.test"


def test_an_entry_marked_in_error_leaves_the_record_but_stays_in_the_log(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    labs_before = len(record_of(clinic, patient_id)["labs"])
    event_id = post(
        clinic, f"/patients/{patient_id}/events", {"kind": "lab_result", "entry": LAB}
    ).json()["event_id"]
    correction = {"event_id": event_id, "reason": "wrong patient's result"}
    assert post(clinic, f"/patients/{patient_id}/corrections", correction).status_code == 201
    assert len(record_of(clinic, patient_id)["labs"]) == labs_before
    events = clinic.client.get(
        f"/api/v1/patients/{patient_id}/events", headers=clinic.as_user("doc_a")
    ).json()
    assert [e["kind"] for e in events][-2:] == ["lab_result", "entered_in_error"]
    again = post(clinic, f"/patients/{patient_id}/corrections", correction)
    assert again.status_code == 409


def test_a_blocked_prescription_is_refused_with_the_blocking_codes(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(BLOCKED_DEMO))
    before = event_count(clinic, patient_id)
    response = post(
        clinic, f"/patients/{patient_id}/prescriptions", {"days_supply": 30, "mg_per_day": 60}
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "REFUSED"
    assert "MOOD_SUICIDAL_IDEATION" in [reason["code"] for reason in error["blocking"]]
    assert all(reason["message"] for reason in error["blocking"])
    assert event_count(clinic, patient_id) == before


def test_an_idempotent_retry_records_once(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    before = event_count(clinic, patient_id)
    url, body = f"/patients/{patient_id}/events", {"kind": "lab_result", "entry": LAB}
    first = post(clinic, url, body, **{"Idempotency-Key": "lab-1"})
    second = post(clinic, url, body, **{"Idempotency-Key": "lab-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert event_count(clinic, patient_id) == before + 1
    other = post(
        clinic, url, {**body, "entry": {**LAB, "value": 41}}, **{"Idempotency-Key": "lab-1"}
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_an_idempotent_enrolment_retry_creates_one_patient(clinic: Clinic) -> None:
    key = {"Idempotency-Key": "enrol-1"}
    first = post(clinic, "/patients", demo(ALLOWED_DEMO), **key)
    second = post(clinic, "/patients", demo(ALLOWED_DEMO), **key)
    assert first.json()["patient_id"] == second.json()["patient_id"]


def test_a_prescription_is_verified_and_dispensed_once(clinic: Clinic) -> None:
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    issued = post(
        clinic, f"/patients/{patient_id}/prescriptions", {"days_supply": 30, "mg_per_day": 60}
    )
    assert issued.status_code == 201, issued.text
    prescription_id = issued.json()["prescription_id"]
    birth = {"birth_date": record["patient"]["birth_date"]}
    check = clinic.client.get(
        f"/api/v1/prescriptions/{prescription_id}/verification",
        params=birth,
        headers=clinic.as_user("pharm_a"),
    )
    assert check.status_code == 200, check.text
    assert check.json()["allowed"] is True
    url = f"/prescriptions/{prescription_id}/dispenses"
    assert post(clinic, url, birth, user="pharm_a").status_code == 201
    again = post(clinic, url, birth, user="pharm_a")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_DISPENSED"
    assert len(record_of(clinic, patient_id)["dispenses"]) == len(record["dispenses"]) + 1


def test_a_wrong_birth_date_finds_no_prescription(clinic: Clinic) -> None:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    prescription_id = post(
        clinic, f"/patients/{patient_id}/prescriptions", {"days_supply": 30, "mg_per_day": 60}
    ).json()["prescription_id"]
    response = post(
        clinic,
        f"/prescriptions/{prescription_id}/dispenses",
        {"birth_date": "1990-01-01"},
        user="pharm_a",
    )
    assert response.status_code == 404


def test_a_retried_dispense_gets_the_first_answer_back_whole(clinic: Clinic) -> None:
    """The answer is kept as its JSON form and read back as the same value: the retry's
    answer is the first one, field for field (dates, blocking reasons, numbers)."""
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    issued = post(
        clinic, f"/patients/{patient_id}/prescriptions", {"days_supply": 30, "mg_per_day": 60}
    )
    assert issued.status_code == 201, issued.text
    url = f"/prescriptions/{issued.json()['prescription_id']}/dispenses"
    birth = {"birth_date": record["patient"]["birth_date"]}
    before = event_count(clinic, patient_id)
    first = post(clinic, url, birth, "pharm_a", **{"Idempotency-Key": "dispense-1"})
    second = post(clinic, url, birth, "pharm_a", **{"Idempotency-Key": "dispense-1"})
    assert first.status_code == second.status_code == 201, second.text
    assert first.text == second.text
    assert first.json()["dispense"]["days_supply"] == 30
    assert event_count(clinic, patient_id) == before + 1


def test_an_answer_kept_before_answers_were_values_still_answers_a_retry(
    clinic: Clinic,
) -> None:
    """An answer kept by the version whose use cases answered plain dicts (the same field
    names) reads back as the value: a retry across an upgrade gets it, nothing is written."""
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    url = f"/patients/{patient_id}/events"
    body = {"kind": "lab_result", "entry": LAB}
    store = clinic.app.state.wiring.system.store
    kept = {"event_id": "kept-event", "kind": "lab_result", "entry": {**LAB, "source": "lab"}}
    with store.transaction() as session:
        user = user_by_email(session, "doc_a@a.test")
        assert user is not None
        keep_answer(
            session,
            user_id=user.id,
            key="before-values",
            fingerprint=fingerprint("event", patient_id, "lab_result", LAB),
            answer=kept,
            now=NOW,
        )
    before = event_count(clinic, patient_id)
    retried = post(clinic, url, body, **{"Idempotency-Key": "before-values"})
    assert retried.status_code == 201, retried.text
    assert retried.json() == {**kept, "closed_dose_period": None}
    assert event_count(clinic, patient_id) == before
