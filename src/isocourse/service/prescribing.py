"""Prescribe: the record is re-evaluated on the server with the new prescription proposed;
a blocking alert refuses it (and the refusal is audited). Cancel: a prescriber ends an
open prescription with a reason (an audited ``prescription_cancelled`` event); the
pharmacy then sees it as cancelled.

One dispensable prescription at a time: while one is open the rules block another
(``PRESCRIPTION_OPEN``), and the refusal names it. Writers are serialised (every
write holds the audit head), so two submits of the same form at once give one
prescription and one refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any, Final

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.errors import BlockingReason, Conflict, InvalidInput, NotFound, Refused
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role, source_of
from isocourse.service.decisions import (
    assess_closed,
    blocking_reasons,
    decision_of,
    refuse_unless_allowed,
)
from isocourse.service.patients import (
    folded_document,
    patient_for,
    record_from_document,
)
from isocourse.service.unit_of_work import fingerprint, unit_of_work, write_once
from isocourse.store.event_log import (
    append_event,
    event_by_id,
    is_retracted,
    prescription_cancellation,
    prescription_filled,
)
from isocourse.store.fold import PRESCRIPTION_CANCELLED
from isocourse.store.tables import EventRow

#: the id a prescription being written goes by while it is judged (no stored event has
#: it), so that an identical prescription written earlier the same day is told apart
NEW_PRESCRIPTION = "new"


#: the longest supply one prescription may give, in days
DAYS_SUPPLY_MAX: Final = 90
#: the highest daily dose a prescription may state, in mg (far above any label's maximum)
MG_PER_DAY_MAX: Final = 400
#: the longest reason a cancellation (or a correction) may give
REASON_MAX: Final = 500


@dataclass(frozen=True)
class PrescriptionOrder:
    """What a prescriber orders: whole days of supply and a daily dose (the bounds are
    checked by :func:`prescription_order`, and by the API's request body alike)."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    days_supply: Annotated[int, Field(ge=1, le=DAYS_SUPPLY_MAX)]
    mg_per_day: Annotated[float, Field(gt=0, le=MG_PER_DAY_MAX, allow_inf_nan=False)]


@cache
def _order_adapter() -> TypeAdapter[PrescriptionOrder]:
    return TypeAdapter(PrescriptionOrder)


def prescription_order(fields: Mapping[str, object]) -> PrescriptionOrder:
    """The order a form's fields state (text is read as numbers), within its bounds (no
    NaN, no 1e300, no 0 days); InvalidInput naming the first field that is not."""
    try:
        return _order_adapter().validate_python(dict(fields))
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        field = str(problem["loc"][0]) if problem["loc"] else "order"
        raise InvalidInput(field, problem["msg"]) from error


@dataclass(frozen=True)
class IssuedPrescription:
    """A prescription written: its id (the pharmacy verifies it by this id and the
    patient's birth date), the prescription as recorded, and the rules' decision on it
    (it may be dispensed from ``window_closes`` back; nothing blocks an issued one)."""

    prescription_id: str
    #: ``date``, ``days_supply`` and ``mg_per_day``, as in the course-record format
    prescription: dict[str, Any]
    allowed: bool
    blocking: tuple[BlockingReason, ...]
    window_closes: date | None


@dataclass(frozen=True)
class Cancellation:
    """An open prescription cancelled, by the event ``event_id``."""

    event_id: str
    prescription_id: str
    #: ``prescription_id``, ``date`` and ``reason``
    cancelled: dict[str, Any]


def prescribe(
    system: ClinicSystem, call: Call, patient_id: str, order: PrescriptionOrder
) -> IssuedPrescription:
    require_role(call.actor, "prescriber")
    payload = _proposal(call, order)

    def work(session: Session) -> IssuedPrescription:
        patient_for(session, call.actor, patient_id)
        document = folded_document(session, patient_id, call.today)
        document["proposed_prescription"] = {**payload, "id": NEW_PRESCRIPTION}
        assessment = assess_closed(
            record_from_document(document, system.knowledge, call.today), system.knowledge
        )
        _refuse_while_open(assessment)
        refuse_unless_allowed(assessment, "prescription")
        row = append_event(
            session,
            patient_id=patient_id,
            kind="prescription",
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            source=source_of(call.actor),
        )
        record_audit(session, call, "prescription.issue", patient_id=patient_id, detail=row.id)
        decision = decision_of(assessment)
        return IssuedPrescription(
            row.id, payload, decision.allowed, decision.blocking, decision.window_closes
        )

    key = fingerprint("prescribe", patient_id, payload)
    try:
        return write_once(system, call, key, work, IssuedPrescription)
    except Refused as refusal:
        _audit_refusal(system, call, patient_id, refusal)
        raise


def _refuse_while_open(assessment: Assessment) -> None:
    """A refusal whose code says what to do first: dispense or cancel the open one."""
    if "PRESCRIPTION_OPEN" not in assessment.dispense.blocking:
        return
    reasons = blocking_reasons(assessment)
    opened = next(reason for reason in reasons if reason.code == "PRESCRIPTION_OPEN")
    raise Refused(opened.message, reasons, code="PRESCRIPTION_OPEN")


def cancel_prescription(
    system: ClinicSystem, call: Call, patient_id: str, prescription_id: str, reason: str
) -> Cancellation:
    """End an open prescription (prescriber): it can no longer be dispensed."""
    require_role(call.actor, "prescriber")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", "say why the prescription is cancelled")
    if len(reason) > REASON_MAX:
        raise InvalidInput("reason", f"at most {REASON_MAX} characters")

    def work(session: Session) -> Cancellation:
        patient_for(session, call.actor, patient_id)
        prescription = _open_prescription(session, patient_id, prescription_id)
        payload = {
            "prescription_id": prescription.id,
            "date": call.today.isoformat(),
            "reason": reason,
        }
        row = append_event(
            session,
            patient_id=patient_id,
            kind=PRESCRIPTION_CANCELLED,
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
        )
        record_audit(
            session, call, "prescription.cancel", patient_id=patient_id, detail=prescription.id
        )
        return Cancellation(row.id, prescription.id, payload)

    key = fingerprint("cancel", patient_id, prescription_id, reason)
    return write_once(system, call, key, work, Cancellation)


def _open_prescription(session: Session, patient_id: str, prescription_id: str) -> EventRow:
    row = event_by_id(session, prescription_id)
    if row is None or row.patient_id != patient_id or row.kind != "prescription":
        raise NotFound("no such prescription in this patient's record")
    if is_retracted(session, row.id):
        raise Conflict("this prescription was marked entered in error", code="ALREADY_CORRECTED")
    if prescription_filled(session, row.id):
        raise Conflict(
            "this prescription has already been dispensed; it cannot be cancelled",
            code="ALREADY_DISPENSED",
        )
    if prescription_cancellation(session, patient_id, row.id) is not None:
        raise Conflict("this prescription is already cancelled", code="ALREADY_CANCELLED")
    return row


def _audit_refusal(system: ClinicSystem, call: Call, patient_id: str, refusal: Refused) -> None:
    codes = ",".join(reason.code for reason in refusal.blocking)
    with unit_of_work(system) as session:
        record_audit(session, call, "prescription.refused", patient_id=patient_id, detail=codes)


def _proposal(call: Call, order: PrescriptionOrder) -> dict[str, Any]:
    """The prescription as the course record states it: written today."""
    return {
        "date": call.today.isoformat(),
        "days_supply": order.days_supply,
        "mg_per_day": order.mg_per_day,
    }
