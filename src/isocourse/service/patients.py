"""Finding a patient the caller may see, and folding their events into a course record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.errors import Conflict, NotFound
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.denials import denied, quoted
from isocourse.store.event_log import stored_events
from isocourse.store.fold import fold_events
from isocourse.store.patients import StoredPatient, patient_by_id


def patient_for(session: Session, actor: Actor, patient_id: str) -> StoredPatient:
    """The patient, if the caller's clinic holds them (and, for a patient, it is them).
    A refusal is the same answer whatever the reason (ids reveal nothing); the audit
    entry says which (:mod:`isocourse.service.denials`)."""
    row = patient_by_id(session, patient_id)
    if row is None:
        reason = f"no patient {quoted(patient_id)} is stored"
    elif row.clinic_id != actor.clinic_id:
        reason = "the patient is in another clinic"
    elif actor.role == "patient" and actor.patient_id != patient_id:
        reason = "another patient's record (a patient sees only their own)"
    else:
        return row
    error = NotFound(f"no patient {patient_id!r} in your clinic's records")
    stored = row.id if row is not None else None
    raise denied(error, actor, "not_found", reason, patient_id=stored)


def folded_document(
    session: Session, patient_id: str, as_of: date, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    return fold_events(stored_events(session, patient_id), as_of=as_of, leave_out=leave_out)


def record_from_document(
    document: Mapping[str, Any], knowledge: Knowledge, today: date
) -> CourseRecord:
    """Validate a folded document; a stored record that no longer validates fails closed."""
    try:
        return course_record_from_json(dict(document), knowledge, today=today)
    except RecordError as error:
        raise stored_record_invalid(error) from error


def stored_record_invalid(error: RecordError) -> Conflict:
    """A stored record that no longer validates: the use case fails closed."""
    return Conflict(
        f"the stored record no longer validates ({error}); correct the entry first",
        code="RECORD_INVALID",
    )


def audited_record(
    system: ClinicSystem,
    call: Call,
    patient_id: str,
    as_of: date,
    action: str,
    *,
    detail: str = "",
    proposed: Mapping[str, Any] | None = None,
) -> CourseRecord:
    """The patient's record as of ``as_of`` (with ``proposed`` as its proposed
    prescription, if given), for a caller who may see it: read in one snapshot,
    validated, and returned only once the read's audit entry (``action``) is committed."""
    with system.store.reading() as session:
        patient_for(session, call.actor, patient_id)
        document = folded_document(session, patient_id, as_of)
    if proposed is not None:
        document["proposed_prescription"] = dict(proposed)
    record = record_from_document(document, system.knowledge, call.today)
    system.audit_appends.append(call, action, patient_id=patient_id, detail=detail)
    return record
