"""What the API answers (pydantic at the edge, out): one model per answer, each made from
the value a use case returns (``of``), so the OpenAPI document shows every answer's
fields and FastAPI writes them.

The assessment and the course record travel in their published formats
(``isocourse.assessment/1``, ``isocourse.course/1``; ``isocourse schema``): the
assessment as :class:`~isocourse.formats.AssessmentJson`, read from its one writer
(:func:`~isocourse.assessment_json.assessment_to_json`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Self, cast

from pydantic import BaseModel, ConfigDict, Field

from isocourse.api.errors import BlockingReasonOut
from isocourse.assessment import Assessment
from isocourse.assessment_json import assessment_to_json
from isocourse.formats import AssessmentJson
from isocourse.service.views import WorklistRow
from isocourse.store.event_history import RecordedEvent
from isocourse.worklist import Tier

#: a course-record element as in the course-record format (its fields depend on its kind)
Entry = dict[str, Any]


def assessment_json(assessment: Assessment, *, explain: bool = False) -> AssessmentJson:
    """The assessment's published form (``explain`` adds the programme's checks)."""
    return cast(AssessmentJson, assessment_to_json(assessment, explain=explain))


class _Answer(BaseModel):
    """An answer whose fields are the use case's value's own (same names, nested values
    read by their attributes too): ``of`` reads them, nothing is copied by hand."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, value: object) -> Self:
        return cls.model_validate(value)


class EnrolmentOut(_Answer):
    patient_id: str = Field(description="the patient's id in this system (use it in the URLs)")
    record_patient_id: str = Field(description="the record's own patient id")


class RecorderOut(BaseModel):
    email: str
    role: str


class EventOut(BaseModel):
    event_id: str
    kind: str = Field(description="what happened (a course-record element's kind)")
    entry: Entry = Field(description="the element as in the course-record format")
    corrects: str | None = Field(description="the event this one marks entered in error")
    recorded_at: str = Field(
        json_schema_extra={"format": "date-time"}, description="when it was recorded"
    )
    recorded_by: RecorderOut | None = Field(description="the user who recorded it")
    source: str | None = Field(
        description="who the entry says recorded it: clinician, patient, lab or import "
        "(null for an event that is not an entry of the record's lists)"
    )

    @classmethod
    def of(cls, value: RecordedEvent) -> EventOut:
        by = value.recorded_by
        return cls(
            event_id=value.event_id,
            kind=value.kind,
            entry=value.entry,
            corrects=value.corrects,
            recorded_at=value.recorded_at.isoformat(),
            recorded_by=None if by is None else RecorderOut(email=by.email, role=by.role),
            source=value.source,
        )


class RecordedOut(_Answer):
    event_id: str
    kind: str
    entry: Entry = Field(description="the entry as stored, with its source")
    closed_dose_period: Entry | None = Field(
        default=None,
        description="the open dose period this one ended the day before, as now recorded",
    )


class CorrectionOut(_Answer):
    event_id: str = Field(description="the correction's own event")
    kind: str = Field(description="entered_in_error")
    corrects: str = Field(description="the event marked entered in error")


class IssuedPrescriptionOut(_Answer):
    prescription_id: str = Field(description="the pharmacy verifies the prescription by it")
    prescription: Entry = Field(description="date, days_supply and mg_per_day")
    allowed: bool
    blocking: list[BlockingReasonOut]
    window_closes: date | None = Field(description="the last day it may be dispensed")


class CancellationOut(_Answer):
    event_id: str = Field(description="the cancellation's own event")
    prescription_id: str
    cancelled: Entry = Field(description="prescription_id, date and reason")


class _VerifiedOut(_Answer):
    """The pharmacy's verification: the prescription and the rules' decision today."""

    prescription_id: str
    prescription: Entry = Field(description="date, days_supply and mg_per_day, as written")
    already_dispensed: bool
    cancelled: Entry | None = Field(
        description="the prescriber's cancellation (date and reason), if cancelled"
    )
    allowed: bool = Field(description="may it be dispensed today?")
    blocking: list[BlockingReasonOut] = Field(description="what blocks it, each alert's words")
    window_closes: date | None = Field(description="the last day it may be dispensed")


class VerificationOut(_VerifiedOut):
    pass  # the fields _VerifiedOut names


class DispensedOut(_VerifiedOut):
    dispense_id: str = Field(description="the dispense's event")
    dispense: Entry = Field(description="date and days_supply")


class EhrOverrideOut(BaseModel):
    title: str = Field(description="the card's summary")
    reason: str = Field(description="the override reason the EHR's user gave")
    at: date


class WorklistRowOut(BaseModel):
    patient_id: str = Field(description="the patient's id in this system")
    record_patient_id: str = Field(description="the record's own patient id")
    name: str | None = Field(description="the name the clinic knows the patient by (null if none)")
    tier: Tier = Field(description="how urgent, most urgent first (the list's order)")
    reason: str = Field(description="what needs action, in words")
    dispense_allowed: bool
    assessment: AssessmentJson
    ehr_overrides: list[EhrOverrideOut] = Field(
        description="critical CDS Hooks cards the EHR's user overrode (last 30 days), "
        "newest first"
    )

    @classmethod
    def of(cls, value: WorklistRow) -> WorklistRowOut:
        return cls(
            patient_id=value.patient_id,
            record_patient_id=value.record_patient_id,
            name=value.name,
            tier=value.tier,
            reason=value.reason,
            dispense_allowed=value.assessment.dispense.allowed,
            assessment=assessment_json(value.assessment),
            ehr_overrides=[
                EhrOverrideOut(title=o.title, reason=o.reason, at=o.at.date())
                for o in value.ehr_overrides
            ],
        )


class RepeatedEntryOut(_Answer):
    kind: str
    entry: Entry


class UnmappedOut(_Answer):
    index: int = Field(description="the resource's position in Bundle.entry")
    resource_type: str
    code: str = Field(description="the resource's first code (LOINC first); empty if none")
    reason: str = Field(description="why it was not imported")


class BundleImportOut(_Answer):
    imported: dict[str, int] = Field(description="entries recorded, by kind")
    event_ids: list[str] = Field(description="the events recorded")
    already_recorded: list[RepeatedEntryOut] = Field(
        description="entries the record already had (not recorded again)"
    )
    unmapped: list[UnmappedOut] = Field(description="what could not be mapped exactly")


class ReminderPreferenceOut(_Answer):
    event_id: str
    kind: str = Field(description="reminder_preference")
    entry: Entry = Field(description="email (null: the login e-mail) and opt_out")


class EhrLinkOut(_Answer):
    patient_id: str
    fhir_server: str
    ehr_patient_id: str
