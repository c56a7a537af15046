"""A patient's daily dose check-in: taken (a note in the log) or missed (a missed dose)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from isocourse.errors import Conflict, InvalidInput
from isocourse.rules.capsule_plan import daily_doses
from isocourse.rules.dosing import current_mg_per_day
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role, source_of
from isocourse.service.patients import folded_document, patient_for, record_from_document
from isocourse.service.unit_of_work import fingerprint, write_once
from isocourse.store.event_log import append_event

MISSED_PARTS = ("morning", "evening", "both")


@dataclass(frozen=True)
class CheckIn:
    """Today's check-in as recorded: ``dose_check_in`` (taken) or ``missed_dose``."""

    kind: str
    entry: dict[str, Any]


def check_in_dose(
    system: ClinicSystem, call: Call, patient_id: str, *, taken: bool, missed: str = "both"
) -> CheckIn:
    """Record today's check-in; a missed dose subtracts the capsules not taken."""
    require_role(call.actor, "patient", "prescriber")
    if missed not in MISSED_PARTS:
        raise InvalidInput("missed", f"one of {', '.join(MISSED_PARTS)}")

    def work(session: Session) -> CheckIn:
        patient_for(session, call.actor, patient_id)
        day = call.today.isoformat()
        if taken:
            kind, payload = "dose_check_in", {"date": day, "taken": True}
        else:
            kind, payload = (
                "missed_dose",
                {"date": day, "mg": _missed_mg(system, call, session, patient_id, missed)},
            )
        append_event(
            session,
            patient_id=patient_id,
            kind=kind,
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            source=source_of(call.actor),
        )
        record_audit(session, call, f"event.record.{kind}", patient_id=patient_id)
        return CheckIn(kind, payload)

    key = fingerprint("check_in", patient_id, call.today.isoformat(), taken, missed)
    return write_once(system, call, key, work, CheckIn)


def _missed_mg(
    system: ClinicSystem, call: Call, session: Session, patient_id: str, missed: str
) -> float:
    """The mg not taken: the morning or evening part of today's dose, or all of it."""
    document = folded_document(session, patient_id, call.today)
    if any(entry["date"] == call.today.isoformat() for entry in document["missed_doses"]):
        raise Conflict("a missed dose is already recorded for today: ask your clinic to change it")
    record = record_from_document(document, system.knowledge, call.today)
    mg_per_day = current_mg_per_day(record, call.today)
    if not mg_per_day:
        raise InvalidInput("missed", "no dose is recorded for today: tell your clinic")
    if missed == "both":
        return mg_per_day
    product = system.knowledge.products.products[record.course.product]
    split = daily_doses(product.strengths_mg).get(mg_per_day)
    if split is None:  # a dose the capsules cannot make: the clinic must say how it is split
        raise InvalidInput(
            "missed",
            "your dose has no standard morning/evening split: choose 'both' or ask your clinic",
        )
    morning, evening = split
    return float(sum(morning if missed == "morning" else evening))
