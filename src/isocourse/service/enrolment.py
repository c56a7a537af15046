"""Enrol a patient by importing a course record (format ``isocourse.course/1``) with its history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from isocourse.errors import InvalidInput
from isocourse.record_parser import RecordError, course_record_from_json, course_record_to_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.unit_of_work import fingerprint, write_once
from isocourse.store.event_log import append_event
from isocourse.store.fold import events_from_record
from isocourse.store.patients import add_patient


@dataclass(frozen=True)
class Enrolment:
    """A patient enrolled: their id in this system, and the record's own patient id."""

    patient_id: str
    record_patient_id: str


def enrol_patient(system: ClinicSystem, call: Call, document: Any) -> Enrolment:
    """Validate the record, create the patient, store its history as events."""
    require_role(call.actor, "prescriber")
    try:
        record = course_record_from_json(document, system.knowledge, today=call.today)
    except RecordError as error:
        raise InvalidInput(error.field, error.message) from error
    normalised = course_record_to_json(record)

    def work(session: Session) -> Enrolment:
        patient_id = str(uuid.uuid4())
        add_patient(session, patient_id, call.actor.clinic_id, call.now)
        for kind, payload in events_from_record(normalised):
            append_event(
                session,
                patient_id=patient_id,
                kind=kind,
                payload=payload,
                recorded_at=call.now,
                recorded_by=call.actor.user_id,
            )
        record_audit(session, call, "patient.enrol", patient_id=patient_id)
        return Enrolment(patient_id, record.patient.id)

    return write_once(system, call, fingerprint("enrol", normalised), work, Enrolment)
