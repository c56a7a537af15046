"""Record one clinical event, or mark an earlier one entered in error.

A new entry is checked the way a whole record is: it is added to the folded record
and the result must validate (an unknown lab test, an impossible date ... are refused
with the field named). Patients may log only their own doses, symptoms, mood
screens and home pregnancy tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.errors import Conflict, Forbidden, InvalidInput, NotFound
from isocourse.service.patients import folded_document, patient_for
from isocourse.service.unit_of_work import Answer, fingerprint, write_once
from isocourse.store.event_log import append_event, event_by_id, is_retracted
from isocourse.store.fold import ENTERED_IN_ERROR, LATEST_KINDS, LIST_KINDS
from isocourse.store.tables import EventRow

#: kinds written only by their own use case (prescribe, dispense, correct)
_OWN_USE_CASE: Final = frozenset({"prescription", "dispense", ENTERED_IN_ERROR})
PATIENT_KINDS: Final = frozenset({"dose_period", "missed_dose", "symptom", "mood_screen"})
RECORDABLE_KINDS: Final = tuple(
    kind for kind in (*LATEST_KINDS, *LIST_KINDS) if kind not in _OWN_USE_CASE
)


def record_event(
    system: ClinicSystem, call: Call, patient_id: str, kind: str, entry: Mapping[str, Any]
) -> Answer:
    require_role(call.actor, "prescriber", "patient")
    if kind not in RECORDABLE_KINDS:
        raise InvalidInput("kind", f"unknown or not recordable here: {kind!r}")
    _check_patient_may_log(call, kind, entry)

    def work(session: Session) -> Answer:
        patient_for(session, call.actor, patient_id)
        payload = _validated_entry(system, call, session, patient_id, kind, entry)
        row = append_event(
            session,
            patient_id=patient_id,
            kind=kind,
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
        )
        record_audit(session, call, f"event.record.{kind}", patient_id=patient_id)
        return {"event_id": row.id, "kind": kind, "entry": payload}

    return write_once(system, call, fingerprint("event", patient_id, kind, dict(entry)), work)


def _check_patient_may_log(call: Call, kind: str, entry: Mapping[str, Any]) -> None:
    if call.actor.role != "patient":
        return
    home_test = kind == "pregnancy_test" and entry.get("setting") == "home"
    if kind not in PATIENT_KINDS and not home_test:
        raise Forbidden(f"a patient may not record {kind!r} (a clinician records it)")


def _validated_entry(
    system: ClinicSystem,
    call: Call,
    session: Session,
    patient_id: str,
    kind: str,
    entry: Mapping[str, Any],
) -> dict[str, Any]:
    document = folded_document(session, patient_id, call.today)
    if kind == "programme":
        document["programme"] = entry.get("programme")
        where = "programme"
    elif kind in LATEST_KINDS:
        where = LATEST_KINDS[kind]
        document[where] = dict(entry)
    else:
        name = LIST_KINDS[kind]
        where = f"{name}[{len(document[name])}]"
        document[name].append(dict(entry))
    try:
        record = course_record_from_json(document, system.knowledge, today=call.today)
    except RecordError as error:
        field = error.field
        if field.startswith(where):
            field = "entry" + field[len(where) :]
        raise InvalidInput(field, error.message) from error
    del record
    return dict(entry)


def correct_entry(
    system: ClinicSystem, call: Call, patient_id: str, event_id: str, reason: str
) -> Answer:
    """Mark an earlier event entered in error (a new event; the old one stays in the log)."""
    require_role(call.actor, "prescriber")

    def work(session: Session) -> Answer:
        patient_for(session, call.actor, patient_id)
        target = event_by_id(session, event_id)
        _check_correctable(session, target, patient_id)
        row = append_event(
            session,
            patient_id=patient_id,
            kind=ENTERED_IN_ERROR,
            payload={"event_id": event_id, "reason": reason},
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            corrects=event_id,
        )
        record_audit(session, call, "event.entered_in_error", patient_id=patient_id, detail=reason)
        return {"event_id": row.id, "kind": ENTERED_IN_ERROR, "corrects": event_id}

    return write_once(system, call, fingerprint("correct", patient_id, event_id, reason), work)


def _check_correctable(session: Session, target: EventRow | None, patient_id: str) -> None:
    if target is None or target.patient_id != patient_id:
        raise NotFound("no such entry in this patient's record")
    if target.kind == ENTERED_IN_ERROR:
        raise Conflict("a correction cannot itself be corrected", code="NOT_CORRECTABLE")
    if target.kind in ("patient_details", "programme", "course_details"):
        raise Conflict(
            "patient, programme and course details are corrected by recording new details",
            code="NOT_CORRECTABLE",
        )
    if is_retracted(session, target.id):
        raise Conflict("this entry is already marked entered in error", code="ALREADY_CORRECTED")
