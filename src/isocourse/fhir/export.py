"""One patient's course as a FHIR R4 (4.0.1) Bundle.

``course_bundle(record, assessment, knowledge)`` returns the Bundle as plain JSON
(a ``dict``), ready for ``json.dumps``: Patient, Organization (the clinic, a laboratory
feed: who recorded entries), MedicationRequest, MedicationDispense, MedicationStatement,
Observation (weights, pregnancy tests, labs), QuestionnaireResponse (PHQ-9, PHQ-2) and
DetectedIssue (alerts). Each entry names who recorded it (see
:mod:`isocourse.fhir.recorders`). Ids are stable (see :mod:`isocourse.fhir.ids`). Pure:
no clock, no I/O.

A standalone export is a ``collection`` whose entries are addressed ``urn:uuid:``;
a server passes its ``base_url`` and ``bundle_type="searchset"`` (``$everything``).
"""

from __future__ import annotations

from typing import Any, Literal

from isocourse.assessment import Assessment
from isocourse.fhir.codes import PATIENT_ID_SYSTEM
from isocourse.fhir.ids import Addressing, stable_uuid
from isocourse.fhir.issue import detected_issues
from isocourse.fhir.medication import medication_resources
from isocourse.fhir.observation import observations
from isocourse.fhir.questionnaire import questionnaire_responses
from isocourse.fhir.recorders import Clinic, Recorders, exported_sources
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord

Resource = dict[str, Any]
BundleType = Literal["collection", "searchset"]


def course_resources(
    record: CourseRecord,
    assessment: Assessment,
    knowledge: Knowledge,
    *,
    patient_name: str | None = None,
    base_url: str | None = None,
    clinic: Clinic | None = None,
) -> list[Resource]:
    """Every resource of the export, Patient first. ``clinic`` names the clinic whose
    staff recorded entries (its Organization); without it the Organization is unnamed."""
    at = Addressing(record.patient.id, base_url)
    recorders = Recorders(at, clinic or Clinic())
    return [
        patient_resource(record, at, patient_name),
        *recorders.organizations(exported_sources(record)),
        *medication_resources(record, knowledge, at, recorders),
        *observations(record, knowledge, at, recorders),
        *questionnaire_responses(record.mood_screens, at, recorders),
        *detected_issues(assessment, knowledge, record.proposed_prescription, at),
    ]


def course_bundle(
    record: CourseRecord,
    assessment: Assessment,
    knowledge: Knowledge,
    *,
    patient_name: str | None = None,
    base_url: str | None = None,
    bundle_type: BundleType = "collection",
    clinic: Clinic | None = None,
) -> Resource:
    """The course as one Bundle (``collection``, or ``searchset`` for ``$everything``)."""
    resources = course_resources(
        record, assessment, knowledge, patient_name=patient_name, base_url=base_url, clinic=clinic
    )
    at = Addressing(record.patient.id, base_url)
    bundle: Resource = {
        "resourceType": "Bundle",
        "id": stable_uuid(record.patient.id, "Bundle", record.as_of.isoformat()),
        "type": bundle_type,
    }
    if bundle_type == "searchset":
        bundle["total"] = len(resources)
    bundle["entry"] = [_entry(resource, at, bundle_type) for resource in resources]
    return bundle


def _entry(resource: Resource, at: Addressing, bundle_type: BundleType) -> Resource:
    entry: Resource = {
        "fullUrl": at.full_url(resource["resourceType"], resource["id"]),
        "resource": resource,
    }
    if bundle_type == "searchset":
        entry["search"] = {"mode": "match"}
    return entry


def patient_resource(record: CourseRecord, at: Addressing, patient_name: str | None) -> Resource:
    patient: Resource = {
        "resourceType": "Patient",
        "id": at.resource_id("Patient", ""),
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": record.patient.id}],
        "birthDate": record.patient.birth_date.isoformat(),
    }
    if patient_name:
        patient["name"] = [{"text": patient_name}]
    return patient
