"""Issue 19's scenarios where a user meets them: a record that cannot be bent by who
entered what, by a reload, by a repeated entry or by a cancelled prescription."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from isocourse.auth.users import add_user
from tests.clinic_support import ALLOWED_DEMO, Clinic, demo, fresh_database, running_clinic
from tests.web_support import NOW, PASSWORD, WebClinic, log_in, post_form, web_clinic

API = "/api/v1"
ORDER = {"days_supply": 30, "mg_per_day": 60}


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    yield from running_clinic(fresh_database("sqlite", tmp_path), tmp_path)


# --- a patient's entry may raise an alert, never clear a clinician's ----------------


def test_a_patients_zero_phq9_does_not_clear_the_clinicians_positive_item_9(
    web: WebClinic,
) -> None:
    patient = web.patient_ids["demo-04"]  # the clinic's PHQ-9 has item 9 scored
    store = web.app.state.wiring.system.store
    add_user(
        store,
        email="jo@demo.test",
        role="patient",
        clinic_id="demo",
        password=PASSWORD,
        now=NOW,
        patient_id=patient,
    )
    with web.browser() as phone:
        page = log_in(phone, "jo@demo.test")
        answered = post_form(phone, "/me/mood", page.text, **{f"item{i}": "0" for i in range(9)})
        assert answered.status_code == 200, answered.text
    with web.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        worklist = doctor.get("/worklist").text
        row = next(r for r in worklist.split("<tr") if f"/patients/{patient}" in r)
        assert "stop" in row.lower()
        page = doctor.get(f"/patients/{patient}")
        refused = post_form(
            doctor, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        assert refused.status_code == 409
        assert "MOOD_SUICIDAL_IDEATION" in refused.text


def test_a_patients_own_entries_are_marked_as_the_patients(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    clinic.add("pat", "patient", "a", patient_id=patient)
    symptom = {"date": "2026-03-14", "text": "dry lips", "source": "clinician"}
    answer = clinic.client.post(
        f"{API}/patients/{patient}/events",
        json={"kind": "symptom", "entry": symptom},
        headers=clinic.as_user("pat"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["entry"]["source"] == "patient"  # a patient cannot claim another
    events = clinic.client.get(
        f"{API}/patients/{patient}/events", headers=clinic.as_user("doc_a")
    ).json()
    logged = next(e for e in events if e["event_id"] == answer.json()["event_id"])
    assert logged["source"] == "patient"
    assert logged["recorded_by"] == {"email": "pat@a.test", "role": "patient"}
    record = clinic.client.get(
        f"{API}/patients/{patient}/record", headers=clinic.as_user("doc_a")
    ).json()
    assert {"source": "patient"}.items() <= record["symptoms"][-1].items()


def test_a_patient_cannot_set_the_dose(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    clinic.add("pat", "patient", "a", patient_id=patient)
    entry = {"start": "2026-03-14", "mg_per_day": 1e300}
    answer = clinic.client.post(
        f"{API}/patients/{patient}/events",
        json={"kind": "dose_period", "entry": entry},
        headers=clinic.as_user("pat"),
    )
    assert answer.status_code == 403


def test_a_patients_negative_home_test_does_not_clear_a_positive_test(clinic: Clinic) -> None:
    record = demo(ALLOWED_DEMO)
    record["programme"] = "us-ipledge"
    record["patient"]["can_get_pregnant"] = True
    positive = {"date": "2026-03-10", "result": "positive", "method": "serum", "setting": "lab"}
    record["pregnancy_tests"] = [positive]
    patient = clinic.enrol(record)
    clinic.add("pat", "patient", "a", patient_id=patient)
    negative = {"date": "2026-03-14", "result": "negative", "method": "urine", "setting": "home"}
    logged = clinic.client.post(
        f"{API}/patients/{patient}/events",
        json={"kind": "pregnancy_test", "entry": negative},
        headers=clinic.as_user("pat"),
    )
    assert logged.status_code == 201, logged.text
    assessment = clinic.client.get(
        f"{API}/patients/{patient}/assessment", headers=clinic.as_user("doc_a")
    ).json()
    assert "PP_PREGNANCY_TEST_POSITIVE" in assessment["dispense"]["blocking"]


# --- one supply at a time ------------------------------------------------------------


def test_reloading_after_prescribe_issues_nothing_more(web: WebClinic) -> None:
    patient = web.patient_ids["demo-01"]
    with web.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        form = {"mg_per_day": "60", "days_supply": "30"}
        issued = post_form(doctor, f"/patients/{patient}/prescribe", page.text, **form)
        assert issued.status_code == 200
        assert issued.url.path == f"/patients/{patient}"  # redirected: a reload is a GET
        first = re.search(r"Prescription issued: <strong>([0-9a-f-]{36})</strong>", issued.text)
        assert first
        reload = doctor.get(str(issued.url))
        assert reload.status_code == 200
        again = post_form(doctor, f"/patients/{patient}/prescribe", page.text, **form)
        assert again.status_code == 409
        assert "PRESCRIPTION_OPEN" in again.text and first.group(1) in again.text
        listed = doctor.get(f"/patients/{patient}").text
        assert listed.count("Cancel this prescription") == 1


def test_a_double_submit_through_the_api_gives_one_prescription(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    url = f"{API}/patients/{patient}/prescriptions"
    first = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a"))
    second = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a"))
    assert first.status_code == 201
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "PRESCRIPTION_OPEN"
    assert first.json()["prescription_id"] in error["message"]


def _verify(clinic: Clinic, prescription_id: str, birth_date: str) -> dict[str, Any]:
    answer = clinic.client.get(
        f"{API}/prescriptions/{prescription_id}/verification",
        params={"birth_date": birth_date},
        headers=clinic.as_user("pharm_a"),
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_second_supply_cannot_be_dispensed_the_same_day(clinic: Clinic) -> None:
    record = demo(ALLOWED_DEMO)
    birth_date = record["patient"]["birth_date"]
    patient = clinic.enrol(record)
    url = f"{API}/patients/{patient}/prescriptions"
    first = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a")).json()
    dispensed = clinic.client.post(
        f"{API}/prescriptions/{first['prescription_id']}/dispenses",
        json={"birth_date": birth_date},
        headers=clinic.as_user("pharm_a"),
    )
    assert dispensed.status_code == 201, dispensed.text
    second = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a"))
    assert second.status_code == 409
    assert "SUPPLY_IN_HAND" in {r["code"] for r in second.json()["error"]["blocking"]}


def test_a_cancelled_prescription_is_shown_cancelled_and_cannot_be_dispensed(
    clinic: Clinic,
) -> None:
    record = demo(ALLOWED_DEMO)
    birth_date = record["patient"]["birth_date"]
    patient = clinic.enrol(record)
    url = f"{API}/patients/{patient}/prescriptions"
    first = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a")).json()
    rx = first["prescription_id"]
    cancel = f"{url}/{rx}/cancel"
    refused = clinic.client.post(cancel, json={"reason": " "}, headers=clinic.as_user("doc_a"))
    assert refused.status_code == 422
    by_pharmacist = clinic.client.post(
        cancel, json={"reason": "dose changed"}, headers=clinic.as_user("pharm_a")
    )
    assert by_pharmacist.status_code == 403
    done = clinic.client.post(
        cancel, json={"reason": "dose changed"}, headers=clinic.as_user("doc_a")
    )
    assert done.status_code == 201, done.text
    twice = clinic.client.post(cancel, json={"reason": "again"}, headers=clinic.as_user("doc_a"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "ALREADY_CANCELLED"
    verification = _verify(clinic, rx, birth_date)
    assert verification["allowed"] is False
    assert verification["cancelled"]["reason"] == "dose changed"
    assert verification["blocking"][0]["code"] == "PRESCRIPTION_CANCELLED"
    dispense = clinic.client.post(
        f"{API}/prescriptions/{rx}/dispenses",
        json={"birth_date": birth_date},
        headers=clinic.as_user("pharm_a"),
    )
    assert dispense.status_code == 409
    assert dispense.json()["error"]["code"] == "PRESCRIPTION_CANCELLED"
    new = clinic.client.post(url, json=ORDER, headers=clinic.as_user("doc_a"))
    assert new.status_code == 201, new.text  # a new one may be written once it is cancelled


def test_the_pharmacist_page_says_cancelled(web: WebClinic) -> None:
    patient = web.patient_ids["demo-01"]
    with web.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        issued = post_form(
            doctor, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        found = re.search(r"Prescription issued: <strong>([0-9a-f-]{36})</strong>", issued.text)
        assert found
        rx = found.group(1)
        cancelled = post_form(
            doctor,
            f"/patients/{patient}/prescriptions/{rx}/cancel",
            issued.text,
            reason="wrong dose",
        )
        assert cancelled.status_code == 200
        assert "cancelled" in cancelled.text
    with web.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        answer = post_form(
            pharmacist, "/pharmacy", page.text, prescription_id=rx, birth_date="2004-11-01"
        )
        assert "CANCELLED by the prescriber" in answer.text and "wrong dose" in answer.text
        assert "Record the dispense" not in answer.text


# --- arithmetic that cannot go wrong --------------------------------------------------


def test_the_same_missed_dose_reported_eight_times_is_subtracted_once(clinic: Clinic) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    headers = clinic.as_user("doc_a")

    def cumulative_mg() -> float:
        assessment = clinic.client.get(f"{API}/patients/{patient}/assessment", headers=headers)
        mg: float = assessment.json()["cumulative"]["mg"]
        return mg

    before = cumulative_mg()
    record = clinic.client.get(f"{API}/patients/{patient}/record", headers=headers).json()
    mg_per_day = record["doses"][-1]["mg_per_day"]
    missed = {"date": "2026-03-14", "mg": mg_per_day}
    for _ in range(8):
        answer = clinic.client.post(
            f"{API}/patients/{patient}/events",
            json={"kind": "missed_dose", "entry": missed},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
    assert cumulative_mg() == before - mg_per_day
    assert cumulative_mg() >= 0


def test_overlapping_dose_periods_are_refused_and_a_new_one_ends_the_open_one(
    clinic: Clinic,
) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    headers = clinic.as_user("doc_a")
    url = f"{API}/patients/{patient}/events"
    record = clinic.client.get(f"{API}/patients/{patient}/record", headers=headers).json()
    open_period = record["doses"][-1]
    assert open_period["end"] is None
    overlapping = {"start": "2000-01-01", "end": "2026-03-01", "mg_per_day": 40}
    refused = clinic.client.post(
        url, json={"kind": "dose_period", "entry": overlapping}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"].startswith("entry")
    assert "overlaps" in refused.json()["error"]["message"]
    new = {"start": "2026-03-14", "end": None, "mg_per_day": 40}
    answer = clinic.client.post(url, json={"kind": "dose_period", "entry": new}, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["closed_dose_period"]["end"] == "2026-03-13"
    record = clinic.client.get(f"{API}/patients/{patient}/record", headers=headers).json()
    assert [p["end"] for p in record["doses"]][-2:] == ["2026-03-13", None]
    assessment = clinic.client.get(f"{API}/patients/{patient}/assessment", headers=headers)
    assert assessment.json()["dose"]["mg_per_day"] == 40


# --- reviews ----------------------------------------------------------------------


def test_an_unrecognised_medication_blocks_until_reviewed_in_one_click(web: WebClinic) -> None:
    patient = web.patient_ids["demo-01"]
    with web.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        recorded = post_form(
            doctor,
            f"/patients/{patient}/events/medication",
            page.text,
            name="Zqxtrabolin 5 mg",
            start="2026-11-20",
        )
        assert recorded.status_code == 200, recorded.text
        assert "Needs review" in recorded.text and "Zqxtrabolin 5 mg" in recorded.text
        worklist = doctor.get("/worklist").text
        assert "Zqxtrabolin 5 mg" in worklist
        blocked = post_form(
            doctor,
            f"/patients/{patient}/prescribe",
            recorded.text,
            mg_per_day="60",
            days_supply="30",
        )
        assert blocked.status_code == 409 and "DRUG_UNRECOGNISED" in blocked.text
        reviewed = post_form(
            doctor,
            f"/patients/{patient}/reviews",
            recorded.text,
            kind="medication",
            text="Zqxtrabolin 5 mg",
            outcome="not_relevant",
        )
        assert reviewed.status_code == 200
        assert "Needs review" not in reviewed.text
        issued = post_form(
            doctor,
            f"/patients/{patient}/prescribe",
            reviewed.text,
            mg_per_day="60",
            days_supply="30",
        )
        assert "Prescription issued" in issued.text
