"""A patient's name through HTTP: recorded by a prescriber, shown on the course page,
kept in the log (a correction marks it entered in error, the record id shows again)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web_support import WebClinic, log_in, post_form, web_clinic


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[WebClinic]:
    yield from web_clinic(tmp_path)


@pytest.fixture
def doctor(clinic: WebClinic) -> Iterator[TestClient]:
    with clinic.browser() as browser:
        log_in(browser, "doc@demo.test")
        yield browser


def test_a_prescriber_names_the_patient(clinic: WebClinic, doctor: TestClient) -> None:
    patient = clinic.patient_ids["demo-02"]
    page = doctor.get(f"/patients/{patient}")
    assert "<h1>Maya Lindqvist" in page.text  # named when the demo clinic was seeded
    renamed = post_form(doctor, f"/patients/{patient}/name", page.text, name="  Maya   Berg ")
    assert renamed.status_code == 200 and "<h1>Maya Berg" in renamed.text
    empty = post_form(doctor, f"/patients/{patient}/name", page.text, name=" ")
    assert empty.status_code == 422 and "Name not saved. Name: write the patient" in empty.text
    long = post_form(doctor, f"/patients/{patient}/name", page.text, name="x" * 201)
    assert long.status_code == 422 and "at most 200 characters" in long.text


def test_a_name_entered_in_error_gives_way_to_the_one_before(
    clinic: WebClinic, doctor: TestClient
) -> None:
    patient = clinic.patient_ids["demo-02"]
    page = doctor.get(f"/patients/{patient}")
    renamed = post_form(doctor, f"/patients/{patient}/name", page.text, name="Wrong Person")
    event = re.search(r"/events/([0-9a-f-]{36})/entered-in-error", renamed.text)
    assert event and "patient name" in renamed.text  # the newest entry of the timeline
    corrected = post_form(
        doctor, f"/patients/{patient}/events/{event.group(1)}/entered-in-error", renamed.text
    )
    assert "<h1>Maya Lindqvist" in corrected.text
