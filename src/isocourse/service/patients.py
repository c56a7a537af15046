"""Finding a patient the caller may see, and folding their events into a course record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.errors import Conflict, NotFound
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.denials import denied, quoted
from isocourse.service.directory import clinic_directory
from isocourse.store.event_log import stored_events
from isocourse.store.fold import fold_events
from isocourse.store.patients import StoredPatient, latest_record_patient_id, patient_by_id


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


@dataclass(frozen=True)
class NamedPatient:
    """A patient the caller may see: the store's id, the name the clinic gave them and
    the clinic's own number for them (the record's ``patient.id``)."""

    patient_id: str
    name: str | None
    record_id: str


def resolved_patient(session: Session, actor: Actor, patient: str) -> StoredPatient:
    """The patient ``patient`` names, the store's id or the clinic's own number (see
    :func:`find_patient`), if the caller may see them."""
    stored = patient_by_id(session, patient)
    if stored is None or stored.clinic_id != actor.clinic_id:
        patient = clinic_directory(session, actor.clinic_id).resolve(patient) or patient
    return patient_for(session, actor, patient)


def find_patient(system: ClinicSystem, call: Call, patient: str) -> NamedPatient:
    """The patient ``patient`` names: the store's id, or the clinic's own number (the
    record's ``patient.id``, as ``isocourse report`` takes it) when it names exactly one
    patient of the caller's clinic. Another clinic's patient, by either, is not found."""
    require_role(call.actor, "prescriber", "patient")
    with system.store.reading() as session:
        row = resolved_patient(session, call.actor, patient)
        record_id = latest_record_patient_id(session, row.id)
        return NamedPatient(row.id, row.name, record_id)


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
    record, _ = audited_named_record(
        system, call, patient_id, as_of, action, detail=detail, proposed=proposed
    )
    return record


def audited_named_record(
    system: ClinicSystem,
    call: Call,
    patient_id: str,
    as_of: date,
    action: str,
    *,
    detail: str = "",
    proposed: Mapping[str, Any] | None = None,
) -> tuple[CourseRecord, str | None]:
    """:func:`audited_record`, with the name the clinic gave the patient (None if
    none), read in the same snapshot."""
    with system.store.reading() as session:
        name = patient_for(session, call.actor, patient_id).name
        document = folded_document(session, patient_id, as_of)
    if proposed is not None:
        document["proposed_prescription"] = dict(proposed)
    record = record_from_document(document, system.knowledge, call.today)
    system.audit_appends.append(call, action, patient_id=patient_id, detail=detail)
    return record, name
