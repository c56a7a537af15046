"""SMART App Launch from the EHR to the course page, against a stand-in EHR built from
maintained libraries (authlib's authorization server on Flask), with the programme
status written back as a DocumentReference and read with the independent R4 client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from fhirclient import client as fhir_client
from fhirclient.models.documentreference import DocumentReference

from isocourse.service.cds_clients import register_client
from isocourse.web.session import CSRF_COOKIE
from tests.clinic_support import (
    ALLOWED_DEMO,
    NOW,
    PASSWORD,
    Clinic,
    demo,
    fresh_database,
    running_clinic,
)
from tests.ehr_sandbox import CLIENT_ID, Sandbox, running_sandbox

EHR_PATIENT = "smart-pat-7"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        running.patients[EHR_PATIENT] = {
            "resourceType": "Patient",
            "id": EHR_PATIENT,
            "birthDate": "2001-06-02",
        }
        running.launches["launch-123"] = EHR_PATIENT
        yield running


@pytest.fixture
def clinic(tmp_path: Path, sandbox: Sandbox) -> Iterator[Clinic]:
    for running in running_clinic(fresh_database("sqlite", tmp_path), tmp_path):
        register_client(
            running.app.state.wiring.system,
            issuer=f"{sandbox.base}/issuer",
            clinic_id="a",
            now=NOW,
            jwks={"keys": [_public_key()]},
            fhir_server=sandbox.fhir,
            smart_client_id=CLIENT_ID,
        )
        yield running


def _public_key() -> dict[str, str]:
    from joserfc.jwk import ECKey

    return ECKey.generate_key("P-384", parameters={"kid": "k"}, private=False).as_dict()


def signed_in_browser(clinic: Clinic) -> TestClient:
    browser = TestClient(clinic.app, follow_redirects=False)
    browser.get("/login")
    form = {
        "email": "doc_a@a.test",
        "password": PASSWORD,
        "csrf_token": browser.cookies[CSRF_COOKIE],
    }
    assert browser.post("/login", data=form).status_code == 303
    return browser


def launch(browser: TestClient, sandbox: Sandbox) -> httpx2.Response:
    """/smart/launch -> the EHR's authorization -> /smart/callback (the browser's path)."""
    started = browser.get("/smart/launch", params={"iss": sandbox.fhir, "launch": "launch-123"})
    assert started.status_code == 303, started.text
    authorize = started.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{sandbox.base}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["aud"] == [sandbox.fhir]
    approved = httpx2.get(authorize, follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert back.path == "/smart/callback"
    return browser.get(f"{back.path}?{back.query}")


def test_an_ehr_launch_goes_to_the_course_page_and_writes_the_status_back(
    clinic: Clinic, sandbox: Sandbox
) -> None:
    browser = signed_in_browser(clinic)
    landed = launch(browser, sandbox)
    assert landed.status_code == 303, landed.text
    course = landed.headers["location"]
    assert course.startswith("/patients/")
    page = browser.get(course)
    assert page.status_code == 200
    assert f"ehr-{EHR_PATIENT}" in page.text  # enrolled from the EHR's Patient

    assert len(sandbox.documents) == 1
    smart = fhir_client.FHIRClient(settings={"app_id": "reader", "api_base": sandbox.fhir})
    document = DocumentReference.read("doc-1", smart.server)
    assert document.type.coding[0].system == "http://loinc.org"
    assert document.type.coding[0].code == "51851-4"
    assert document.subject.reference == f"Patient/{EHR_PATIENT}"
    assert document.status == "current"
    text = base64.b64decode(document.content[0].attachment.data).decode("utf-8")
    assert "Prescription:" in text and "programme us-ipledge" in text

    again = launch(browser, sandbox)  # the link is kept: the same patient, not a new one
    assert again.headers["location"] == course


def test_a_launch_links_to_an_enrolled_patient_when_linked_first(
    clinic: Clinic, sandbox: Sandbox
) -> None:
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    link = {"fhir_server": sandbox.fhir, "ehr_patient_id": EHR_PATIENT}
    url = f"/api/v1/patients/{patient}/ehr-links"
    assert clinic.client.post(url, json=link, headers=clinic.as_user("doc_a")).status_code == 201
    landed = launch(signed_in_browser(clinic), sandbox)
    assert landed.headers["location"] == f"/patients/{patient}"


def test_a_used_state_and_an_unregistered_ehr_are_refused(clinic: Clinic, sandbox: Sandbox) -> None:
    browser = signed_in_browser(clinic)
    stranger = browser.get(
        "/smart/launch", params={"iss": "https://other.example/fhir", "launch": "x"}
    )
    assert stranger.status_code == 404
    forged = browser.get("/smart/callback", params={"code": "c", "state": "not-a-state"})
    assert forged.status_code == 422
    signed_out = TestClient(clinic.app, follow_redirects=False).get(
        "/smart/launch", params={"iss": sandbox.fhir, "launch": "launch-123"}
    )
    assert signed_out.headers["location"] == "/login"
