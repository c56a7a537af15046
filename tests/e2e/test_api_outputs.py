"""FHIR reads, the summary PDF, the calendar feed, the Bundle import and the reminder
preference over HTTP: what they return, and who may have them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tests.clinic_support import ALLOWED_DEMO, Clinic, demo


@dataclass(frozen=True)
class Scene:
    patient_id: str
    other_patient_id: str


@pytest.fixture
def scene(clinic: Clinic) -> Scene:
    patient_id = clinic.enrol(demo(ALLOWED_DEMO))
    other = clinic.enrol(demo(ALLOWED_DEMO + 1))
    clinic.add("pat_a", "patient", "a", patient_id=patient_id)
    return Scene(patient_id, other)


def everything(clinic: Clinic, patient_id: str, user: str = "doc_a") -> dict[str, Any]:
    response = clinic.client.get(
        f"/fhir/Patient/{patient_id}/$everything", headers=clinic.as_user(user)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle: dict[str, Any] = response.json()
    return bundle


def test_everything_is_a_valid_searchset_bundle_named_by_the_store_id(
    clinic: Clinic, scene: Scene
) -> None:
    bundle = everything(clinic, scene.patient_id)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"])
    patient = bundle["entry"][0]["resource"]
    assert patient["id"] == scene.patient_id
    assert patient["identifier"][0]["value"] == demo(ALLOWED_DEMO)["patient"]["id"]
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/Patient/{scene.patient_id}"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "MedicationRequest", "Observation", "QuestionnaireResponse"} <= kinds


def test_every_resource_of_the_bundle_reads_back_by_type_and_id(
    clinic: Clinic, scene: Scene
) -> None:
    bundle = everything(clinic, scene.patient_id)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = clinic.client.get(url, headers=clinic.as_user("doc_a"))
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("application/fhir+json")
        assert response.json() == resource
        get_fhir_model_class(resource["resourceType"]).model_validate(response.json())


def test_two_patients_with_the_same_record_share_no_resource_id(clinic: Clinic) -> None:
    """...but the clinic that recorded their entries, one Organization, is the same."""
    first, second = clinic.enrol(demo(ALLOWED_DEMO)), clinic.enrol(demo(ALLOWED_DEMO))
    bundles = [everything(clinic, patient) for patient in (first, second)]
    ids = [
        {e["resource"]["id"] for e in b["entry"] if e["resource"]["resourceType"] != "Organization"}
        for b in bundles
    ]
    assert not ids[0] & ids[1]
    organizations = [
        [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Organization"]
        for b in bundles
    ]
    assert organizations[0] == organizations[1] != []


def test_unknown_resource_type_or_id_is_not_found(clinic: Clinic, scene: Scene) -> None:
    headers = clinic.as_user("doc_a")
    assert clinic.client.get("/fhir/Condition/x", headers=headers).status_code == 404
    assert clinic.client.get("/fhir/Observation/nope", headers=headers).status_code == 404


def output_urls(s: Scene) -> list[str]:
    return [
        f"/fhir/Patient/{s.patient_id}/$everything",
        f"/fhir/Patient/{s.patient_id}",
        f"/api/v1/patients/{s.patient_id}/report.pdf",
        f"/api/v1/patients/{s.patient_id}/calendar.ics",
    ]


WHO_GETS_WHAT = [
    ("doc_a", 200),
    ("pat_a", 200),
    ("doc_b", 404),
    ("pharm_a", 403),
    ("admin_a", 403),
    (None, 401),
]


def test_outputs_follow_the_record_authorisation(clinic: Clinic, scene: Scene) -> None:
    for user, status in WHO_GETS_WHAT:
        headers = clinic.as_user(user) if user else {}
        for url in output_urls(scene):
            assert clinic.client.get(url, headers=headers).status_code == status, (user, url)


def test_a_patient_cannot_read_another_patients_resources(clinic: Clinic, scene: Scene) -> None:
    other_bundle = everything(clinic, scene.other_patient_id)
    observation = next(
        e["resource"]
        for e in other_bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    )
    headers = clinic.as_user("pat_a")
    urls = [
        f"/fhir/Observation/{observation['id']}",
        *output_urls(Scene(scene.other_patient_id, scene.patient_id)),
    ]
    for url in urls:
        assert clinic.client.get(url, headers=headers).status_code == 404, url


def test_another_clinic_cannot_read_a_resource_by_id(clinic: Clinic, scene: Scene) -> None:
    bundle = everything(clinic, scene.patient_id)
    for entry in bundle["entry"][:3]:
        resource = entry["resource"]
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        assert clinic.client.get(url, headers=clinic.as_user("doc_b")).status_code == 404


def test_report_is_a_pdf_and_the_calendar_an_icalendar_feed(clinic: Clinic, scene: Scene) -> None:
    headers = clinic.as_user("pat_a")
    base = f"/api/v1/patients/{scene.patient_id}"
    pdf = clinic.client.get(f"{base}/report.pdf?as_of=2026-03-15", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    feed = clinic.client.get(f"{base}/calendar.ics", headers=headers)
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.content.startswith(b"BEGIN:VCALENDAR")


def triglycerides_bundle(value_mg_dl: float) -> dict[str, Any]:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2571-8"}]},
        "subject": {"reference": "Patient/ehr-7"},
        "effectiveDateTime": "2026-03-14T08:30:00Z",
        "valueQuantity": {
            "value": value_mg_dl,
            "unit": "mg/dL",
            "system": "http://unitsofmeasure.org",
            "code": "mg/dL",
        },
    }
    condition = {"resourceType": "Condition", "code": {"text": "acne"}}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": observation}, {"resource": condition}],
    }


def assessment(clinic: Clinic, patient_id: str) -> dict[str, Any]:
    url = f"/api/v1/patients/{patient_id}/assessment"
    body: dict[str, Any] = clinic.client.get(url, headers=clinic.as_user("doc_a")).json()
    del body["patient_id"]
    return body


def test_imported_observations_change_the_assessment_as_hand_entry_would(
    clinic: Clinic,
) -> None:
    by_hand, imported = clinic.enrol(demo(ALLOWED_DEMO)), clinic.enrol(demo(ALLOWED_DEMO))
    before = assessment(clinic, imported)
    entry = {"date": "2026-03-14", "test": "triglycerides", "value": 900, "unit": "mg/dL"}
    posted = clinic.client.post(
        f"/api/v1/patients/{by_hand}/events",
        json={"kind": "lab_result", "entry": entry},
        headers=clinic.as_user("doc_a"),
    )
    assert posted.status_code == 201, posted.text
    response = clinic.client.post(
        f"/api/v1/patients/{imported}/fhir-import",
        json=triglycerides_bundle(900),
        headers=clinic.as_user("doc_a", **{"Content-Type": "application/fhir+json"}),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["imported"] == {
        "lab_result": 1,
        "pregnancy_test": 0,
        "weight": 0,
        "medication": 0,
    }
    assert [u["resource_type"] for u in answer["unmapped"]] == ["Condition"]
    after = assessment(clinic, imported)
    assert after == assessment(clinic, by_hand)
    assert after != before


def test_importing_the_same_bundle_again_records_nothing_more(clinic: Clinic, scene: Scene) -> None:
    url = f"/api/v1/patients/{scene.patient_id}/fhir-import"
    headers = clinic.as_user("doc_a")
    clinic.client.post(url, json=triglycerides_bundle(200), headers=headers)
    again = clinic.client.post(url, json=triglycerides_bundle(200), headers=headers).json()
    assert again["event_ids"] == []
    assert [r["kind"] for r in again["already_recorded"]] == ["lab_result"]


def test_a_document_that_is_not_a_bundle_is_refused(clinic: Clinic, scene: Scene) -> None:
    url = f"/api/v1/patients/{scene.patient_id}/fhir-import"
    response = clinic.client.post(
        url, json={"resourceType": "Patient"}, headers=clinic.as_user("doc_a")
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "bundle"


def test_only_the_clinics_prescriber_imports_a_bundle(clinic: Clinic, scene: Scene) -> None:
    url = f"/api/v1/patients/{scene.patient_id}/fhir-import"
    for user, status in [("pat_a", 403), ("pharm_a", 403), ("doc_b", 404), (None, 401)]:
        headers = clinic.as_user(user) if user else {}
        response = clinic.client.post(url, json=triglycerides_bundle(200), headers=headers)
        assert response.status_code == status, user


def test_a_patient_sets_their_own_reminder_preference_only(clinic: Clinic, scene: Scene) -> None:
    body = {"email": "me@example.test", "opt_out": True}
    own = f"/api/v1/patients/{scene.patient_id}/reminder-preference"
    other = f"/api/v1/patients/{scene.other_patient_id}/reminder-preference"
    headers = clinic.as_user("pat_a")
    assert clinic.client.post(own, json=body, headers=headers).status_code == 201
    assert clinic.client.post(other, json=body, headers=headers).status_code == 404
    bad = clinic.client.post(own, json={"email": "not-an-address"}, headers=headers)
    assert bad.status_code == 422
    assert clinic.client.post(own, json=body, headers=clinic.as_user("pharm_a")).status_code == 403


def test_a_patient_enrolled_with_a_name_is_named_in_the_worklist_and_the_pdf(
    clinic: Clinic,
) -> None:
    record = demo(ALLOWED_DEMO)
    doctor = clinic.as_user("doc_a")
    enrolled = clinic.client.post(
        "/api/v1/patients", json=record, params={"name": "  Alex Example "}, headers=doctor
    )
    assert enrolled.status_code == 201, enrolled.text
    rows = clinic.client.get("/api/v1/worklist", headers=doctor).json()
    named = {row["record_patient_id"]: row["name"] for row in rows}
    assert named == {record["patient"]["id"]: "Alex Example"}
    pdf = clinic.client.get(
        f"/api/v1/patients/{enrolled.json()['patient_id']}/report.pdf", headers=doctor
    )
    assert pdf.status_code == 200 and b"%PDF" in pdf.content[:8]
    refused = clinic.client.post(
        "/api/v1/patients", json=record, params={"name": "Alex\x00Example"}, headers=doctor
    )
    assert refused.status_code == 422 and "name" in refused.text
