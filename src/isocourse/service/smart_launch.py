"""SMART App Launch (EHR launch) into the course page, and the status written back.

1. The EHR opens ``/smart/launch?iss=...&launch=...`` in the browser of a prescriber
   signed in to isocourse. ``iss`` must be the FHIR server of an EHR registered for the
   prescriber's clinic (``isocourse cds-client add --fhir-server --smart-client-id``).
   isocourse reads ``iss/.well-known/smart-configuration``, keeps a one-time ``state``
   and a PKCE verifier, and sends the browser to the EHR's authorization endpoint
   (code challenge S256).
2. The EHR sends the browser back with a ``code``; isocourse exchanges it (with the
   verifier) for an access token naming the patient in context, reads that Patient,
   links it to an isocourse patient (enrolling a new one from the EHR's Patient when
   none is linked yet), writes the programme status back as a DocumentReference when
   the EHR granted it, and opens the course page.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Protocol
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from isocourse.errors import Forbidden, InvalidInput, NotFound, ServiceError
from isocourse.fhir.document_reference import programme_status_document
from isocourse.fhir.json_access import calendar_day, text_at
from isocourse.record import COURSE_FORMAT
from isocourse.service.audit import record_audit
from isocourse.service.cds_clients import EhrClient, client_for_fhir_server
from isocourse.service.cds_hooks import link_in_session, linked_patient
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.enrolment import enrol_patient
from isocourse.service.interop import stored_course
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.smart_launches import SmartLaunch, add_launch, take_launch

LAUNCH_LIFETIME: Final = timedelta(minutes=10)


class EhrHttpCalls(Protocol):
    def get_json(self, url: str, access_token: str | None = None) -> dict[str, Any]: ...
    def post_form(self, url: str, form: dict[str, str]) -> dict[str, Any]: ...
    def post_json(self, url: str, body: dict[str, Any], access_token: str) -> dict[str, Any]: ...


class EhrUnavailable(ServiceError):
    """The EHR's SMART or FHIR endpoints did not answer as required."""


def _ehr(action: str, call: Any) -> dict[str, Any]:
    try:
        found: dict[str, Any] = call()
    except Exception as error:  # any failure of the EHR's side: one plain refusal
        raise EhrUnavailable(f"the EHR did not answer ({action}): {error}") from error
    return found


def start_launch(
    system: ClinicSystem,
    call: Call,
    *,
    iss: str,
    launch: str,
    redirect_uri: str,
    http: EhrHttpCalls,
) -> str:
    """Where to send the browser: the EHR's authorization endpoint with PKCE."""
    require_role(call.actor, "prescriber")
    if not launch.strip() or len(launch) > 2000:
        raise InvalidInput("launch", "the EHR's launch parameter is missing")
    client = _registered(system, call, iss)
    config = _ehr(
        "SMART configuration",
        lambda: http.get_json(f"{client.fhir_server}/.well-known/smart-configuration"),
    )
    authorize = text_at(config, "authorization_endpoint")
    token = text_at(config, "token_endpoint")
    methods = config.get("code_challenge_methods_supported")
    if not authorize or not token:
        raise EhrUnavailable(
            "the EHR's SMART configuration names no authorization or token endpoint"
        )
    if isinstance(methods, list) and "S256" not in methods:
        raise EhrUnavailable("the EHR does not support PKCE with S256")
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(32)
    with unit_of_work(system) as session:
        add_launch(
            session,
            SmartLaunch(
                state=state,
                issuer=client.issuer,
                fhir_server=str(client.fhir_server),
                user_id=call.actor.user_id,
                code_verifier=verifier,
                token_endpoint=token,
                redirect_uri=redirect_uri,
                created_at=call.now,
            ),
        )
        record_audit(session, call, "smart.launch", patient_id=None, detail=client.issuer)
    query = {
        "response_type": "code",
        "client_id": str(client.smart_client_id),
        "redirect_uri": redirect_uri,
        "launch": launch,
        "scope": " ".join(system.knowledge.ehr.smart_scopes),
        "state": state,
        "aud": str(client.fhir_server),
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    return f"{authorize}{'&' if '?' in authorize else '?'}{urlencode(query)}"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _registered(system: ClinicSystem, call: Call, iss: str) -> EhrClient:
    with system.store.reading() as session:
        client = client_for_fhir_server(session, iss)
    if client is None or client.fhir_server is None:
        raise NotFound("this EHR is not registered with isocourse (isocourse cds-client add)")
    if client.clinic_id != call.actor.clinic_id:
        raise Forbidden("this EHR is registered for another clinic")
    if not client.smart_client_id:
        raise InvalidInput("iss", "the EHR has no SMART client id registered (--smart-client-id)")
    return client


@dataclass(frozen=True)
class LaunchedCourse:
    patient_id: str
    enrolled: bool
    document_written: bool


def finish_launch(
    system: ClinicSystem, call: Call, *, state: str, code: str, http: EhrHttpCalls
) -> LaunchedCourse:
    """Exchange the code, link (or enrol) the patient in context, write the status back."""
    require_role(call.actor, "prescriber")
    launch = _take_launch(system, call, state)
    client = _registered(system, call, launch.fhir_server)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": launch.redirect_uri,
        "client_id": str(client.smart_client_id),
        "code_verifier": launch.code_verifier,
    }
    token = _ehr("token exchange", lambda: http.post_form(launch.token_endpoint, form))
    access, ehr_patient = text_at(token, "access_token"), text_at(token, "patient")
    if not access or not ehr_patient:
        raise EhrUnavailable("the EHR's token names no access token or no patient in context")
    server = launch.fhir_server
    patient = _ehr("Patient", lambda: http.get_json(f"{server}/Patient/{ehr_patient}", access))
    with system.store.reading() as session:
        patient_id = linked_patient(session, client.clinic_id, server, ehr_patient)
    enrolled = patient_id is None
    if patient_id is None:
        patient_id = _enrol(system, call, client, patient, ehr_patient)
    with unit_of_work(system) as session:
        link_in_session(session, call, patient_id, server, ehr_patient)
        record_audit(
            session,
            call,
            "smart.linked",
            patient_id=patient_id,
            detail=f"{server} Patient/{ehr_patient}",
        )
    scope = text_at(token, "scope") or ""
    written = False
    if "DocumentReference" in scope:
        written = write_programme_status(
            system, call, patient_id, client, server, ehr_patient, access, http
        )
    return LaunchedCourse(patient_id, enrolled, written)


