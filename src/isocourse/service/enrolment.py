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

#: the longest name a patient may be given
NAME_MAX = 200

@dataclass(frozen=True)
class Enrolment:
    """A patient enrolled: their id in this system, and the record's own patient id."""

    patient_id: str
    record_patient_id: str


def enrol_patient(
    system: ClinicSystem, call: Call, document: Any, *, name: str | None = None
) -> Enrolment:
    """Validate the record, create the patient (with ``name``, the name the clinic knows
    them by, if given), store its history as events."""
    require_role(call.actor, "prescriber")
    name = checked_name(name)
    try:
        record = course_record_from_json(document, system.knowledge, today=call.today)
    except RecordError as error:
        raise InvalidInput(error.field, error.message) from error
    normalised = course_record_to_json(record)

    def work(session: Session) -> Enrolment:
        patient_id = str(uuid.uuid4())
        add_patient(session, patient_id, call.actor.clinic_id, call.now, name=name)
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

    named = [name] if name else []  # the fingerprint of an unnamed enrolment is as before
    return write_once(system, call, fingerprint("enrol", normalised, *named), work, Enrolment)


def checked_name(name: str | None) -> str | None:
    """``name`` without surrounding spaces (None if empty); refused if it is longer than
    ``NAME_MAX`` or holds a control character."""
    text = (name or "").strip()
    if len(text) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput("name", "letters, spaces and punctuation only (no control characters)")
    return text or None
