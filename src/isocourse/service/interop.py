"""FHIR R4 from and into the system of record: ``$everything``, a read by id, a Bundle import.

The FHIR ``Patient.id`` is the store's patient id (the JSON API's ``patient_id``), so
``/fhir/Patient/{id}`` and ``/api/v1/patients/{id}`` name the same patient and two
patients who share a clinic number never share resource ids; the clinic's own
patient number (the course record's ``patient.id``) stays in ``Patient.identifier``
(``urn:isocourse:patient-id``). Entries the clinic's staff recorded name the patient's
clinic (an Organization with its id and name) as their recorder. Authorisation is the
JSON API's: prescribers of the patient's clinic, and a patient for their own record
only; every read is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.auth.roles import Actor
from isocourse.errors import Conflict, NotFound
from isocourse.fhir.codes import PATIENT_ID_SYSTEM
from isocourse.fhir.export import course_bundle, course_resources
from isocourse.fhir.recorders import Clinic
from isocourse.record import CourseRecord
from isocourse.rules import assess
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import folded_document, patient_for, record_from_document
from isocourse.store.clinics import clinic_by_id
from isocourse.store.patients import clinic_patient_ids, patient_by_id

Resource = dict[str, Any]

FHIR_RESOURCE_TYPES: Final = frozenset(
    {
        "Patient",
        "Organization",
        "MedicationRequest",
        "MedicationDispense",
        "MedicationStatement",
        "Observation",
        "QuestionnaireResponse",
        "DetectedIssue",
    }
)


@dataclass(frozen=True)
class StoredCourse:
    """A stored patient's record (``patient.id`` = store id) and its assessment."""

    record: CourseRecord
    assessment: Assessment
    record_patient_id: str  # the clinic's own patient number, from the record
    clinic: Clinic  # the patient's clinic: the recorder of its staff's entries


def stored_course(
    system: ClinicSystem, session: Session, patient_id: str, as_of: date, today: date
) -> StoredCourse:
    """Fold, validate and assess one patient (the caller has checked access)."""
    document = folded_document(session, patient_id, as_of)
    record = record_from_document(document, system.knowledge, today)
    keyed = replace(record, patient=replace(record.patient, id=patient_id))
    assessment = assess(keyed, system.knowledge, as_of=as_of)
    return StoredCourse(keyed, assessment, record.patient.id, _clinic(session, patient_id))


def _clinic(session: Session, patient_id: str) -> Clinic:
    patient = patient_by_id(session, patient_id)
    if patient is None:
        return Clinic()
    stored = clinic_by_id(session, patient.clinic_id)
    return Clinic(patient.clinic_id, stored.name if stored is not None else None)


def export_patient_bundle(
    system: ClinicSystem, call: Call, patient_id: str, *, base_url: str, as_of: date | None = None
) -> Resource:
    """``Patient/{id}/$everything``: the course as a ``searchset`` Bundle."""
    require_role(call.actor, "prescriber", "patient")
    with system.store.reading() as session:
        patient_for(session, call.actor, patient_id)
        course = stored_course(system, session, patient_id, as_of or call.today, call.today)
    system.audit_appends.append(call, "fhir.everything", patient_id=patient_id)
    bundle = course_bundle(
        course.record,
        course.assessment,
        system.knowledge,
        base_url=base_url,
        bundle_type="searchset",
        clinic=course.clinic,
    )
    for entry in bundle["entry"]:
        _keep_record_identifier(entry["resource"], course.record_patient_id)
    return bundle


def read_fhir_resource(
    system: ClinicSystem, call: Call, resource_type: str, resource_id: str, *, base_url: str
) -> Resource:
    """``{ResourceType}/{id}``: one resource of a patient the caller may see, or NotFound."""
    require_role(call.actor, "prescriber", "patient")
    if resource_type not in FHIR_RESOURCE_TYPES:
        raise NotFound(f"isocourse serves no FHIR resource type {resource_type!r}")
    with system.store.reading() as session:
        located = _locate(system, session, call, resource_type, resource_id, base_url)
    if located is None:
        raise NotFound(f"no {resource_type}/{resource_id} in your clinic's records")
    patient_id, resource = located
    system.audit_appends.append(call, "fhir.read", patient_id=patient_id, detail=resource_type)
    return resource


def _locate(
    system: ClinicSystem,
    session: Session,
    call: Call,
    resource_type: str,
    resource_id: str,
    base_url: str,
) -> tuple[str, Resource] | None:
    """The resource and its patient's id, from the first candidate patient holding it."""
    for patient_id in _candidates(session, call.actor, resource_type, resource_id):
        found = _find(system, session, call, patient_id, resource_type, resource_id, base_url)
        if found is not None:
            return patient_id, found
    return None


def _candidates(
    session: Session, actor: Actor, resource_type: str, resource_id: str
) -> Iterator[str]:
    """The patients whose records may hold the resource (a Patient id is the store id)."""
    if actor.role == "patient":
        yield from [actor.patient_id] if actor.patient_id else []
    elif resource_type == "Patient":
        yield resource_id
    else:
        yield from clinic_patient_ids(session, actor.clinic_id)


def _find(
    system: ClinicSystem,
    session: Session,
    call: Call,
    patient_id: str,
    resource_type: str,
    resource_id: str,
    base_url: str,
) -> Resource | None:
    try:
        patient_for(session, call.actor, patient_id)
        course = stored_course(system, session, patient_id, call.today, call.today)
    except NotFound:
        return None
    except Conflict:  # a stored record that no longer validates exports nothing
        return None
    for resource in course_resources(
        course.record, course.assessment, system.knowledge, base_url=base_url, clinic=course.clinic
    ):
        if resource["resourceType"] == resource_type and resource["id"] == resource_id:
            _keep_record_identifier(resource, course.record_patient_id)
            return resource
    return None


def _keep_record_identifier(resource: Resource, record_patient_id: str) -> None:
    if resource["resourceType"] == "Patient":
        resource["identifier"] = [{"system": PATIENT_ID_SYSTEM, "value": record_patient_id}]
