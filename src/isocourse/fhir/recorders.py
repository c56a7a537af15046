"""Who recorded each exported entry, in the elements a receiving EHR reads.

Every course-record entry carries its ``source`` (``clinician``, ``patient``, ``lab``,
``import``); the export states it three ways, so that a reader that knows only one of
them still sees it:

- the resource's own element for who performed or supplied it: ``Observation.performer``,
  ``QuestionnaireResponse.author`` (and ``source``, the person who answered, for the
  patient's own screens), ``MedicationStatement.informationSource``,
  ``MedicationDispense.performer.actor``, ``MedicationRequest.requester`` (the clinic) or
  ``reportedReference`` (anyone else). FHIR R4 lets each of these name a Patient
  (https://hl7.org/fhir/R4/observation-definitions.html#Observation.performer,
  .../medicationstatement-definitions.html#MedicationStatement.informationSource,
  .../questionnaireresponse-definitions.html#QuestionnaireResponse.author); the patient's
  own entries name the Bundle's Patient, as patient-generated data is sent (e.g. the
  example Observations of the Patient-Generated Health Data (PGHD) Implementation Guide
  0.5.0: ``performer`` the subject Patient). The clinic and a laboratory feed are
  Organization resources of the Bundle. The export holds no user's identity, so no
  Practitioner is named. An imported entry names no performer: who performed it is not
  known.
- a security label in ``meta.security`` (HL7 v3 ObservationValue, see
  :mod:`isocourse.fhir.codes`): ``PATRPT`` and ``PATAST`` for the patient's entries,
  ``HCPAST`` for the clinic's;
- a ``meta.tag`` in ``urn:isocourse:entry-source`` with the exact source.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from isocourse.fhir.codes import (
    CLINIC_ID_SYSTEM,
    CLINIC_LABELS,
    ENTRY_SOURCE_SYSTEM,
    PATIENT_LABELS,
    SECURITY_OBSERVATION_VALUE,
)
from isocourse.fhir.ids import Addressing, stable_uuid
from isocourse.record import CourseRecord, Source

Resource = dict[str, Any]

SOURCE_DISPLAY: Final[dict[Source, str]] = {
    "clinician": "Recorded by the clinic",
    "patient": "Recorded by the patient",
    "lab": "From a laboratory feed",
    "import": "Imported from another system",
}
_LABELS: Final[dict[Source, tuple[tuple[str, str], ...]]] = {
    "clinician": CLINIC_LABELS,
    "patient": PATIENT_LABELS,
    "lab": (),
    "import": (),
}
_UNNAMED_CLINIC = "The clinic (isocourse)"
_LAB_FEED = "Laboratory feed"


@dataclass(frozen=True)
class Clinic:
    """The clinic whose staff record entries (``source: clinician``), where the caller
    knows it: its isocourse id and name."""

    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Recorders:
    """References to whoever recorded an entry, for one export."""

    at: Addressing
    clinic: Clinic = Clinic()

    def _organization_id(self, key: str) -> str:
        if self.clinic.id is not None:  # one Organization per clinic, in every export
            return stable_uuid("clinic", self.clinic.id, key)
        return self.at.resource_id("Organization", key)

    def reference(self, source: Source) -> dict[str, str] | None:
        """Who recorded an entry of ``source``; None for an import (not known)."""
        if source == "patient":
            return self.at.patient_reference
        if source == "clinician":
            return self._organization("clinic", self.clinic.name or _UNNAMED_CLINIC)
        if source == "lab":
            return self._organization("laboratory-feed", _LAB_FEED)
        return None

    def _organization(self, key: str, name: str) -> dict[str, str]:
        return {**self.at.reference("Organization", self._organization_id(key)), "display": name}

    def organizations(self, sources: Iterable[Source]) -> list[Resource]:
        """The Organization resources the references of entries of ``sources`` point to."""
        used = set(sources)
        found = []
        if "clinician" in used:
            clinic: Resource = {
                "resourceType": "Organization",
                "id": self._organization_id("clinic"),
            }
            if self.clinic.id is not None:
                clinic["identifier"] = [{"system": CLINIC_ID_SYSTEM, "value": self.clinic.id}]
            clinic["name"] = self.clinic.name or _UNNAMED_CLINIC
            found.append(clinic)
        if "lab" in used:
            found.append(
                {
                    "resourceType": "Organization",
                    "id": self._organization_id("laboratory-feed"),
                    "name": _LAB_FEED,
                }
            )
        return found


def label(resource: Resource, source: Source) -> Resource:
    """``resource`` with its source as security labels and a tag (in place, and returned)."""
    meta: Resource = {}
    labels = _LABELS[source]
    if labels:
        meta["security"] = [
            {"system": SECURITY_OBSERVATION_VALUE, "code": code, "display": display}
            for code, display in labels
        ]
    meta["tag"] = [
        {"system": ENTRY_SOURCE_SYSTEM, "code": source, "display": SOURCE_DISPLAY[source]}
    ]
    resource["meta"] = meta
    return resource


def exported_sources(record: CourseRecord) -> set[Source]:
    """The sources of the entries the export writes as resources (see the export)."""
    entries: list[Any] = [
        *record.weights,
        *record.pregnancy_tests,
        *record.labs,
        *record.mood_screens,
        *record.prescriptions,
        *record.dispenses,
        *record.doses,
        *record.missed_doses,
    ]
    if record.proposed_prescription is not None:
        entries.append(record.proposed_prescription)
    return {entry.source for entry in entries}
