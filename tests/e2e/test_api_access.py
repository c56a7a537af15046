"""Who may see and do what, for every endpoint: clinic isolation, a patient's own record
only, the pharmacist's narrow door, and no access without a token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.clinic_support import ALLOWED_DEMO, Clinic, demo


@dataclass(frozen=True)
class Scene:
    patient_id: str
    other_patient_id: str
    prescription_id: str
    event_id: str
    birth_date: str


@pytest.fixture
def scene(clinic: Clinic) -> Scene:
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    other = clinic.enrol(demo(ALLOWED_DEMO + 1))
    headers = clinic.as_user("doc_a")
    prescription = clinic.client.post(
        f"/api/v1/patients/{patient_id}/prescriptions",
        json={"days_supply": 30, "mg_per_day": 60},
        headers=headers,
    ).json()["prescription_id"]
    events = clinic.client.get(f"/api/v1/patients/{patient_id}/events", headers=headers).json()
    clinic.add("pat_a", "patient", "a", patient_id=patient_id)
    clinic.add("pat_other", "patient", "a", patient_id=other)
    return Scene(
        patient_id, other, prescription, events[-1]["event_id"], record["patient"]["birth_date"]
    )


SYMPTOM = {"kind": "symptom", "entry": {"date": "2026-03-14", "text": "dry lips"}}


def patient_endpoints(s: Scene) -> list[tuple[str, str, dict[str, Any] | None]]:
    base = f"/api/v1/patients/{s.patient_id}"
    return [
        ("GET", f"{base}/record", None),
        ("GET", f"{base}/assessment", None),
        ("GET", f"{base}/events", None),
        ("POST", f"{base}/events", SYMPTOM),
        ("POST", f"{base}/corrections", {"event_id": s.event_id, "reason": "test"}),
        ("POST", f"{base}/prescriptions", {"days_supply": 30, "mg_per_day": 60}),
    ]


def pharmacy_endpoints(s: Scene) -> list[tuple[str, str, dict[str, Any] | None]]:
    base = f"/api/v1/prescriptions/{s.prescription_id}"
    return [
        ("GET", f"{base}/verification?birth_date={s.birth_date}", None),
        ("POST", f"{base}/dispenses", {"birth_date": s.birth_date}),
    ]


def call(clinic: Clinic, user: str | None, method: str, url: str, body: Any) -> int:
    headers = clinic.as_user(user) if user else {}
    response = clinic.client.request(method, url, json=body, headers=headers)
    return response.status_code


def every_endpoint(s: Scene) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        *patient_endpoints(s),
        *pharmacy_endpoints(s),
        ("POST", "/api/v1/patients", demo(ALLOWED_DEMO)),
        ("GET", "/api/v1/worklist", None),
        ("POST", "/api/v1/evaluate", demo(ALLOWED_DEMO)),
    ]


def test_every_endpoint_refuses_a_caller_without_a_token(clinic: Clinic, scene: Scene) -> None:
    for method, url, body in every_endpoint(scene):
        assert call(clinic, None, method, url, body) == 401, url
    bad = {"Authorization": "Bearer forged.token"}
    assert clinic.client.get("/api/v1/worklist", headers=bad).status_code == 401


@pytest.mark.parametrize("user", ["doc_b", "pharm_b", "admin_b"])
def test_another_clinic_never_reaches_a_patient(clinic: Clinic, scene: Scene, user: str) -> None:
    for method, url, body in [*patient_endpoints(scene), *pharmacy_endpoints(scene)]:
        assert call(clinic, user, method, url, body) in (403, 404), (user, method, url)
    if user == "doc_b":
        listing = clinic.client.get("/api/v1/worklist", headers=clinic.as_user(user)).json()
        assert scene.patient_id not in [row["patient_id"] for row in listing]


def test_a_patient_reads_and_logs_only_their_own_record(clinic: Clinic, scene: Scene) -> None:
    own = patient_endpoints(scene)
    expected = [200, 200, 200, 201, 403, 403]
    assert [call(clinic, "pat_a", m, u, b) for m, u, b in own] == expected
    other = Scene(scene.other_patient_id, scene.patient_id, "", "", "")
    for method, url, body in patient_endpoints(other):
        assert call(clinic, "pat_a", method, url, body) in (403, 404), url
    for method, url, body in pharmacy_endpoints(scene):
        assert call(clinic, "pat_a", method, url, body) == 403, url
    assert call(clinic, "pat_a", "GET", "/api/v1/worklist", None) == 403
    assert call(clinic, "pat_a", "POST", "/api/v1/patients", demo(ALLOWED_DEMO)) == 403


def test_a_patient_may_not_record_clinical_results(clinic: Clinic, scene: Scene) -> None:
    lab = {
        "kind": "lab_result",
        "entry": {"date": "2026-03-14", "test": "alt", "value": 9, "unit": "U/L"},
    }
    url = f"/api/v1/patients/{scene.patient_id}/events"
    assert call(clinic, "pat_a", "POST", url, lab) == 403


def test_a_pharmacist_only_verifies_and_dispenses(clinic: Clinic, scene: Scene) -> None:
    for method, url, body in patient_endpoints(scene):
        assert call(clinic, "pharm_a", method, url, body) == 403, url
    assert call(clinic, "pharm_a", "GET", "/api/v1/worklist", None) == 403
    assert call(clinic, "pharm_a", "POST", "/api/v1/patients", demo(ALLOWED_DEMO)) == 403
    verification, dispensing = pharmacy_endpoints(scene)
    assert call(clinic, "pharm_a", *verification) == 200
    assert call(clinic, "pharm_a", *dispensing) == 201


def test_an_admin_makes_no_clinical_reads_or_writes(clinic: Clinic, scene: Scene) -> None:
    for method, url, body in [*patient_endpoints(scene), *pharmacy_endpoints(scene)]:
        assert call(clinic, "admin_a", method, url, body) == 403, url


def test_health_answers_without_a_token(clinic: Clinic) -> None:
    response = clinic.client.get("/health")
    assert response.json() == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_a_wrong_password_gets_no_token(clinic: Clinic) -> None:
    form = {"username": "doc_a@a.test", "password": "wrong password"}
    assert clinic.client.post("/api/v1/auth/token", data=form).status_code == 401
