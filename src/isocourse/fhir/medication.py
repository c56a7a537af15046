"""Isotretinoin as FHIR R4: MedicationRequest, MedicationDispense, MedicationStatement.

- each prescription is a MedicationRequest (intent ``order``; status ``cancelled`` once a
  prescriber cancelled it), the proposed one a MedicationRequest with status ``draft``
  and intent ``proposal``;
- each dispense is a MedicationDispense (status ``completed``);
- each dose period is a MedicationStatement with its period and its rate in mg per day,
  each missed dose a MedicationStatement with status ``not-taken``.

The medication is coded with RxNorm's isotretinoin ingredient code (the product
knowledge's ``rxnorm``, with its sources) and named by text (the product's name): a REMS
or interaction service keyed on RxNorm recognises it. A prescription is for a daily dose,
not for one capsule strength, so no clinical-drug (SCD) code is claimed. Each resource
names who recorded it (see :mod:`isocourse.fhir.recorders`):
``MedicationRequest.requester`` (the clinic) or ``reportedReference`` /
``reportedBoolean`` (anyone else), ``MedicationDispense.performer``,
``MedicationStatement.informationSource``, and ``meta``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from isocourse.fhir.codes import RXNORM, UCUM
from isocourse.fhir.ids import Addressing, keyed
from isocourse.fhir.recorders import Recorders, label
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Dispense, DosePeriod, MissedDose, Prescription, Source

Resource = dict[str, Any]


def number(value: float) -> float | int:
    """Whole numbers as integers in JSON (``60``, not ``60.0``)."""
    return int(value) if float(value).is_integer() else value


def ucum_quantity(value: float, code: str | None, unit: str | None = None) -> dict[str, Any]:
    """A Quantity; without a UCUM code it carries the unit as text only."""
    quantity: dict[str, Any] = {"value": number(value), "unit": unit or code}
    if code is not None:
        quantity |= {"system": UCUM, "code": code}
    return quantity


def medication_resources(
    record: CourseRecord, knowledge: Knowledge, at: Addressing, recorders: Recorders
) -> list[Resource]:
    medication = isotretinoin_concept(knowledge, record.course.product)
    resources = [
        _requested(_prescription(p, key, medication, record.as_of, at), p.source, recorders)
        for key, p in keyed(record.prescriptions, lambda p: f"rx|{p.date}")
    ]
    proposed = record.proposed_prescription
    if proposed is not None:
        resources.append(
            _requested(_proposed(proposed, medication, at), proposed.source, recorders)
        )
    resources += [
        _dispensed_by(_dispense(d, key, medication, at), d.source, recorders)
        for key, d in keyed(record.dispenses, _dispense_key)
    ]
    resources += [
        _informed_by(_dose_period(p, key, medication, record.as_of, at), p.source, recorders)
        for key, p in keyed(record.doses, lambda p: f"dose|{p.start}")
    ]
    resources += [
        _informed_by(_missed(m, key, medication, at), m.source, recorders)
        for key, m in keyed(record.missed_doses, lambda m: f"missed|{m.date}")
    ]
    return resources


def isotretinoin_concept(knowledge: Knowledge, product: str) -> dict[str, Any]:
    """The medication: RxNorm's isotretinoin ingredient code, and the product's name."""
    codes = knowledge.products.rxnorm
    coding = {"system": RXNORM, "code": codes.ingredient, "display": codes.ingredient_name}
    return {"coding": [coding], "text": knowledge.products.products[product].name}


def _requested(resource: Resource, source: Source, recorders: Recorders) -> Resource:
    """The clinic's prescription names it as ``requester``; one recorded by anyone else is
    a secondary, reported record (``reportedReference``, or ``reportedBoolean`` when who
    reported it is not known)."""
    who = recorders.reference(source)
    if source == "clinician" and who is not None:
        resource["requester"] = who
    elif who is not None:
        resource["reportedReference"] = who
    else:
        resource["reportedBoolean"] = True
    return label(resource, source)


def _dispensed_by(resource: Resource, source: Source, recorders: Recorders) -> Resource:
    who = recorders.reference(source)
    if who is not None:
        resource["performer"] = [{"actor": who}]
    return label(resource, source)


def _informed_by(resource: Resource, source: Source, recorders: Recorders) -> Resource:
    who = recorders.reference(source)
    if who is not None:
        resource["informationSource"] = who
    return label(resource, source)


def _dispense_key(dispense: Dispense) -> str:
    return f"dispense|{dispense.date}"


def _daily_rate(mg_per_day: float) -> dict[str, Any]:
    return {
        "text": f"{number(mg_per_day)} mg per day",
        "doseAndRate": [
            {
                "rateRatio": {
                    "numerator": ucum_quantity(mg_per_day, "mg"),
                    "denominator": ucum_quantity(1, "d", "day"),
                }
            }
        ],
    }


def _request(
    prescription: Prescription, resource_id: str, medication: dict[str, Any], at: Addressing
) -> Resource:
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": resource_id,
        "medicationCodeableConcept": medication,
        "subject": at.patient_reference,
        "authoredOn": prescription.date.isoformat(),
        "dispenseRequest": {
            "expectedSupplyDuration": ucum_quantity(prescription.days_supply, "d", "days")
        },
    }
    if prescription.mg_per_day is not None:
        resource["dosageInstruction"] = [_daily_rate(prescription.mg_per_day)]
    return resource


def _prescription(
    prescription: Prescription,
    key: str,
    medication: dict[str, Any],
    as_of: date,
    at: Addressing,
) -> Resource:
    resource = _request(prescription, at.resource_id("MedicationRequest", key), medication, at)
    last_day = prescription.date + timedelta(days=prescription.days_supply - 1)
    if prescription.cancelled is not None and prescription.cancelled <= as_of:
        resource["status"] = "cancelled"
    else:
        resource["status"] = "completed" if last_day < as_of else "active"
    resource["intent"] = "order"
    return resource


def proposed_request_id(at: Addressing, proposed: Prescription) -> str:
    return at.resource_id("MedicationRequest", f"proposed|{proposed.date}")


def _proposed(proposed: Prescription, medication: dict[str, Any], at: Addressing) -> Resource:
    resource = _request(proposed, proposed_request_id(at, proposed), medication, at)
    resource["status"] = "draft"
    resource["intent"] = "proposal"
    return resource


def _dispense(dispense: Dispense, key: str, medication: dict[str, Any], at: Addressing) -> Resource:
    return {
        "resourceType": "MedicationDispense",
        "id": at.resource_id("MedicationDispense", key),
        "status": "completed",
        "medicationCodeableConcept": medication,
        "subject": at.patient_reference,
        "daysSupply": ucum_quantity(dispense.days_supply, "d", "days"),
        "whenHandedOver": dispense.date.isoformat(),
    }


def _statement_status(period: DosePeriod, as_of: date) -> str:
    if period.start > as_of:
        return "intended"
    if period.end is None or period.end >= as_of:
        return "active"
    return "completed"


def _dose_period(
    period: DosePeriod, key: str, medication: dict[str, Any], as_of: date, at: Addressing
) -> Resource:
    effective = {"start": period.start.isoformat()}
    if period.end is not None:
        effective["end"] = period.end.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "id": at.resource_id("MedicationStatement", key),
        "status": _statement_status(period, as_of),
        "medicationCodeableConcept": medication,
        "subject": at.patient_reference,
        "effectivePeriod": effective,
        "dosage": [_daily_rate(period.mg_per_day)],
    }


def _missed(missed: MissedDose, key: str, medication: dict[str, Any], at: Addressing) -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "id": at.resource_id("MedicationStatement", key),
        "status": "not-taken",
        "statusReason": [{"text": "missed dose"}],
        "medicationCodeableConcept": medication,
        "subject": at.patient_reference,
        "effectiveDateTime": missed.date.isoformat(),
        "dosage": [
            {
                "text": f"{number(missed.mg)} mg not taken",
                "doseAndRate": [{"doseQuantity": ucum_quantity(missed.mg, "mg")}],
            }
        ],
    }
