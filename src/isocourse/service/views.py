"""What a caller sees of a patient, and the clinic's work-list: the read-only use cases.

Each reads one snapshot (no write lock) and is answered only once the audit entry of
the read has committed (group-committed with other reads' entries, see
:class:`~isocourse.service.audit.AuditAppends`). Each returns values, never JSON: the
API and the pages render the same values each in their own form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.record import CourseRecord
from isocourse.rules import assess
from isocourse.rules.supply import PrescriptionState
from isocourse.service.audit import AuditRequest
from isocourse.service.cds_hooks import critical_overrides, overrides_window
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.course_view import PendingReview, pending_reviews, written_prescriptions
from isocourse.service.patients import (
    audited_record,
    folded_document,
    patient_for,
    record_from_document,
    resolved_patient,
)
from isocourse.store.event_history import RecordedEvent, event_history
from isocourse.store.latest_assessments import fresh_assessments
from isocourse.store.patients import clinic_patient_names
from isocourse.worklist import Tier, alert_titles, worklist


@dataclass(frozen=True)
class PatientView:
    """A patient's course today, read in one snapshot with one audit entry
    (``patient.read``): the record, its assessment, the event log (oldest first), the
    entries waiting for a clinician's review and each written prescription's state."""

    patient_id: str
    #: the name the clinic knows the patient by (None if it gave none)
    name: str | None
    record: CourseRecord
    assessment: Assessment
    events: tuple[RecordedEvent, ...]
    pending_reviews: tuple[PendingReview, ...]
    prescriptions: tuple[PrescriptionState, ...]


@dataclass(frozen=True)
class EhrOverride:
    """A critical CDS Hooks card the EHR's user overrode."""

    title: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class WorklistRow:
    """One patient of the clinic's work-list."""

    #: the patient's id in this system
    patient_id: str
    #: the record's own patient id (the clinic's patient number)
    record_patient_id: str
    #: the name the clinic knows the patient by (None if it gave none)
    name: str | None
    tier: Tier
    #: what needs action, in words ("stop: ...", "dispense window closes ...")
    reason: str
    #: the reason without its leading tier word
    detail: str
    assessment: Assessment
    #: critical cards the EHR's user overrode in the last 30 days, newest first
    ehr_overrides: tuple[EhrOverride, ...]


def read_record(system: ClinicSystem, call: Call, patient_id: str, as_of: date) -> CourseRecord:
    require_role(call.actor, "prescriber", "patient")
    return audited_record(system, call, patient_id, as_of, "record.read")


def read_assessment(system: ClinicSystem, call: Call, patient_id: str, as_of: date) -> Assessment:
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(system, call, patient_id, as_of, "assessment.read")
    return assess(record, system.knowledge, as_of=as_of)


def read_patient(system: ClinicSystem, call: Call, patient: str) -> PatientView:
    """The patient's course today, for a page (prescriber; a patient: their own);
    ``patient`` is the store's id or the clinic's own number (``demo-04``)."""
    require_role(call.actor, "prescriber", "patient")
    known, today = system.knowledge, call.today
    with system.store.reading() as session:
        stored = resolved_patient(session, call.actor, patient)
        patient_id = stored.id
        document = folded_document(session, patient_id, today)
        events = event_history(session, patient_id)
    record = record_from_document(document, known, today)
    assessment = assess(record, known, as_of=today)
    view = PatientView(
        patient_id,
        stored.name,
        record,
        assessment,
        tuple(events),
        tuple(pending_reviews(record, known, today)),
        tuple(written_prescriptions(record, known, today)),
    )
    system.audit_appends.append(call, "patient.read", patient_id=patient_id)
    return view


def list_events(system: ClinicSystem, call: Call, patient_id: str) -> list[RecordedEvent]:
    """The patient's event log, oldest first: each entry with who recorded it (the user's
    e-mail and role, and the entry's ``source``)."""
    require_role(call.actor, "prescriber", "patient")
    with system.store.reading() as session:
        patient_for(session, call.actor, patient_id)
        events = event_history(session, patient_id)
    system.audit_appends.append(call, "events.read", patient_id=patient_id)
    return events


def read_worklist(system: ClinicSystem, call: Call) -> list[WorklistRow]:
    """The clinic's patients, ordered by what needs action today."""
    require_role(call.actor, "prescriber")
    assessments, internal_ids = [], {}
    with system.store.reading() as session:
        # fresh stored assessments (isocourse reassess) when there are; the rest computed now
        stored = fresh_assessments(session, call.actor.clinic_id, call.today, system.knowledge)
        overrides = critical_overrides(session, call.actor.clinic_id, overrides_window(call.now))
        names = clinic_patient_names(session, call.actor.clinic_id)
        for patient_id in names:
            assessment = stored.get(patient_id)
            if assessment is None:
                assessment = _assess_now(system, call, session, patient_id)
            assessments.append(assessment)
            internal_ids[id(assessment)] = patient_id
    system.audit_appends.append_all(
        [AuditRequest(call, "worklist.read", patient_id) for patient_id in internal_ids.values()]
    )
    rows = []
    for row in worklist(assessments, call.today, alert_titles(system.knowledge)):
        patient_id = internal_ids[id(row.assessment)]
        rows.append(
            WorklistRow(
                patient_id=patient_id,
                record_patient_id=row.patient_id,
                name=names[patient_id],
                tier=row.tier,
                reason=row.reason,
                detail=row.detail,
                assessment=row.assessment,
                ehr_overrides=tuple(
                    EhrOverride(o.title, o.reason, o.at) for o in overrides.get(patient_id, [])
                ),
            )
        )
    return rows


def _assess_now(system: ClinicSystem, call: Call, session: Session, patient_id: str) -> Assessment:
    document = folded_document(session, patient_id, call.today)
    record = record_from_document(document, system.knowledge, call.today)
    return assess(record, system.knowledge, as_of=call.today)
