"""Prescribe: the record is re-evaluated on the server with the new prescription proposed;
a blocking alert refuses it (and the refusal is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from isocourse.assessment_json import assessment_to_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.decisions import assess_closed, decision_json, refuse_unless_allowed
from isocourse.service.errors import Refused
from isocourse.service.patients import (
    audited_record,
    folded_document,
    patient_for,
    record_from_document,
)
from isocourse.service.unit_of_work import Answer, fingerprint, unit_of_work, write_once
from isocourse.store.event_log import append_event


@dataclass(frozen=True)
class PrescriptionOrder:
    days_supply: int
    mg_per_day: float


def prescribe(
    system: ClinicSystem, call: Call, patient_id: str, order: PrescriptionOrder
) -> Answer:
    require_role(call.actor, "prescriber")
    payload = _proposal(call, order)

    def work(session: Session) -> Answer:
        patient_for(session, call.actor, patient_id)
        document = folded_document(session, patient_id, call.today)
        document["proposed_prescription"] = payload
        assessment = assess_closed(
            record_from_document(document, system.knowledge, call.today), system.knowledge
        )
        refuse_unless_allowed(assessment, "prescription")
        row = append_event(
            session,
            patient_id=patient_id,
            kind="prescription",
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
        )
        record_audit(session, call, "prescription.issue", patient_id=patient_id, detail=row.id)
        return {"prescription_id": row.id, "prescription": payload, **decision_json(assessment)}

    try:
        return write_once(system, call, fingerprint("prescribe", patient_id, payload), work)
    except Refused as refusal:
        _audit_refusal(system, call, patient_id, refusal)
        raise


def _audit_refusal(system: ClinicSystem, call: Call, patient_id: str, refusal: Refused) -> None:
    codes = ",".join(reason.code for reason in refusal.blocking)
    with unit_of_work(system) as session:
        record_audit(session, call, "prescription.refused", patient_id=patient_id, detail=codes)


def check_prescription(
    system: ClinicSystem, call: Call, patient_id: str, order: PrescriptionOrder
) -> Answer:
    """The rule check a prescription would meet today, without issuing it (audited as a read)."""
    require_role(call.actor, "prescriber")
    payload = _proposal(call, order)
    record = audited_record(
        system, call, patient_id, call.today, "prescription.check", proposed=payload
    )
    return assessment_to_json(assess_closed(record, system.knowledge))


def _proposal(call: Call, order: PrescriptionOrder) -> dict[str, Any]:
    """The prescription as the course record states it: written today."""
    return {
        "date": call.today.isoformat(),
        "days_supply": order.days_supply,
        "mg_per_day": order.mg_per_day,
    }
