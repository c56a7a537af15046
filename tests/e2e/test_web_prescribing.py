"""The prescriber's rule check and prescription through HTTP: the dose per kg against the
product's range, every alert of every severity in words, what changed, the issued
prescription's state, and "Prescription today" in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from isocourse.store.tables import EventRow
from tests.web_support import WebClinic, log_in, post_form, section, text_of, web_clinic


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


@pytest.fixture
def doctor(clinic: WebClinic) -> Iterator[TestClient]:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        yield browser


def check(doctor: TestClient, patient: str, mg_per_day: str, days: str = "30") -> Any:
    page = doctor.get(f"/patients/{patient}")
    return post_form(
        doctor,
        f"/patients/{patient}/prescribe/check",
        page.text,
        mg_per_day=mg_per_day,
        days_supply=days,
    )


def test_the_rule_check_gives_mg_per_kg_against_the_range_and_warns_above_it(
    clinic: WebClinic, doctor: TestClient
) -> None:
    """80 kg on Absorica LD at 100 mg a day is 1.25 mg/kg/day, above 0.4-0.8."""
    answer = check(doctor, clinic.patient_ids["demo-18"], "100")
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "1.25 mg/kg/day at 80 kg" in words
    assert "above the usual range" in words
    assert "Absorica LD: usually 0.4–0.8 mg/kg/day, at most 1.6 mg/kg/day" in words
    assert "Dose above the usual range" in words and "DOSE_ABOVE_RANGE" in words
    assert "new with this change" in words  # renewing the 24 mg would not raise it
    assert "daily dose 24 → 100 mg (+76 mg)" in words


def test_the_rule_check_within_the_range_raises_no_dose_warning(
    clinic: WebClinic, doctor: TestClient
) -> None:
    words = text_of(check(doctor, clinic.patient_ids["demo-18"], "48").text)
    assert "0.6 mg/kg/day" in words and "within the usual range" in words
    assert "DOSE_ABOVE_RANGE" not in words and "DOSE_BELOW_RANGE" in words  # the current 24 mg


def test_the_rule_check_lists_every_alert_of_every_severity(
    clinic: WebClinic, doctor: TestClient
) -> None:
    patient = clinic.patient_ids["demo-04"]  # PHQ-9 item 9 scored (stop), total 13 (warning)
    page = doctor.get(f"/patients/{patient}")
    recorded = post_form(
        doctor,
        f"/patients/{patient}/events/lab_result",
        page.text,
        date="2026-11-22",
        test="triglycerides",
        value="1000",
        unit="mg/dL",
    )
    assert recorded.status_code == 200
    answer = check(doctor, patient, "200")  # 2.94 mg/kg/day at 68 kg: over the maximum
    listed = section(answer.text, "check-alerts")
    severities = re.findall(r'class="sev sev-(\w+)"', listed)
    assert severities[0] == "stop" and {"stop", "urgent", "block", "warning"} <= set(severities)
    for title in (
        "Thoughts of self-harm on PHQ-9",
        "Triglycerides very high: pancreatitis risk",
        "Dose above the label maximum",
        "Moderate depression score",
    ):
        assert title in listed
    assert "The rules refuse this prescription" in answer.text


def test_the_prescription_form_starts_empty(clinic: WebClinic, doctor: TestClient) -> None:
    page = doctor.get(f"/patients/{clinic.patient_ids['demo-01']}").text
    assert re.search(r'id="rx-mg"[^>]*value=""', page)
    assert re.search(r'id="rx-days"[^>]*value=""', page)


def test_prescription_today_says_why_in_words_not_codes(
    clinic: WebClinic, doctor: TestClient
) -> None:
    page = doctor.get(f"/patients/{clinic.patient_ids['demo-04']}").text
    box = text_of(section(page, "prescription-today"))
    assert "May not be written" in box
    assert "Stop: Thoughts of self-harm on PHQ-9" in box
    assert "Blocked: MOOD_SUICIDAL_IDEATION" not in box
    assert re.search(r'class="code-label">MOOD_SUICIDAL_IDEATION<', page)  # a small label


def test_an_issued_prescription_shows_its_state_until_cancelled(
    clinic: WebClinic, doctor: TestClient
) -> None:
    patient = clinic.patient_ids["demo-01"]
    page = doctor.get(f"/patients/{patient}")
    issued = post_form(
        doctor, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
    )
    assert "?issued=" in str(issued.url)
    card = text_of(section(issued.text, "issued"))
    prescription = str(issued.url).split("issued=")[1]
    assert prescription in card and "60 mg a day for 30 days" in card
    assert "issued, not yet dispensed" in card and "until 2026-12-21 Mon" in card
    today = text_of(section(issued.text, "prescription-today"))
    assert "May be written" not in today and "waiting at the pharmacy" in today
    cancelled = post_form(
        doctor,
        f"/patients/{patient}/prescriptions/{prescription}/cancel",
        issued.text,
        reason="dose to be reviewed",
    )
    assert cancelled.status_code == 200 and f"issued={prescription}" in str(cancelled.url)
    card = text_of(section(cancelled.text, "issued"))
    assert "cancelled on 2026-11-22 Sun" in card and "dose to be reviewed" in card
    assert "Cancel this prescription" not in section(cancelled.text, "issued")
    assert "May be written" in text_of(section(cancelled.text, "prescription-today"))


def test_a_dispensed_prescription_shows_dispensed(clinic: WebClinic, doctor: TestClient) -> None:
    patient = clinic.patient_ids["demo-01"]
    page = doctor.get(f"/patients/{patient}")
    issued = post_form(
        doctor, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
    )
    prescription = str(issued.url).split("issued=")[1]
    with clinic.browser() as pharmacist:
        counter = log_in(pharmacist, "pharm@demo.test")
        done = post_form(
            pharmacist,
            "/pharmacy/dispense",
            counter.text,
            prescription_id=prescription,
            birth_date="2004-11-01",
        )
        assert done.status_code == 200
    card = text_of(section(doctor.get(str(issued.url)).text, "issued"))
    assert "State: dispensed" in card


def test_a_stored_record_that_no_longer_validates_shows_in_the_rule_check(
    clinic: WebClinic, doctor: TestClient
) -> None:
    """htmx swaps in only a 2xx answer: the check says what is wrong in its own area."""
    patient = clinic.patient_ids["demo-01"]
    page = doctor.get(f"/patients/{patient}")
    store = clinic.app.state.wiring.system.store
    with store.transaction() as session:  # written past the services, as a faulty migration
        weight = session.scalars(
            select(EventRow).where(EventRow.patient_id == patient, EventRow.kind == "weight")
        ).first()
        assert weight is not None
        weight.payload = {**weight.payload, "value": "heavy"}
    answer = post_form(
        doctor,
        f"/patients/{patient}/prescribe/check",
        page.text,
        mg_per_day="60",
        days_supply="30",
    )
    assert answer.status_code == 200
    assert 'role="alert"' in answer.text and "no longer validates" in answer.text
