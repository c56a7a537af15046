"""The patient's own page through HTTP: plain words for doses and what comes next, and,
after a red flag or a stop alert, only what to do (stop, call the clinic) until a
clinician has reviewed; the guide agrees (no projected end while stopped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web_support import WebClinic, log_in, post_form, section, text_of, web_clinic

DOSE_BUTTON = "I took my dose"


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


@pytest.fixture
def patient(clinic: WebClinic) -> Iterator[TestClient]:
    with clinic.browser() as browser:
        log_in(browser, "sam@demo.test")
        yield browser


def test_the_page_tells_doses_and_next_steps_in_plain_words(patient: TestClient) -> None:
    page = patient.get("/me").text
    assert 'Today is <time datetime="2026-11-22">22 November 2026</time>' in page
    history = text_of(section(page, "dose-history"))
    assert "Since 23 October 2026: 60 mg a day." in history
    assert "From 23 September 2026 to 22 October 2026: 40 mg a day." in history
    steps = text_of(section(page, "next-steps"))
    assert "Weigh-in: by 17 December 2026." in steps and "2026-12" not in steps
    assert DOSE_BUTTON in page and "Your dose: 60 mg a day." in page


def test_after_a_red_flag_the_page_says_only_stop_and_call(patient: TestClient) -> None:
    page = patient.get("/me")
    answer = post_form(patient, "/me/symptoms", page.text, text="yellow eyes and dark urine")
    for shown in (answer.text, patient.get("/me").text):  # and on every visit after
        assert "Call your clinic now" in shown and "Stop taking isotretinoin" in shown
        assert 'id="held"' in shown
        assert DOSE_BUTTON not in shown and "Your dose:" not in shown
        assert "How do you feel?" not in shown and "Mood check (PHQ-9)" not in shown
    refused = post_form(patient, "/me/check-in", page.text, taken="yes")
    assert refused.status_code == 409 and "stop taking isotretinoin for now" in refused.text
    assert DOSE_BUTTON not in refused.text


def test_while_stopped_the_guide_projects_no_end(patient: TestClient) -> None:
    before = patient.get("/me/guide").text
    assert "you should reach your target around" in before
    page = patient.get("/me")
    post_form(patient, "/me/symptoms", page.text, text="really bad headache and blurry vision")
    guide = patient.get("/me/guide").text
    assert "you should reach your target around" not in guide
    assert "Stop taking isotretinoin for now and call your clinic." in guide


def test_a_stop_the_clinic_recorded_holds_the_page(clinic: WebClinic, patient: TestClient) -> None:
    record = clinic.patient_ids["demo-01"]
    with clinic.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        page = doctor.get(f"/patients/{record}")
        post_form(
            doctor,
            f"/patients/{record}/events/mood_screen",
            page.text,
            date="2026-11-22",
            instrument="phq9",
            items="0,0,0,0,0,0,0,0,1",
        )
    page = patient.get("/me").text
    assert 'id="held"' in page and DOSE_BUTTON not in page
    assert "Talk to someone now" in page  # the advice for thoughts of self-harm


def test_a_red_flag_that_is_not_a_stop_holds_until_a_clinician_reviews_it(
    clinic: WebClinic, patient: TestClient
) -> None:
    words = "I feel hopeless"  # low mood: urgent, and a red flag for the patient
    page = patient.get("/me")
    held = post_form(patient, "/me/symptoms", page.text, text=words)
    assert 'id="held"' in held.text and DOSE_BUTTON not in held.text
    record = clinic.patient_ids["demo-01"]
    with clinic.browser() as doctor:
        log_in(doctor, "doc@demo.test")
        course = doctor.get(f"/patients/{record}")
        waiting = section(course.text, "red-flag-reviews")
        assert f'name="text" value="{words}"' in waiting  # one click away
        reviewed = post_form(
            doctor,
            f"/patients/{record}/reviews",
            course.text,
            kind="symptom",
            text=words,
            outcome="acted_on",
        )
        assert reviewed.status_code == 200
    page = patient.get("/me").text
    assert 'id="held"' not in page and DOSE_BUTTON in page


def test_a_common_side_effect_does_not_hold_the_page(patient: TestClient) -> None:
    page = patient.get("/me")
    answer = post_form(patient, "/me/symptoms", page.text, text="dry lips")
    assert 'id="held"' not in answer.text and DOSE_BUTTON in answer.text