def _take_launch(system: ClinicSystem, call: Call, state: str) -> SmartLaunch:
    expired = InvalidInput("state", "this launch is unknown, used or expired: launch again")
    with system.store.transaction() as session:
        row = take_launch(session, state) if state else None
    if row is None:
        raise expired
    created = (
        row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=call.now.tzinfo)
    )
    if row.user_id != call.actor.user_id or call.now - created > LAUNCH_LIFETIME:
        raise expired
    return row


def _enrol(
    system: ClinicSystem, call: Call, client: EhrClient, patient: dict[str, Any], ehr_id: str
) -> str:
    birth = calendar_day(text_at(patient, "birthDate"))
    if birth is None:
        raise InvalidInput("Patient.birthDate", "the EHR's patient has no date of birth")
    document = {
        "format": COURSE_FORMAT,
        "as_of": call.today.isoformat(),
        "programme": client.programme,
        # the EHR's Patient does not say it: the strictest rules apply until a clinician
        # records the patient's details in isocourse (fail closed)
        "patient": {
            "id": f"ehr-{ehr_id}"[:64],
            "birth_date": birth.isoformat(),
            "can_get_pregnant": True,
        },
        "course": {"product": "isotretinoin"},
    }
    return enrol_patient(system, call, document).patient_id


def write_programme_status(
    system: ClinicSystem,
    call: Call,
    patient_id: str,
    client: EhrClient,
    server: str,
    ehr_patient: str,
    access_token: str,
    http: EhrHttpCalls,
) -> bool:
    """POST the programme status to the EHR as a DocumentReference (LOINC 51851-4)."""
    with system.store.reading() as session:
        course = stored_course(system, session, patient_id, call.today, call.today)
    document = programme_status_document(
        course.assessment,
        system.knowledge,
        ehr_patient_id=ehr_patient,
        programme=course.record.programme,
        now=call.now,
    )
    created = _ehr(
        "DocumentReference",
        lambda: http.post_json(f"{server}/DocumentReference", document, access_token),
    )
    with unit_of_work(system) as session:
        _audit_document(session, call, patient_id, server, text_at(created, "id") or "")
    return True


def _audit_document(session: Session, call: Call, patient_id: str, server: str, rid: str) -> None:
    record_audit(
        session,
        call,
        "ehr.document",
        patient_id=patient_id,
        detail=f"{server} DocumentReference/{rid}".strip(),
    )
