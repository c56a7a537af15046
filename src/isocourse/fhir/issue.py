"""The assessment's alerts as FHIR R4 DetectedIssue resources.

One DetectedIssue per alert: the alert code (isocourse's code system) and title,
the plain-words message as ``detail``, the FHIR severity (high | moderate | low)
and, in extensions, isocourse's exact severity and the alert's source. A blocking
alert implicates the proposed prescription, when there is one.
"""

from __future__ import annotations

from typing import Any

from isocourse.assessment import Alert, Assessment
from isocourse.fhir.codes import (
    ALERT_CODE_SYSTEM,
    DETECTED_ISSUE_SEVERITY,
    EXTENSION_ALERT_SEVERITY,
    EXTENSION_ALERT_SOURCE,
)
from isocourse.fhir.ids import Addressing
from isocourse.fhir.medication import proposed_request_id
from isocourse.knowledge.model import Knowledge
from isocourse.record import Prescription

Resource = dict[str, Any]


def detected_issues(
    assessment: Assessment,
    knowledge: Knowledge,
    proposed: Prescription | None,
    at: Addressing,
) -> list[Resource]:
    return [_issue(alert, assessment, knowledge, proposed, at) for alert in assessment.alerts]


def _issue(
    alert: Alert,
    assessment: Assessment,
    knowledge: Knowledge,
    proposed: Prescription | None,
    at: Addressing,
) -> Resource:
    definition = knowledge.alerts.get(alert.code)
    title = definition.title if definition is not None else alert.code
    resource: Resource = {
        "resourceType": "DetectedIssue",
        "id": at.resource_id("DetectedIssue", f"alert|{alert.code}"),
        "extension": [
            {"url": EXTENSION_ALERT_SEVERITY, "valueCode": alert.severity},
            {"url": EXTENSION_ALERT_SOURCE, "valueString": alert.source},
        ],
        "status": "final",
        "code": {
            "coding": [{"system": ALERT_CODE_SYSTEM, "code": alert.code, "display": title}],
            "text": title,
        },
        "severity": DETECTED_ISSUE_SEVERITY[alert.severity],
        "patient": at.patient_reference,
        "identifiedDateTime": assessment.as_of.isoformat(),
        "detail": alert.message,
    }
    if alert.blocks and proposed is not None:
        resource["implicated"] = [
            at.reference("MedicationRequest", proposed_request_id(at, proposed))
        ]
    return resource
