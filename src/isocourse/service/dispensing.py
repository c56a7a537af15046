"""The pharmacist's two actions: verify a prescription (by its id and the patient's birth
date) and dispense it. Both re-evaluate the record on the dispensing day; a
prescription is dispensed at most once (checked, and enforced by a unique column)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from anyio import to_thread
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.auth.roles import Actor
from isocourse.auth.sessions import SignedIn, session_gone, signed_in_from, touch_if_due
from isocourse.auth.users import actor_from_columns, user_gone
from isocourse.errors import (
    BlockingReason,
    Conflict,
    NotAuthenticated,
    NotFound,
    Refused,
)
from isocourse.record_parser import RecordError, course_record_from_text
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, Caller, ClinicSystem, require_role, source_of
from isocourse.service.decisions import assess_closed, decision_of, refuse_unless_allowed
from isocourse.service.denials import denied
from isocourse.service.patients import stored_record_invalid
from isocourse.service.unit_of_work import fingerprint, unit_of_work, write_once
from isocourse.store.event_log import append_event, event_by_id
from isocourse.store.fold import (
    ENTERED_IN_ERROR,
    PRESCRIPTION_CANCELLED,
    StoredEventText,
    fold_event_texts,
    with_fields_text,
)
from isocourse.store.prescription_reads import (
    PrescriptionRead,
    read_by_session,
    read_by_session_awaited,
    read_by_user,
)
from isocourse.store.tables import EventRow


@dataclass(frozen=True)
class StoredPrescription:
    """A prescription event as the pharmacy finds it: its id, its patient, its payload."""

    id: str
    patient_id: str
    payload: dict[str, Any]
    #: the payload as the database holds it (JSON text), for the fold
    payload_text: str


@dataclass(frozen=True)
class Read:
    """What the prescription's one query read: the caller's user and, if the caller's
    clinic has this prescription (not retracted), the prescription, whether it was
    dispensed and its patient's events in order (payloads as JSON text: the fold
    splices them into the record's text, which is validated once, without decoding
    each payload and encoding the document again)."""

    actor: Actor
    prescription: StoredPrescription | None
    dispensed: bool
    events: list[StoredEventText]
    #: the caller's session, when the read was by session (a ``Caller``)
    signed_in: SignedIn | None = None


@dataclass(frozen=True)
class Verification:
    """May this prescription be dispensed today? The prescription as written, whether it
    was dispensed or cancelled (a cancellation's ``date`` and ``reason``), and the rules'
    decision on the dispensing day (what blocks it, first a cancellation; the last day of
    its dispense window)."""

    prescription_id: str
    #: ``date``, ``days_supply`` and ``mg_per_day``, as in the course-record format
    prescription: dict[str, Any]
    already_dispensed: bool
    cancelled: dict[str, Any] | None
    allowed: bool
    blocking: tuple[BlockingReason, ...]
    window_closes: date | None


@dataclass(frozen=True)
class Dispensed(Verification):
    """A dispense recorded (event ``dispense_id``: its ``date`` and ``days_supply``), with
    the verification it passed."""

    dispense_id: str
    dispense: dict[str, Any]


@dataclass(frozen=True)
class PrescriptionCheck:
    prescription: StoredPrescription
    assessment: Assessment
    dispensed: bool
    #: the standing cancellation (``{"date", "reason", ...}``), if a prescriber cancelled it
    cancelled: dict[str, Any] | None = None


def verify_prescription(
    system: ClinicSystem, call: Call | Caller, prescription_id: str, birth_date: date
) -> Verification:
    """May this prescription be dispensed today? Given a ``Caller`` (the API's hot path),
    the caller's user is read in the check's own snapshot."""
    # The check reads one consistent snapshot without the write lock; the answer goes
    # out only once its audit entry is committed (if that fails, no answer). So
    # concurrent verifications queue only for the audit write, and share it: their
    # entries are group-committed (one transaction and one fsync for all waiting).
    call, answer, patient_id = check_for_verification(system, call, prescription_id, birth_date)
    system.audit_appends.append(call, "prescription.verify", patient_id=patient_id)
    return answer


async def verify_prescription_async(
    system: ClinicSystem, caller: Caller, prescription_id: str, birth_date: date
) -> Verification:
    """:func:`verify_prescription` for the API, on the event loop without a thread: on
    SQLite as it is (``Store.serves_on_loop``), on PostgreSQL through the asyncio driver
    (``Store.on_loop``), which awaits each round trip."""
    store = system.store
    if store.on_loop is None:
        with store.reading() as session:
            read = _read(session.connection(), caller, prescription_id)
    else:
        found = await read_by_session_awaited(store.on_loop, caller.session_key, prescription_id)
        read = _read_from(found, caller)
    call, answer, patient_id = _verification(system, caller, read, birth_date)
    await system.audit_appends.append_async(call, "prescription.verify", patient_id=patient_id)
    if read.signed_in is not None and caller.now >= read.signed_in.needs_touch_at:
        # the session's last use, once a minute: a write, so not on the loop
        await to_thread.run_sync(touch_if_due, store, read.signed_in, caller.now)
    return answer


def check_for_verification(
    system: ClinicSystem, call: Call | Caller, prescription_id: str, birth_date: date
) -> tuple[Call, Verification, str]:
    """The verification's read: the caller, the answer and the patient, not yet audited."""
    with system.store.reading() as session:
        read = _read(session.connection(), call, prescription_id)
    checked = _verification(system, call, read, birth_date)
    if read.signed_in is not None:
        touch_if_due(system.store, read.signed_in, call.now)
    return checked


def _verification(
    system: ClinicSystem, call: Call | Caller, read: Read, birth_date: date
) -> tuple[Call, Verification, str]:
    """The answer from the verification's one statement, which read the caller's session
    and user (refused if the session has ended or the user was removed or disabled) with
    the prescription and its patient's events."""
    call = call.as_call(read.actor) if isinstance(call, Caller) else call
    require_role(call.actor, "pharmacist", "prescriber")
    check = _check_prescription(system, call, read, birth_date)
    return call, _answer(check), check.prescription.patient_id


def dispense(
    system: ClinicSystem, call: Call, prescription_id: str, birth_date: date
) -> Dispensed:
    require_role(call.actor, "pharmacist")

    def work(session: Session) -> Dispensed:
        read = _read(session.connection(), call, prescription_id)
        check = _check_prescription(system, call, read, birth_date)
        if check.dispensed:
            raise _already_dispensed()
        if check.cancelled is not None:
            raise Conflict(_cancelled_words(check.cancelled), code="PRESCRIPTION_CANCELLED")
        refuse_unless_allowed(check.assessment, "dispense")
        payload = {
            "date": call.today.isoformat(),
            "days_supply": check.prescription.payload["days_supply"],
        }
        row = _append_dispense(session, call, check.prescription, payload)
        patient_id = check.prescription.patient_id
        record_audit(session, call, "prescription.dispense", patient_id=patient_id, detail=row.id)
        return Dispensed(**vars(_answer(check)), dispense_id=row.id, dispense=payload)

    try:
        key = fingerprint("dispense", prescription_id)
        return write_once(system, call, key, work, Dispensed)
    except Refused as refusal:
        _audit_refusal(system, call, prescription_id, refusal)
        raise


def _append_dispense(
    session: Session, call: Call, prescription: StoredPrescription, payload: dict[str, Any]
) -> EventRow:
    try:
        with session.begin_nested():
            return append_event(
                session,
                patient_id=prescription.patient_id,
                kind="dispense",
                payload=payload,
                recorded_at=call.now,
                recorded_by=call.actor.user_id,
                source=source_of(call.actor),
                fills_prescription=prescription.id,
            )
    except IntegrityError as error:
        raise _already_dispensed() from error


def _already_dispensed() -> Conflict:
    return Conflict("this prescription has already been dispensed", code="ALREADY_DISPENSED")


def _check_prescription(
    system: ClinicSystem, call: Call, read: Read, birth_date: date
) -> PrescriptionCheck:
    """The record on the dispensing day, this prescription proposed (it is left out of the
    events), assessed; not found unless the birth date is the patient's."""
    prescription = read.prescription
    if prescription is None:
        raise _no_such_prescription(call, "no such prescription in the caller's clinic")
    text = fold_event_texts(
        read.events,
        as_of=call.today,
        leave_out=frozenset({prescription.id}),
        proposed_prescription=with_fields_text(prescription.payload_text, {"id": prescription.id}),
    )
    try:
        record = course_record_from_text(text, system.knowledge)
    except RecordError as error:
        # the birth date first: a caller who does not know it learns nothing more
        patient = json.loads(text).get("patient") or {}
        if patient.get("birth_date") != birth_date.isoformat():
            raise _wrong_birth_date(call, prescription) from error
        raise stored_record_invalid(error) from error
    if record.patient.birth_date != birth_date:
        raise _wrong_birth_date(call, prescription)
    assessment = assess_closed(record, system.knowledge)
    cancelled = _cancellation(read.events, prescription.id)
    return PrescriptionCheck(prescription, assessment, read.dispensed, cancelled)


def _cancellation(events: Sequence[StoredEventText], prescription_id: str) -> dict[str, Any] | None:
    """The standing cancellation of the prescription among its patient's events."""
    retracted = {e.corrects for e in events if e.kind == ENTERED_IN_ERROR}
    for event in events:
        if event.kind == PRESCRIPTION_CANCELLED and event.id not in retracted:
            payload: dict[str, Any] = json.loads(event.payload)
            if payload.get("prescription_id") == prescription_id:
                return payload
    return None


def _cancelled_words(cancelled: dict[str, Any]) -> str:
    return (
        f"this prescription was cancelled by the prescriber on {cancelled['date']} "
        f"({cancelled['reason']}): do not dispense it; the patient needs a new prescription"
    )


def _read(connection: Connection, call: Call | Caller, prescription_id: str) -> Read:
    """The caller's session and user (a ``Caller``; a ``Call``: its user), the
    prescription and its patient's events: one statement, so one snapshot and one round
    trip (:mod:`isocourse.store.prescription_reads`)."""
    if isinstance(call, Caller):
        found = read_by_session(connection, call.session_key, prescription_id)
    else:
        found = read_by_user(connection, call.actor.user_id, prescription_id)
    return _read_from(found, call)


def _read_from(found: PrescriptionRead | None, call: Call | Caller) -> Read:
    """The read as the caller may see it: refused if the session or the user is gone
    (nothing was read), the session has ended or the user is disabled."""
    if found is None:
        if isinstance(call, Caller):
            gone = session_gone()
            raise denied(gone, None, "not_authenticated", gone.message)
        raise denied(user_gone(), None, "not_authenticated", "the token's user no longer exists")
    caller = found.caller
    signed_in = None
    if isinstance(call, Caller):
        try:
            signed_in = signed_in_from(
                caller, call.session_key, now=call.now, idle=call.session_idle
            )
        except NotAuthenticated as error:  # ended, expired, or its user disabled
            raise denied(error, None, "not_authenticated", error.message) from None
        actor = signed_in.actor
    else:
        actor = actor_from_columns(*caller[:5])
        if caller[9] is not None:  # the user was disabled since the call was made
            disabled = NotAuthenticated("this user is disabled: ask your clinic's administrator")
            raise denied(disabled, None, "not_authenticated", disabled.message)
    if found.prescription_id is None or found.patient_id is None:
        return Read(actor, None, False, [], signed_in)
    text = next(event.payload for event in found.events if event.id == found.prescription_id)
    prescription = StoredPrescription(
        found.prescription_id, found.patient_id, json.loads(text), text
    )
    return Read(actor, prescription, found.dispensed, found.events, signed_in)


def _no_such_prescription(call: Call, reason: str, patient_id: str | None = None) -> NotFound:
    """The one answer to a wrong id and a wrong birth date alike; the audit says which."""
    error = NotFound("no prescription with this id for a patient with this birth date")
    return denied(error, call.actor, "not_found", reason, patient_id=patient_id)


def _wrong_birth_date(call: Call, prescription: StoredPrescription) -> NotFound:
    reason = f"prescription {prescription.id}: the birth date given is not the patient's"
    return _no_such_prescription(call, reason, prescription.patient_id)


def _answer(check: PrescriptionCheck) -> Verification:
    decision = decision_of(check.assessment)
    allowed, blocking, closes = decision.allowed, decision.blocking, decision.window_closes
    if check.dispensed:
        allowed = False
    if check.cancelled is not None:
        allowed, closes = False, None
        cancelled = BlockingReason(
            "PRESCRIPTION_CANCELLED", "block", _cancelled_words(check.cancelled)
        )
        blocking = (cancelled, *blocking)
    return Verification(
        check.prescription.id,
        dict(check.prescription.payload),
        check.dispensed,
        check.cancelled,
        allowed,
        blocking,
        closes,
    )


def _audit_refusal(
    system: ClinicSystem, call: Call, prescription_id: str, refusal: Refused
) -> None:
    codes = ",".join(reason.code for reason in refusal.blocking)
    with unit_of_work(system) as session:
        row = event_by_id(session, prescription_id)
        patient_id = row.patient_id if row is not None else None
        record_audit(session, call, "dispense.refused", patient_id=patient_id, detail=codes)
