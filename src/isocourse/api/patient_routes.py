"""Patients: enrol (import a course record), read the record, its assessment and events,
record events and corrections, prescribe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.responses import (
    CancellationOut,
    CorrectionOut,
    EnrolmentOut,
    EventOut,
    IssuedPrescriptionOut,
    RecordedOut,
    assessment_json,
)
from isocourse.api.schemas import (
    AsOf,
    CancellationIn,
    CorrectionIn,
    CourseRecordBody,
    EventIn,
    PrescriptionIn,
)
from isocourse.api.wiring import ReadCall, WiringDep, WriteCall
from isocourse.formats import AssessmentJson
from isocourse.record import CourseRecord
from isocourse.service.enrolment import NAME_MAX, enrol_patient
from isocourse.service.prescribing import PrescriptionOrder, cancel_prescription, prescribe
from isocourse.service.recording import correct_entry, record_event
from isocourse.service.views import list_events, read_assessment, read_record

router = APIRouter(prefix="/patients", tags=["patients"], responses=ERROR_RESPONSES)

PatientId = Annotated[str, "the patient's id in this system (from POST /patients)"]
PatientName = Annotated[
    str | None,
    Query(
        max_length=NAME_MAX,
        description="the name the clinic knows the patient by, shown with the record's "
        "patient id on the pages and in the course summary (not part of the record)",
    ),
]


@router.post("", status_code=201)
def enrol(
    wired: WiringDep,
    call: WriteCall,
    record: CourseRecordBody,
    name: PatientName = None,
) -> EnrolmentOut:
    """Enrol a patient by importing a course record with its history (prescriber)."""
    return EnrolmentOut.of(enrol_patient(wired.system, call, record, name=name))


@router.get("/{patient_id}/record")
def get_record(
    patient_id: PatientId, wired: WiringDep, call: ReadCall, as_of: AsOf = None
) -> CourseRecord:
    """The patient's course record (format isocourse.course/1), folded from its events."""
    return read_record(wired.system, call, patient_id, as_of or call.today)


@router.get("/{patient_id}/assessment")
def get_assessment(
    patient_id: PatientId,
    wired: WiringDep,
    call: ReadCall,
    as_of: AsOf = None,
    explain: bool = False,
) -> AssessmentJson:
    """The assessment of the stored record (the same as ``isocourse evaluate`` gives)."""
    assessment = read_assessment(wired.system, call, patient_id, as_of or call.today)
    return assessment_json(assessment, explain=explain)


@router.get("/{patient_id}/events")
def get_events(patient_id: PatientId, wired: WiringDep, call: ReadCall) -> list[EventOut]:
    """The patient's event log, oldest first, corrections included."""
    return [EventOut.of(event) for event in list_events(wired.system, call, patient_id)]


@router.post("/{patient_id}/events", status_code=201)
def post_event(
    patient_id: PatientId, event: EventIn, wired: WiringDep, call: WriteCall
) -> RecordedOut:
    """Record one event (prescriber; a patient logs doses, symptoms, mood, home tests)."""
    return RecordedOut.of(record_event(wired.system, call, patient_id, event.kind, event.entry))


@router.post("/{patient_id}/corrections", status_code=201)
def post_correction(
    patient_id: PatientId, correction: CorrectionIn, wired: WiringDep, call: WriteCall
) -> CorrectionOut:
    """Mark an earlier event entered in error (prescriber). Nothing is deleted."""
    corrected = correct_entry(
        wired.system, call, patient_id, correction.event_id, correction.reason
    )
    return CorrectionOut.of(corrected)


@router.post("/{patient_id}/prescriptions", status_code=201)
def post_prescription(
    patient_id: PatientId, order: PrescriptionIn, wired: WiringDep, call: WriteCall
) -> IssuedPrescriptionOut:
    """Prescribe (prescriber). Re-evaluated on the server: 409 with the blocking alerts."""
    prescription = PrescriptionOrder(order.days_supply, order.mg_per_day)
    return IssuedPrescriptionOut.of(prescribe(wired.system, call, patient_id, prescription))


@router.post("/{patient_id}/prescriptions/{prescription_id}/cancel", status_code=201)
def post_cancellation(
    patient_id: PatientId,
    prescription_id: str,
    cancellation: CancellationIn,
    wired: WiringDep,
    call: WriteCall,
) -> CancellationOut:
    """Cancel an open prescription (prescriber), with a reason: it can no longer be
    dispensed, and a new one may be written. 409 when it was dispensed or cancelled."""
    cancelled = cancel_prescription(
        wired.system, call, patient_id, prescription_id, cancellation.reason
    )
    return CancellationOut.of(cancelled)
