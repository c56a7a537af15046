"""The programme status written back to the EHR: a DocumentReference in the REMS guide's
shape (US Core DocumentReference, type LOINC 51851-4 "Administrative note", a plain-text
attachment). Pure: the assessment, the knowledge and the moment in; JSON out."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Final

from isocourse.assessment import Assessment
from isocourse.fhir.codes import LOINC
from isocourse.knowledge.model import Knowledge

US_CORE_DOCUMENT_REFERENCE: Final = (
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
)
FORMAT_SYSTEM: Final = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
FORMAT_CODE: Final = "urn:ihe:iti:xds:2017:mimeTypeSufficient"


def status_text(assessment: Assessment, knowledge: Knowledge, programme: str) -> str:
    """The status in plain lines: may a prescription be written, what blocks it, what is due."""
    titles = {code: definition.title for code, definition in knowledge.alerts.items()}
    lines = [
        f"isotretinoin course status on {assessment.as_of.isoformat()} (programme {programme})",
        "Prescription: " + ("may be written" if assessment.dispense.allowed else "blocked"),
    ]
    for code in assessment.dispense.blocking:
        lines.append(f"Blocked by: {titles.get(code, code)} ({code})")
    if assessment.dispense.window_closes is not None:
        lines.append(f"Dispense by: {assessment.dispense.window_closes.isoformat()}")
    for due in assessment.due:
        state = "overdue since" if due.overdue else "due"
        lines.append(f"{due.task}: {state} {due.due.isoformat()}")
    lines.append("Recorded by isocourse; the course record there is the source.")
    return "\n".join(lines)


def programme_status_document(
    assessment: Assessment,
    knowledge: Knowledge,
    *,
    ehr_patient_id: str,
    programme: str,
    now: datetime,
) -> dict[str, Any]:
    """The DocumentReference for the EHR's patient ``ehr_patient_id``."""
    ehr = knowledge.ehr
    text = status_text(assessment, knowledge, programme)
    title = f"isotretinoin programme status on {assessment.as_of.isoformat()}"
    concept = {
        "coding": [{"system": LOINC, "code": ehr.document_loinc, "display": ehr.document_display}]
    }
    return {
        "resourceType": "DocumentReference",
        "meta": {"profile": [US_CORE_DOCUMENT_REFERENCE]},
        "status": "current",
        "type": {**concept, "text": "isotretinoin programme status"},
        "category": [concept],
        "subject": {"reference": f"Patient/{ehr_patient_id}"},
        "date": now.isoformat(),
        "description": "isotretinoin programme status (isocourse)",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                    "title": title,
                },
                "format": {
                    "system": FORMAT_SYSTEM,
                    "code": FORMAT_CODE,
                    "display": "mimeType Sufficient",
                },
            }
        ],
    }
