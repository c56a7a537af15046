"""CDS Hooks as an EHR calls them: signed JWTs from a key the test registers, the
services' cards, the 401s, prefetch read from fhirServer, and audited feedback that
reaches the work-list."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from isocourse.api import cds_routes
from isocourse.fhir.client import EhrHttp
from isocourse.fhir.codes import RXNORM
from isocourse.service.cds_clients import register_client
from isocourse.store.tables import AuditEntryRow
from tests.clinic_support import ALLOWED_DEMO, NOW, Clinic, demo, fresh_database, running_clinic

ISSUER = "https://ehr.example.test"
FHIR = "https://ehr.example.test/fhir"
EHR_PATIENT = "ehr-pat-1"
SIGN = "http://testserver/cds-services/isocourse-order-sign"


@pytest.fixture
def ehr_key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": "ehr-1", "alg": "ES384"}, private=True)


@pytest.fixture
def clinic(tmp_path: Path, ehr_key: ECKey) -> Iterator[Clinic]:
    for running in running_clinic(fresh_database("sqlite", tmp_path), tmp_path):
        jwks = {"keys": [ehr_key.as_dict(private=False)]}
        register_client(
            running.app.state.wiring.system,
            issuer=ISSUER,
            clinic_id="a",
            now=NOW,
            jwks=jwks,
            fhir_server=FHIR,
        )
        yield running


def token(key: ECKey, audience: str = SIGN, **claims: Any) -> str:
    epoch = int(NOW.timestamp())
    body = {"iss": ISSUER, "aud": audience, "exp": epoch + 300, "iat": epoch}
    body |= {"jti": str(uuid.uuid4()), **claims}
    return jwt.encode(
        {"alg": "ES384", "kid": "ehr-1", "typ": "JWT"}, body, key, algorithms=["ES384"]
    )


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def medication_request(
    rid: str, code: str, text: str, status: str = "active", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{EHR_PATIENT}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": text}],
            "text": text,
        },
        **extra,
    }


def isotretinoin_draft(capsules_a_day: int = 3) -> dict[str, Any]:
    """isotretinoin 20 mg capsules (RxNorm SCD 197844), 30 days."""
    return medication_request(
        "draft-iso",
        "197844",
        "isotretinoin 20 MG Oral Capsule",
        status="draft",
        dosageInstruction=[
            {
                "timing": {"repeat": {"frequency": capsules_a_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "capsule"}}],
            }
        ],
        dispenseRequest={"expectedSupplyDuration": {"value": 30, "unit": "days", "code": "d"}},
    )


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def hook_call(
    orders: list[dict[str, Any]],
    medications: list[dict[str, Any]],
    *,
    prefetch: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": FHIR,
        "context": {
            "userId": "Practitioner/pr-7",
            "patientId": EHR_PATIENT,
            "draftOrders": bundle(*orders),
        },
        **extra,
    }
    if prefetch:
        body["prefetch"] = {
            "patient": {"resourceType": "Patient", "id": EHR_PATIENT, "birthDate": "2004-03-01"},
            "medications": bundle(*medications),
            "statements": bundle(),
            "observations": bundle(),
        }
    return body


@pytest.fixture
def linked(clinic: Clinic) -> str:
    """demo-01 (a plain course, prescription allowed today), linked to the EHR's patient."""
    patient = clinic.enrol(demo(ALLOWED_DEMO))
    link = {"fhir_server": FHIR, "ehr_patient_id": EHR_PATIENT}
    url = f"/api/v1/patients/{patient}/ehr-links"
    answer = clinic.client.post(url, json=link, headers=clinic.as_user("doc_a"))
    assert answer.status_code == 201, answer.text
    return patient


def sign(clinic: Clinic, key: ECKey, body: dict[str, Any]) -> httpx2.Response:
    return clinic.client.post(
        "/cds-services/isocourse-order-sign", json=body, headers=bearer(token(key))
    )


DOXYCYCLINE = medication_request("med-doxy", "0", "doxycycline hyclate 100 MG Oral Capsule")


