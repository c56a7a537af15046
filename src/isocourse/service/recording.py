"""Record one clinical event, or mark an earlier one entered in error.

A new entry is checked the way a whole record is: it is added to the folded record
and the result must validate (an unknown lab test, an impossible date ... are refused
with the field named). Patients may log only their own missed doses, symptoms, mood
screens and home pregnancy tests; the dose itself is the prescriber's to set.

Who recorded the entry (``source``) comes from the signed-in user: a patient's entry
is always ``patient``; a clinician may say ``lab`` or ``import`` when transcribing.
A new dose period that starts while an open one runs ends that one the day before, in
the same transaction (the open period is marked entered in error and recorded again
with its end, so the log stays append-only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, cast, get_args

from sqlalchemy.orm import Session

from isocourse.errors import Conflict, Forbidden, InvalidInput, NotFound
from isocourse.record import EARLIEST_DAY, LATEST_DAY, Source
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role, source_of
from isocourse.service.denials import denied
from isocourse.service.patients import folded_document, patient_for
from isocourse.service.unit_of_work import fingerprint, write_once
from isocourse.store.event_log import append_event, event_by_id, is_retracted, stored_events
from isocourse.store.fold import ENTERED_IN_ERROR, LATEST_KINDS, LIST_KINDS, PRESCRIPTION_CANCELLED
from isocourse.store.tables import EventRow

#: kinds written only by their own use case (prescribe, dispense, correct)
_OWN_USE_CASE: Final = frozenset({"prescription", "dispense", ENTERED_IN_ERROR})
PATIENT_KINDS: Final = frozenset({"missed_dose", "symptom", "mood_screen"})
RECORDABLE_KINDS: Final = tuple(
    kind for kind in (*LATEST_KINDS, *LIST_KINDS) if kind not in _OWN_USE_CASE
)


@dataclass(frozen=True)
class RecordedEntry:
    """An event recorded: its id, kind and entry as stored (with its ``source``)."""

    event_id: str
    kind: str
    #: the course-record element, as in the course-record format
    entry: dict[str, Any]
    #: the open dose period this new one ended the day before, as now recorded (or None)
    closed_dose_period: dict[str, Any] | None = None


@dataclass(frozen=True)
class Correction:
    """An earlier event marked entered in error (by a new event, ``event_id``)."""

    event_id: str
    #: always ``entered_in_error``
    kind: str
    #: the event marked entered in error
    corrects: str


def record_event(
    system: ClinicSystem, call: Call, patient_id: str, kind: str, entry: Mapping[str, Any]
) -> RecordedEntry:
    require_role(call.actor, "prescriber", "patient")
    if kind not in RECORDABLE_KINDS:
        raise InvalidInput("kind", f"unknown or not recordable here: {kind!r}")
    _check_patient_may_log(call, kind, entry)
    source = _source(call, kind, entry)

    def work(session: Session) -> RecordedEntry:
        patient_for(session, call.actor, patient_id)
        document = folded_document(session, patient_id, call.today)
        closed = _close_open_period(session, call, patient_id, kind, entry, document)
        payload = _validated_entry(system, call, document, kind, {**entry, "source": source})
        row = append_event(
            session,
            patient_id=patient_id,
            kind=kind,
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            source=source if kind in LIST_KINDS else None,
        )
        record_audit(session, call, f"event.record.{kind}", patient_id=patient_id)
        return RecordedEntry(row.id, kind, dict(row.payload), closed)

    key = fingerprint("event", patient_id, kind, dict(entry))
    return write_once(system, call, key, work, RecordedEntry)


def _source(call: Call, kind: str, entry: Mapping[str, Any]) -> Source:
    """The entry's source: the patient's own for a patient; a clinician may name one."""
    claimed = entry.get("source")
    if call.actor.role == "patient" or claimed is None or kind not in LIST_KINDS:
        return source_of(call.actor)
    if claimed not in get_args(Source):
        raise InvalidInput("entry.source", f"one of {', '.join(get_args(Source))}")
    return cast(Source, claimed)


def _close_open_period(
    session: Session,
    call: Call,
    patient_id: str,
    kind: str,
    entry: Mapping[str, Any],
    document: dict[str, Any],
) -> dict[str, Any] | None:
    """A new dose period starting after an open one began ends it the day before: the
    open period is marked entered in error and recorded again with that end. Returns
    the period as closed (None when nothing was open, or the new one is no later)."""
    if kind != "dose_period":
        return None
    try:
        starts = date.fromisoformat(str(entry.get("start")))
    except ValueError:
        return None  # the entry's own validation names the field
    if not EARLIEST_DAY <= starts <= LATEST_DAY:
        return None  # likewise: no open period is ended on the eve of year 9999
    for event in stored_events(session, patient_id):
        period = event.payload
        if event.kind != "dose_period" or period.get("end") is not None:
            continue
        if is_retracted(session, event.id) or date.fromisoformat(period["start"]) >= starts:
            continue
        closed = {**period, "end": (starts - timedelta(days=1)).isoformat()}
        reason = f"ended the day before the dose period from {starts.isoformat()}"
        _append_correction(session, call, patient_id, event.id, reason)
        append_event(
            session,
            patient_id=patient_id,
            kind="dose_period",
            payload=closed,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            source=period.get("source", "clinician"),
        )
        document["doses"] = [
            closed if dict(p) == dict(period) else p for p in document["doses"]
        ]
        return closed
    return None


def _check_patient_may_log(call: Call, kind: str, entry: Mapping[str, Any]) -> None:
    if call.actor.role != "patient":
        return
    home_test = kind == "pregnancy_test" and entry.get("setting") == "home"
    if kind not in PATIENT_KINDS and not home_test:
        words = f"a patient may not record {kind!r} (a clinician records it)"
        raise denied(Forbidden(words), call.actor, "forbidden", words)


def _validated_entry(
    system: ClinicSystem,
    call: Call,
    document: dict[str, Any],
    kind: str,
    entry: Mapping[str, Any],
) -> dict[str, Any]:
    """The entry, once the record with it added still validates (refused naming the
    field, as ``entry.<field>``, otherwise)."""
    document = {**document}
    if kind == "programme":
        document["programme"] = entry.get("programme")
        where = "programme"
        entry = {"programme": entry.get("programme")}
    elif kind in LATEST_KINDS:
        where = LATEST_KINDS[kind]
        entry = {k: v for k, v in entry.items() if k != "source"}
        document[where] = dict(entry)
    else:
        name = LIST_KINDS[kind]
        where = f"{name}[{len(document[name])}]"
        document[name] = [*document[name], dict(entry)]
    try:
        course_record_from_json(document, system.knowledge, today=call.today)
    except RecordError as error:
        field = error.field
        if field.startswith(where):
            field = "entry" + field[len(where) :]
        raise InvalidInput(field, error.message) from error
    return dict(entry)


def correct_entry(
    system: ClinicSystem, call: Call, patient_id: str, event_id: str, reason: str
) -> Correction:
    """Mark an earlier event entered in error (a new event; the old one stays in the log)."""
    require_role(call.actor, "prescriber")

    def work(session: Session) -> Correction:
        patient_for(session, call.actor, patient_id)
        target = event_by_id(session, event_id)
        _check_correctable(session, target, patient_id)
        row = _append_correction(session, call, patient_id, event_id, reason)
        return Correction(row.id, ENTERED_IN_ERROR, event_id)

    key = fingerprint("correct", patient_id, event_id, reason)
    return write_once(system, call, key, work, Correction)


def _append_correction(
    session: Session, call: Call, patient_id: str, event_id: str, reason: str
) -> EventRow:
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
    return row


def _check_correctable(session: Session, target: EventRow | None, patient_id: str) -> None:
    if target is None or target.patient_id != patient_id:
        raise NotFound("no such entry in this patient's record")
    if target.kind == ENTERED_IN_ERROR:
        raise Conflict("a correction cannot itself be corrected", code="NOT_CORRECTABLE")
    if target.kind == PRESCRIPTION_CANCELLED:
        raise Conflict(
            "a cancellation stands: write a new prescription instead", code="NOT_CORRECTABLE"
        )
    if target.kind in ("patient_details", "programme", "course_details"):
        raise Conflict(
            "patient, programme and course details are corrected by recording new details",
            code="NOT_CORRECTABLE",
        )
    if is_retracted(session, target.id):
        raise Conflict("this entry is already marked entered in error", code="ALREADY_CORRECTED")
