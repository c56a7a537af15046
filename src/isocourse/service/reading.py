"""Reading a patient's record, assessment and event log, and the clinic's work-list.

Each reads one snapshot (no write lock) and is answered only once the audit entry of
the read has committed (group-committed with other reads' entries, see
:class:`~isocourse.service.audit.AuditAppends`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.assessment_json import assessment_to_json
from isocourse.record_parser import course_record_to_json
from isocourse.registry.latest import fresh_assessments
from isocourse.rules import assess
from isocourse.service.audit import AuditRequest
from isocourse.service.cds_hooks import critical_overrides, overrides_window
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import (
    audited_record,
    folded_document,
    patient_for,
    record_from_document,
)
from isocourse.service.unit_of_work import Answer
from isocourse.store.event_log import entry_source, event_rows, recorders_of
from isocourse.store.tables import PatientRow
from isocourse.worklist import alert_titles, worklist


def read_record(system: ClinicSystem, call: Call, patient_id: str, as_of: date) -> Answer:
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(system, call, patient_id, as_of, "record.read")
    return course_record_to_json(record)


def read_assessment(
    system: ClinicSystem, call: Call, patient_id: str, as_of: date, *, explain: bool = False
) -> Answer:
    require_role(call.actor, "prescriber", "patient")
    record = audited_record(system, call, patient_id, as_of, "assessment.read")
    return assessment_to_json(assess(record, system.knowledge, as_of=as_of), explain=explain)


def list_events(system: ClinicSystem, call: Call, patient_id: str) -> list[dict[str, Any]]:
    """The patient's event log, oldest first: each entry with who recorded it (the user's
    e-mail and role, and the entry's ``source``)."""
    require_role(call.actor, "prescriber", "patient")
    with system.store.reading() as session:
        patient_for(session, call.actor, patient_id)
        rows = event_rows(session, patient_id)
        recorders = recorders_of(session, {row.recorded_by for row in rows})
        events = [
            {
                "event_id": row.id,
                "kind": row.kind,
                "entry": row.payload,
                "corrects": row.corrects_event_id,
                "recorded_at": row.recorded_at.isoformat(),
                "recorded_by": None if row.recorded_by is None else recorders.get(row.recorded_by),
                "source": entry_source(row.kind, row.payload),
            }
            for row in rows
        ]
    system.audit_appends.append(call, "events.read", patient_id=patient_id)
    return events


def read_worklist(system: ClinicSystem, call: Call) -> list[dict[str, Any]]:
    """The clinic's patients, ordered by what needs action today."""
    require_role(call.actor, "prescriber")
    assessments, internal_ids, names = [], {}, {}
    with system.store.reading() as session:
        # fresh stored assessments (isocourse reassess) when there are; the rest computed now
        stored = fresh_assessments(session, call.actor.clinic_id, call.today, system.knowledge)
        overrides = critical_overrides(session, call.actor.clinic_id, overrides_window(call.now))
        query = select(PatientRow.id, PatientRow.name).where(
            PatientRow.clinic_id == call.actor.clinic_id
        )
        for patient_id, name in session.execute(
            query.order_by(PatientRow.created_at, PatientRow.id)
        ):
            names[patient_id] = name
            assessment = stored.get(patient_id)
            if assessment is None:
                assessment = _assess_now(system, call, session, patient_id)
            assessments.append(assessment)
            internal_ids[id(assessment)] = patient_id
    system.audit_appends.append_all(
        [AuditRequest(call, "worklist.read", patient_id) for patient_id in internal_ids.values()]
    )
    return [
        {
            "patient_id": internal_ids[id(row.assessment)],
            "record_patient_id": row.patient_id,
            # the name the clinic knows the patient by (None if it gave none)
            "name": names[internal_ids[id(row.assessment)]],
            "reason": row.reason,
            "dispense_allowed": row.assessment.dispense.allowed,
            "assessment": assessment_to_json(row.assessment),
            # critical CDS Hooks cards the EHR's user overrode (last 30 days), newest first
            "ehr_overrides": [
                {"title": o.title, "reason": o.reason, "at": o.at.date().isoformat()}
                for o in overrides.get(internal_ids[id(row.assessment)], [])
            ],
        }
        for row in worklist(assessments, call.today, alert_titles(system.knowledge))
    ]


def _assess_now(system: ClinicSystem, call: Call, session: Session, patient_id: str) -> Assessment:
    document = folded_document(session, patient_id, call.today)
    record = record_from_document(document, system.knowledge, call.today)
    return assess(record, system.knowledge, as_of=call.today)