def test_discovery_lists_the_three_services_with_their_prefetch(clinic: Clinic) -> None:
    answer = clinic.client.get("/cds-services")
    assert answer.status_code == 200
    services = {s["hook"]: s for s in answer.json()["services"]}
    assert set(services) == {"order-select", "order-sign", "patient-view"}
    prefetch = services["order-sign"]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "status=active,draft" in prefetch["medications"]
    assert "http://loinc.org|14927-8" in prefetch["observations"]  # molar triglycerides
    assert all(s["id"] and s["title"] and s["description"] for s in services.values())


def test_isotretinoin_beside_an_active_tetracycline_gets_a_critical_card_with_its_source(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    answer = sign(clinic, ehr_key, hook_call([isotretinoin_draft()], [DOXYCYCLINE]))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert len(critical) == 1, cards
    card = critical[0]
    assert "Tetracycline" in card["summary"] and len(card["summary"]) < 140
    assert "doxycycline" in card["detail"]
    assert card["source"]["label"].startswith("Absorica US label")
    assert card["source"]["url"].startswith("https://dailymed.nlm.nih.gov/")
    assert card["overrideReasons"] and card["links"][0]["type"] == "smart"
    assert card["links"][0]["url"] == "http://testserver/smart/launch"


def test_a_complete_clear_course_gets_no_critical_card(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    answer = sign(clinic, ehr_key, hook_call([isotretinoin_draft()], []))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert [c for c in cards if c["indicator"] == "critical"] == []
    assert not any("differs" in c["summary"] for c in cards)  # 3 x 20 mg = the plan's 60 mg


def test_a_dose_other_than_the_plan_suggests_the_planned_dose(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    answer = sign(clinic, ehr_key, hook_call([isotretinoin_draft(capsules_a_day=2)], []))
    dose = [c for c in answer.json()["cards"] if "differs" in c["summary"]]
    assert len(dose) == 1
    action = dose[0]["suggestions"][0]["actions"][0]
    assert action["type"] == "update" and action["resource"]["id"] == "draft-iso"
    rate = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["rateRatio"]
    assert rate["numerator"]["value"] == 60


def test_an_unrelated_order_gets_no_card(clinic: Clinic, ehr_key: ECKey, linked: str) -> None:
    ibuprofen = medication_request("draft-ibu", "0", "ibuprofen 400 MG Oral Tablet", "draft")
    answer = sign(clinic, ehr_key, hook_call([ibuprofen], [DOXYCYCLINE]))
    assert answer.status_code == 200
    assert answer.json() == {"cards": []}


def test_unsigned_expired_replayed_and_wrongly_signed_calls_get_401(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    body = hook_call([isotretinoin_draft()], [])
    url = "/cds-services/isocourse-order-sign"
    assert clinic.client.post(url, json=body).status_code == 401
    expired = token(ehr_key, exp=int(NOW.timestamp()) - 600)
    assert clinic.client.post(url, json=body, headers=bearer(expired)).status_code == 401
    once = token(ehr_key)
    assert clinic.client.post(url, json=body, headers=bearer(once)).status_code == 200
    assert clinic.client.post(url, json=body, headers=bearer(once)).status_code == 401
    stranger = ECKey.generate_key("P-384", parameters={"kid": "ehr-1"}, private=True)
    assert clinic.client.post(url, json=body, headers=bearer(token(stranger))).status_code == 401
    other_service = token(ehr_key, audience="http://testserver/cds-services/isocourse-patient-view")
    assert clinic.client.post(url, json=body, headers=bearer(other_service)).status_code == 401
    unsigned = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2Voci5leGFtcGxlLnRlc3QifQ."  # alg none
    assert clinic.client.post(url, json=body, headers=bearer(unsigned)).status_code == 401


def test_missing_prefetch_is_read_from_the_fhir_server(
    clinic: Clinic, ehr_key: ECKey, linked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str | None]] = []

    def ehr(request: httpx2.Request) -> httpx2.Response:
        asked.append((str(request.url), request.headers.get("authorization")))
        path = request.url.path
        if path == f"/fhir/Patient/{EHR_PATIENT}":
            found: dict[str, Any] = {
                "resourceType": "Patient",
                "id": EHR_PATIENT,
                "birthDate": "2004-03-01",
            }
        elif path == "/fhir/MedicationRequest":
            found = bundle(DOXYCYCLINE)
        else:
            found = bundle()
        return httpx2.Response(200, json=found)

    monkeypatch.setattr(cds_routes, "EhrHttp", lambda: EhrHttp(httpx2.MockTransport(ehr)))
    body = hook_call(
        [isotretinoin_draft()],
        [],
        prefetch=False,
        fhirAuthorization={
            "access_token": "ehr-access",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "isocourse",
        },
    )
    answer = sign(clinic, ehr_key, body)
    assert answer.status_code == 200, answer.text
    assert {auth for _, auth in asked} == {"Bearer ehr-access"}
    assert any(
        url.startswith(f"{FHIR}/MedicationRequest?patient={EHR_PATIENT}") for url, _ in asked
    )
    codes = [c["summary"] for c in answer.json()["cards"] if c["indicator"] == "critical"]
    assert codes == ["isotretinoin: Tetracycline with isotretinoin"]


def test_without_prefetch_or_authorization_the_card_says_what_was_not_checked(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    answer = sign(clinic, ehr_key, hook_call([isotretinoin_draft()], [], prefetch=False))
    cards = answer.json()["cards"]
    unchecked = [c for c in cards if "Not everything" in c["summary"]]
    assert len(unchecked) == 1
    assert "other medicines" in unchecked[0]["detail"]


def test_feedback_is_audited_and_a_critical_override_reaches_the_work_list(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    cards = sign(clinic, ehr_key, hook_call([isotretinoin_draft()], [DOXYCYCLINE])).json()["cards"]
    critical = next(c for c in cards if c["indicator"] == "critical")
    reason = critical["overrideReasons"][0]
    feedback = {
        "feedback": [
            {
                "card": critical["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "stopped last week"},
                "outcomeTimestamp": NOW.isoformat(),
            }
        ]
    }
    url = "/cds-services/isocourse-order-sign/feedback"
    answer = clinic.client.post(
        url, json=feedback, headers=bearer(token(ehr_key, audience=f"http://testserver{url}"))
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1}
    store = clinic.app.state.wiring.system.store
    with store.reading() as session:
        entries = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "cds.feedback")
        ).all()
    assert len(entries) == 1
    assert entries[0].patient_id == linked and "overridden" in entries[0].detail
    assert entries[0].user_email == f"ehr:{ISSUER}"
    rows = clinic.client.get("/api/v1/worklist", headers=clinic.as_user("doc_a")).json()
    row = next(r for r in rows if r["patient_id"] == linked)
    assert row["ehr_overrides"] == [
        {
            "title": "Tetracycline with isotretinoin",
            "reason": reason["display"],
            "at": NOW.date().isoformat(),
        }
    ]
    unsigned = clinic.client.post(url, json=feedback)
    assert unsigned.status_code == 401


def test_feedback_for_a_card_never_issued_is_refused(clinic: Clinic, ehr_key: ECKey) -> None:
    url = "/cds-services/isocourse-order-sign/feedback"
    feedback = {
        "feedback": [
            {"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": NOW.isoformat()}
        ]
    }
    answer = clinic.client.post(
        url, json=feedback, headers=bearer(token(ehr_key, audience=f"http://testserver{url}"))
    )
    assert answer.status_code == 404
    assert json.loads(answer.text)["error"]["code"] == "NOT_FOUND"


@pytest.mark.slow  # runs `isocourse cds-client` as a program, command by command
def test_cds_client_add_list_and_remove_on_the_command_line(tmp_path: Path, ehr_key: ECKey) -> None:
    import os
    import subprocess
    import sys

    from isocourse.auth.users import add_user
    from isocourse.settings import Settings
    from isocourse.store.database import open_store

    url = fresh_database("sqlite", tmp_path)
    store = open_store(Settings(database_url=url, data_dir=tmp_path))
    add_user(
        store,
        email="d@north.test",
        role="prescriber",
        clinic_id="north",
        password="correct horse battery",
        now=NOW,
    )
    store.close()
    keys = tmp_path / "ehr.jwks.json"
    keys.write_text(json.dumps({"keys": [ehr_key.as_dict(private=False)]}), encoding="utf-8")
    environment = {**os.environ, "ISOCOURSE_DATABASE_URL": url, "ISOCOURSE_DATA_DIR": str(tmp_path)}

    def isocourse(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "isocourse", "cds-client", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=environment,
        )

    added = isocourse("add", "--issuer", ISSUER, "--jwks-file", str(keys), "--clinic", "north")
    assert added.returncode == 0, added.stderr
    assert "registered EHR issuer https://ehr.example.test for clinic north" in added.stdout
    listed = isocourse("list")
    assert ISSUER in listed.stdout and "north" in listed.stdout and "JWKS file" in listed.stdout
    unknown_clinic = isocourse(
        "add", "--issuer", "x", "--jwks-file", str(keys), "--clinic", "nowhere"
    )
    assert unknown_clinic.returncode != 0 and "no clinic" in unknown_clinic.stderr
    both = isocourse("add", "--issuer", "x", "--clinic", "north")
    assert both.returncode != 0 and "--jwks-file or --jwks-url" in both.stderr
    assert isocourse("remove", "--issuer", ISSUER).returncode == 0
    assert ISSUER not in isocourse("list").stdout
    assert isocourse("remove", "--issuer", ISSUER).returncode != 0


def test_a_bundle_import_reads_coded_medications_into_the_record(
    clinic: Clinic, linked: str
) -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": f"Patient/{EHR_PATIENT}"},
        "effectivePeriod": {"start": "2026-03-10"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "0", "display": "minocycline 100 MG"}]
        },
    }
    own = medication_request("own-iso", "6064", "isotretinoin", status="active")
    headers = clinic.as_user("doc_a")
    answer = clinic.client.post(
        f"/api/v1/patients/{linked}/fhir-import", json=bundle(statement, own), headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"]["medication"] == 1
    assert "course's own medicine" in answer.json()["unmapped"][0]["reason"]
    record = clinic.client.get(f"/api/v1/patients/{linked}/record", headers=headers).json()
    assert {
        "name": "minocycline 100 MG",
        "start": "2026-03-10",
        "end": None,
        "source": "import",
    } in record["medications"]
    codes = {
        a["code"]
        for a in clinic.client.get(f"/api/v1/patients/{linked}/assessment", headers=headers).json()[
            "alerts"
        ]
    }
    assert "DRUG_TETRACYCLINE" in codes


def test_patient_view_answers_for_a_linked_course_and_not_for_a_stranger(
    clinic: Clinic, ehr_key: ECKey, linked: str
) -> None:
    url = "/cds-services/isocourse-patient-view"
    body = hook_call([], [DOXYCYCLINE]) | {"hook": "patient-view"}
    body["context"] = {"userId": "Practitioner/pr-7", "patientId": EHR_PATIENT}
    answer = clinic.client.post(
        url, json=body, headers=bearer(token(ehr_key, f"http://testserver{url}"))
    )
    assert answer.status_code == 200, answer.text
    assert any(c["indicator"] == "critical" for c in answer.json()["cards"])
    body["context"] = {"userId": "Practitioner/pr-7", "patientId": "someone-else"}
    stranger = clinic.client.post(
        url, json=body, headers=bearer(token(ehr_key, f"http://testserver{url}"))
    )
    assert stranger.json() == {"cards": []}


def test_a_patient_not_enrolled_is_assessed_under_the_strictest_rules(
    clinic: Clinic, ehr_key: ECKey
) -> None:
    answer = sign(clinic, ehr_key, hook_call([isotretinoin_draft()], []))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    unchecked = next(c for c in cards if "Not everything" in c["summary"])
    assert "can get pregnant" in unchecked["detail"]
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert any(
        "pregnancy" in c["summary"].lower() or "test" in c["summary"].lower() for c in critical
    ), [c["summary"] for c in critical]
    test_card = next(c for c in critical if c.get("suggestions"))
    action = test_card["suggestions"][0]["actions"][0]
    assert action["type"] == "create" and action["resource"]["resourceType"] == "ServiceRequest"
    assert action["resource"]["code"]["coding"][0]["code"] == "2118-8"
