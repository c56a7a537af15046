"""The pharmacist's counter through HTTP: finding a prescription by the patient's name
and birth date (in the pharmacist's own clinic only), seeing what to hand over, the
reason in words when not allowed, and the dispense."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from isocourse.auth.users import add_user
from isocourse.demo_patients import demo_patients
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.enrolment import enrol_patient
from tests.web_support import (
    NOW,
    PASSWORD,
    TODAY,
    WebClinic,
    log_in,
    post_form,
    section,
    text_of,
    web_clinic,
)

BIRTH_DATE = "2004-11-01"  # demo-01, Sam Okafor


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


def issue(clinic: WebClinic, record_id: str, mg_per_day: str = "60") -> str:
    patient = clinic.patient_ids[record_id]
    with clinic.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        issued = post_form(
            doctor,
            f"/patients/{patient}/prescribe",
            page.text,
            mg_per_day=mg_per_day,
            days_supply="30",
        )
        assert "issued=" in str(issued.url), issued.text
        return str(issued.url).split("issued=")[1]


def other_clinic_with_the_same_patient(clinic: WebClinic) -> None:
    """Clinic "other": a pharmacist, and a patient with demo-01's name and birth date."""
    system: ClinicSystem = clinic.app.state.wiring.system
    doctor = add_user(
        system.store,
        email="doc@other.test",
        role="prescriber",
        clinic_id="other",
        password=PASSWORD,
        now=NOW,
    )
    add_user(
        system.store,
        email="pharm@other.test",
        role="pharmacist",
        clinic_id="other",
        password=PASSWORD,
        now=NOW,
    )
    call = Call(actor=doctor, request_id="seed-other", today=TODAY, now=NOW)
    record = demo_patients(TODAY)[0].record
    record["patient"]["id"] = "other-07"
    enrol_patient(system, call, record, name="Sam Okafor")


def test_a_pharmacist_finds_the_prescription_by_name_and_birth_date(clinic: WebClinic) -> None:
    prescription = issue(clinic, "demo-01")
    with clinic.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        found = post_form(
            pharmacist, "/pharmacy/search", page.text, name="okafor sam", birth_date=BIRTH_DATE
        )
        assert found.status_code == 200
        listed = text_of(section(found.text, "found"))
        assert "Sam Okafor" in listed and "demo-01" in listed
        assert prescription in listed and "may be dispensed until 2026-12-21 Mon" in listed
        assert re.search(rf'name="prescription_id" value="{prescription}"', found.text)
        by_number = post_form(
            pharmacist, "/pharmacy/search", page.text, name="DEMO-01", birth_date=BIRTH_DATE
        )
        assert prescription in section(by_number.text, "found")
        wrong_day = post_form(
            pharmacist, "/pharmacy/search", page.text, name="Sam Okafor", birth_date="2004-11-02"
        )
        assert "No patient of your clinic" in wrong_day.text and prescription not in wrong_day.text


def test_a_search_finds_no_patient_of_another_clinic(clinic: WebClinic) -> None:
    other_clinic_with_the_same_patient(clinic)
    issue(clinic, "demo-01")
    with clinic.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        found = post_form(
            pharmacist, "/pharmacy/search", page.text, name="Sam Okafor", birth_date=BIRTH_DATE
        )
        listed = section(found.text, "found")
        assert "demo-01" in listed and "other-07" not in listed
    with clinic.browser() as elsewhere:
        page = log_in(elsewhere, "pharm@other.test")
        found = post_form(
            elsewhere, "/pharmacy/search", page.text, name="Sam Okafor", birth_date=BIRTH_DATE
        )
        listed = section(found.text, "found")
        assert "other-07" in listed and "demo-01" not in listed
        nobody = post_form(
            elsewhere, "/pharmacy/search", page.text, name="Maya Lindqvist", birth_date="2004-11-01"
        )
        assert "No patient of your clinic" in nobody.text


def test_a_search_without_a_birth_date_is_refused_in_words(clinic: WebClinic) -> None:
    with clinic.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        refused = post_form(
            pharmacist, "/pharmacy/search", page.text, name="Sam Okafor", birth_date=""
        )
        assert refused.status_code == 422
        assert "Date of birth: the date of birth as YYYY-MM-DD" in refused.text
        no_name = post_form(
            pharmacist, "/pharmacy/search", page.text, name=" ", birth_date=BIRTH_DATE
        )
        assert no_name.status_code == 422 and "Name: the patient" in no_name.text


def test_the_verification_says_what_to_hand_over_then_dispenses(clinic: WebClinic) -> None:
    prescription = issue(clinic, "demo-01")
    with clinic.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        verified = post_form(
            pharmacist, "/pharmacy", page.text, prescription_id=prescription, birth_date=BIRTH_DATE
        )
        answer = text_of(section(verified.text, "verification"))
        assert "ALLOWED: may be dispensed today (last day 2026-12-21 Mon)" in answer
        handover = text_of(section(verified.text, "handover"))
        for words in (
            "Patient Sam Okafor demo-01",
            "Product Isotretinoin (generic capsules)",
            "Daily dose 60 mg a day",
            "60 capsules of 30 mg: 2 a day (1 in the morning, 1 in the evening)",
            "Days of supply 30",
            "Last day to dispense 2026-12-21 Mon",
        ):
            assert words in handover, words
        done = post_form(
            pharmacist,
            "/pharmacy/dispense",
            verified.text,
            prescription_id=prescription,
            birth_date=BIRTH_DATE,
        )
        assert "Dispense recorded" in done.text
        assert "60 capsules of 30 mg" in section(done.text, "handed-over")


def test_a_refused_verification_gives_the_reason_in_words(clinic: WebClinic) -> None:
    prescription = issue(clinic, "demo-01")
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{patient}")
        post_form(
            doctor,
            f"/patients/{patient}/events/symptom",
            page.text,
            date="2026-11-22",
            text="yellow eyes and dark urine",
        )
    with clinic.browser() as pharmacist:
        page = log_in(pharmacist, "pharm@demo.test")
        verified = post_form(
            pharmacist, "/pharmacy", page.text, prescription_id=prescription, birth_date=BIRTH_DATE
        )
        answer = text_of(section(verified.text, "verification"))
        assert "NOT ALLOWED: do not dispense" in answer
        # the catalogue's title, then what was found
        assert re.search(r"Possible hepatitis\s*: On 2026-11-22 the patient wrote", answer)
        assert "Record the dispense" not in verified.text
        assert "Patient Sam Okafor" in answer  # who it was for, all the same
