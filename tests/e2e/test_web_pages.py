"""The pages through HTTP: log-in per role, the journeys of issue 5, CSRF, validation."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from isocourse.auth.users import add_user
from isocourse.demo_patients import demo_patients
from isocourse.service.context import Call
from isocourse.service.enrolment import enrol_patient
from tests.web_support import (
    NOW,
    PASSWORD,
    TODAY,
    WebClinic,
    csrf_of,
    log_in,
    post_form,
    web_clinic,
)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


def test_each_role_lands_on_its_own_page(clinic: WebClinic) -> None:
    for email, landing in (
        ("doc@demo.test", "/worklist"),
        ("pharm@demo.test", "/pharmacy"),
        ("sam@demo.test", "/me"),
        ("admin@demo.test", "/admin"),
    ):
        with clinic.browser() as browser:
            response = log_in(browser, email)
            assert response.status_code == 200
            assert response.url.path == landing


def test_a_wrong_password_is_refused_in_plain_words(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        page = browser.get("/login")
        response = post_form(browser, "/login", page.text, email="doc@demo.test", password="nope")
        assert response.status_code == 401
        assert "wrong e-mail or password" in response.text


def test_pages_need_a_log_in(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        assert browser.get("/worklist").url.path == "/login"


def test_a_form_without_its_csrf_token_is_refused(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        patient = clinic.patient_ids["demo-01"]
        response = browser.post(
            f"/patients/{patient}/events/weight",
            data={"date": "2026-11-22", "value": "70", "unit": "kg"},
        )
        assert response.status_code == 403
        assert "expired" in response.text


def test_the_worklist_puts_stop_alerts_first_and_says_why(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        page = log_in(browser, "doc@demo.test").text
        rows = re.findall(r'<span class="sev sev-(\w+)">', page)
        assert rows[0] == "stop"
        assert "nothing to act on" in page
        filtered = browser.get("/worklist", params={"tier": "stop"}).text
        assert filtered.count("sev-stop") >= 3 and "sev-info" not in filtered


def test_recording_a_lab_result_changes_the_alerts(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        assert "LAB_ALT_HIGH" not in page.text
        response = post_form(
            browser,
            f"/patients/{patient}/events/lab_result",
            page.text,
            date="2026-11-22",
            test="alt",
            value="250",
            unit="U/L",
            reference_high="40",
        )
        assert response.status_code == 200  # 250 > 5 x 40
        assert "LAB_ALT_HIGH" in response.text and "LAB_LIVER_SEVERE" in response.text


def test_a_bad_value_is_refused_naming_the_field(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        response = post_form(
            browser,
            f"/patients/{patient}/events/weight",
            page.text,
            date="2026-11-22",
            value="heavy",
            unit="kg",
        )
        assert response.status_code == 422
        assert "value" in response.text and "Not recorded" in response.text


def test_an_entry_marked_entered_in_error_stays_visible_but_struck_through(
    clinic: WebClinic,
) -> None:
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        page = post_form(
            browser,
            f"/patients/{patient}/events/lab_result",
            page.text,
            date="2026-11-22",
            test="alt",
            value="200",
            unit="U/L",
        )
        event = re.search(r"/events/([0-9a-f-]{36})/entered-in-error", page.text)
        assert event
        page = post_form(
            browser, f"/patients/{patient}/events/{event.group(1)}/entered-in-error", page.text
        )
        assert "(entered in error)" in page.text
        assert "LAB_ALT_HIGH" not in page.text


def test_a_blocked_prescription_is_refused_with_its_reasons(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-04"]  # PHQ-9 item 9 scored
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        check = post_form(
            browser,
            f"/patients/{patient}/prescribe/check",
            page.text,
            mg_per_day="60",
            days_supply="30",
        )
        assert "refuse" in check.text and "MOOD_SUICIDAL_IDEATION" in check.text
        response = post_form(
            browser, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        assert response.status_code == 409
        assert "Prescription refused" in response.text and "MOOD_SUICIDAL_IDEATION" in response.text


def prescribe_for(clinic: WebClinic, record_id: str) -> str:
    patient = clinic.patient_ids[record_id]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        response = post_form(
            browser, f"/patients/{patient}/prescribe", page.text, mg_per_day="60", days_supply="30"
        )
        assert response.status_code == 200, response.text
        issued = re.search(r"Prescription issued: <strong>([0-9a-f-]{36})</strong>", response.text)
        assert issued
        return issued.group(1)


def test_a_pharmacist_verifies_and_dispenses_once(clinic: WebClinic) -> None:
    prescription = prescribe_for(clinic, "demo-01")
    with clinic.browser() as browser:
        log_in(browser, "pharm@demo.test")
        page = browser.get("/pharmacy")
        birth_date = "2004-11-01"
        wrong = post_form(
            browser, "/pharmacy", page.text, prescription_id=prescription, birth_date="2000-01-01"
        )
        assert wrong.status_code == 422
        verified = post_form(
            browser, "/pharmacy", page.text, prescription_id=prescription, birth_date=birth_date
        )
        assert "ALLOWED" in verified.text
        done = post_form(
            browser,
            "/pharmacy/dispense",
            verified.text,
            prescription_id=prescription,
            birth_date=birth_date,
        )
        assert "Dispense recorded" in done.text
        again = post_form(
            browser, "/pharmacy", done.text, prescription_id=prescription, birth_date=birth_date
        )
        assert "ALREADY DISPENSED" in again.text


def test_a_patient_checks_in_and_a_red_flag_tops_the_worklist(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        page = log_in(patient, "sam@demo.test")
        checked = post_form(patient, "/me/check-in", page.text, taken="yes")
        assert "checked in" in checked.text
        answer = post_form(
            patient, "/me/symptoms", checked.text, text="really bad headache and blurry vision"
        )
        assert "Call your clinic now" in answer.text
        assert "Stop taking isotretinoin" in answer.text
    with clinic.browser() as doctor:
        page = log_in(doctor, "doc@demo.test").text
        first_row = page.split("<tbody>")[1].split("</tr>")[0]
        assert "demo-01" in first_row and "Possible intracranial hypertension" in first_row


def test_a_missed_morning_dose_is_subtracted_with_the_right_advice(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        page = log_in(patient, "sam@demo.test")
        answer = post_form(patient, "/me/check-in", page.text, missed="morning")
        assert "missed dose is recorded" in answer.text
        assert "Skip the dose you missed" in answer.text  # generic capsules under iPLEDGE
        again = post_form(patient, "/me/check-in", answer.text, missed="evening")
        assert again.status_code == 422


def test_a_patient_cannot_open_the_prescriber_pages(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        log_in(patient, "sam@demo.test")
        other = clinic.patient_ids["demo-02"]
        assert patient.get(f"/patients/{other}").status_code == 403
        assert patient.get("/worklist").status_code == 403


def test_the_capsule_planner_gives_morning_and_evening_capsules(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get("/planner")
        answer = post_form(
            browser,
            "/planner",
            page.text,
            weight="62kg",
            product="absorica",
            mg_per_kg="0.5",
            target="",
        )
        assert "30 mg a day" in answer.text and "310 days" in answer.text
        bad = post_form(
            browser, "/planner", page.text, weight="62", product="absorica", mg_per_kg="0.5"
        )
        assert bad.status_code == 422 and "weight" in bad.text


def test_the_patient_page_serves_its_chart_report_and_calendar(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        chart = browser.get(f"/patients/{patient}/charts/cumulative.png")
        assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
        assert browser.get(f"/patients/{patient}/report.pdf").content.startswith(b"%PDF")
        assert b"BEGIN:VCALENDAR" in browser.get(f"/patients/{patient}/calendar.ics").content


def test_the_patient_reads_the_guide_fitted_to_their_course(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        log_in(patient, "sam@demo.test")
        guide = patient.get("/me/guide")
        assert guide.status_code == 200
        assert "Skip" in guide.text or "skip" in guide.text  # generic capsules under iPLEDGE
        assert "Sources" in guide.text


def test_a_phone_subscribes_to_the_calendar_at_the_patients_secret_link(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        page = log_in(patient, "sam@demo.test")
        assert "/feeds/calendar/" not in page.text  # none issued yet
        page = post_form(patient, "/me/calendar-link", page.text)
        link = re.search(r'href="(http://testserver/feeds/calendar/[^"]+\.ics)"', page.text)
        assert link
    with clinic.browser() as phone:  # no log-in, no cookies
        feed = phone.get(link.group(1))
        assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
        tampered = link.group(1).replace(".ics", "x.ics")
        assert phone.get(tampered).status_code == 404
        other = clinic.patient_ids["demo-02"]
        assert (
            phone.get(link.group(1).replace(clinic.patient_ids["demo-01"], other)).status_code
            == 404
        )


def test_the_pages_name_each_patient_as_the_cli_does(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-04"]
    with clinic.browser() as browser:
        worklist = log_in(browser, "doc@demo.test").text
        assert f'<a href="/patients/{patient}">Jordan Blake (demo-04)</a>' in worklist
        page = browser.get(f"/patients/{patient}").text
        assert "<h1>Jordan Blake (demo-04) <small" in page
        assert patient not in re.sub(r'(href|action|src|hx-post)="[^"]*"', "", page)
        assert "Jordan Blake" in browser.get("/worklist", params={"q": "jordan"}).text
        access = browser.get(f"/patients/{patient}/access").text
        assert '<small class="hint">Jordan Blake (demo-04)</small>' in access
        pdf = browser.get(f"/patients/{patient}/report.pdf").content
        assert "Jordan Blake" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_patient_page_opens_by_the_clinics_own_number(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        by_number = browser.get("/patients/demo-05")
        assert by_number.status_code == 200
        assert "<h1>Leo Marchetti (demo-05)" in by_number.text
        # its forms and links go to the patient's own page
        assert f'action="/patients/{clinic.patient_ids["demo-05"]}/prescribe"' in by_number.text


def test_another_clinics_patient_number_is_not_found(clinic: WebClinic) -> None:
    system = clinic.app.state.wiring.system
    other = add_user(
        system.store,
        email="doc@other.test",
        role="prescriber",
        clinic_id="other",
        password=PASSWORD,
        now=NOW,
    )
    record = next(p.record for p in demo_patients(TODAY) if p.record["patient"]["id"] == "demo-07")
    call = Call(actor=other, request_id="other", today=TODAY, now=NOW)
    theirs = enrol_patient(system, call, record, name="Other Person").patient_id
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        for name in (theirs, "demo-99"):
            missing = browser.get(f"/patients/{name}")
            assert missing.status_code == 404
            assert "<h1>Patient not found</h1>" in missing.text
            assert "Other Person" not in missing.text
    with clinic.browser() as browser:
        log_in(browser, "doc@other.test")
        # their demo-07 is theirs; our demo-01 is not found for them
        assert "Other Person (demo-07)" in browser.get("/patients/demo-07").text
        assert browser.get("/patients/demo-01").status_code == 404


def test_error_pages_are_titled_by_what_happened(clinic: WebClinic) -> None:
    with clinic.browser() as patient:
        log_in(patient, "sam@demo.test")
        refused = patient.get("/worklist")
        assert refused.status_code == 403 and "<h1>Not allowed</h1>" in refused.text
    with clinic.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        missing = doctor.get("/patients/no-such-patient")
        assert "<title>Patient not found · isocourse</title>" in missing.text
        assert "Cannot do that" not in missing.text
    with clinic.browser() as browser:
        expired = browser.post("/planner", data={"weight": "62kg"})
        assert expired.status_code == 403 and "<h1>Form expired</h1>" in expired.text


def test_the_planner_names_the_field_in_words_where_htmx_shows_it(clinic: WebClinic) -> None:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get("/planner")
        # htmx swaps a 422 into the page (it swaps no 4xx by default)
        config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page.text)
        assert config
        handling = json.loads(config.group(1))["responseHandling"]
        first_match = next(rule for rule in handling if re.search(rule["code"], "422"))
        assert first_match == {"code": "422", "swap": True, "error": False}
        form = {"weight": "sixty", "product": "absorica", "mg_per_kg": "0.5"}
        answer = browser.post(
            "/planner",
            data={"csrf_token": csrf_of(page.text), **form},
            headers={"HX-Request": "true"},
        )
        assert answer.status_code == 422
        plan = answer.text.split('<section id="plan"', 1)[1].split("</section>", 1)[0]
        assert "Body weight: enter a weight with its unit, e.g. 62kg or 136lb" in plan


def test_the_rule_check_names_a_bad_dose_by_its_label(clinic: WebClinic) -> None:
    patient = clinic.patient_ids["demo-01"]
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        page = browser.get(f"/patients/{patient}")
        check = post_form(
            browser,
            f"/patients/{patient}/prescribe/check",
            page.text,
            mg_per_day="sixty",
            days_supply="30",
        )
        assert "Daily dose: enter a dose in mg" in check.text
        assert "mg_per_day" not in check.text
