"""The rule check a prescriber sees before writing a prescription.

The proposed prescription is judged as :func:`~isocourse.service.prescribing.prescribe`
would judge it, and the answer says more than yes or no: the dose in mg/kg/day against
the product's range, every alert the record meets with it (every severity), and what
changes from the current prescription. What changes is found by judging the record a
second time with the current prescription written again today: an alert the proposal
meets and the renewal does not comes with the change (a higher dose, a longer supply).
One audited read (``prescription.check``), nothing written.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date

from isocourse.assessment import SEVERITIES, Alert, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Prescription
from isocourse.rules.course_facts import latest_weight, weight_in_kg
from isocourse.rules.dosing import current_mg_per_day
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.decisions import assess_closed
from isocourse.service.patients import audited_record
from isocourse.service.prescribing import NEW_PRESCRIPTION, PrescriptionOrder


@dataclass(frozen=True)
class DoseRange:
    """The product's usual daily dose range and its maximum, per kg of body weight."""

    product_name: str
    low_mg_per_kg: float
    high_mg_per_kg: float
    max_mg_per_kg: float


@dataclass(frozen=True)
class PrescriptionReview:
    order: PrescriptionOrder
    #: the record assessed today with the order as its proposed prescription
    assessment: Assessment
    weight_kg: float | None
    weighed_on: date | None
    #: the order's dose per kg (None without a weight)
    mg_per_kg_per_day: float | None
    dose_range: DoseRange
    #: the latest prescription written and not cancelled (None: the first of the course)
    current: Prescription | None
    #: the daily dose being taken today (a dose period), if any
    current_mg_per_day: float | None
    #: codes of the alerts that come with the change (none when nothing is current)
    new_codes: frozenset[str]
    #: codes the current prescription renewed would meet and the order does not
    gone_codes: frozenset[str]

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Every alert, the most severe first (stop, urgent, block, warning, info)."""
        rank = {severity: -index for index, severity in enumerate(SEVERITIES)}
        return tuple(sorted(self.assessment.alerts, key=lambda alert: rank[alert.severity]))

    @property
    def position(self) -> str:
        """Where the order's dose lies: below, within, above (the range) or over (the
        maximum); unknown without a weight."""
        dose, limits = self.mg_per_kg_per_day, self.dose_range
        if dose is None:
            return "unknown"
        if dose > limits.max_mg_per_kg:
            return "over"
        if dose > limits.high_mg_per_kg:
            return "above"
        return "below" if dose < limits.low_mg_per_kg else "within"


def review_prescription(
    system: ClinicSystem, call: Call, patient_id: str, order: PrescriptionOrder
) -> PrescriptionReview:
    """The rule check of ``order`` for the patient today, without issuing it."""
    require_role(call.actor, "prescriber")
    proposed = Prescription(
        date=call.today,
        days_supply=order.days_supply,
        mg_per_day=order.mg_per_day,
        id=NEW_PRESCRIPTION,
    )
    record = audited_record(system, call, patient_id, call.today, "prescription.check")
    return _review(record, system.knowledge, order, proposed)


def _review(
    record: CourseRecord, knowledge: Knowledge, order: PrescriptionOrder, proposed: Prescription
) -> PrescriptionReview:
    assessment = _judged(record, knowledge, proposed)
    current = current_prescription(record)
    new_codes, gone_codes = _changed_codes(record, knowledge, assessment, current, proposed)
    weight = latest_weight(record, record.as_of)
    weight_kg = weight_in_kg(weight, knowledge) if weight is not None else None
    product = knowledge.products.products[record.course.product]
    unproposed = dataclasses.replace(record, proposed_prescription=None)
    return PrescriptionReview(
        order=order,
        assessment=assessment,
        weight_kg=weight_kg,
        weighed_on=weight.date if weight is not None else None,
        mg_per_kg_per_day=_per_kg(order.mg_per_day, weight_kg),
        dose_range=DoseRange(
            product.name,
            product.dose_low_mg_per_kg,
            product.dose_high_mg_per_kg,
            product.dose_max_mg_per_kg,
        ),
        current=current,
        current_mg_per_day=current_mg_per_day(unproposed, record.as_of),
        new_codes=new_codes,
        gone_codes=gone_codes,
    )


def _judged(
    record: CourseRecord, knowledge: Knowledge, proposed: Prescription | None
) -> Assessment:
    return assess_closed(dataclasses.replace(record, proposed_prescription=proposed), knowledge)


def _changed_codes(
    record: CourseRecord,
    knowledge: Knowledge,
    assessment: Assessment,
    current: Prescription | None,
    proposed: Prescription,
) -> tuple[frozenset[str], frozenset[str]]:
    """The alert codes the proposal meets and renewing ``current`` would not, and the
    other way round (nothing to compare with when nothing is current)."""
    if current is None:
        return frozenset(), frozenset()
    renewal = dataclasses.replace(
        proposed,
        mg_per_day=current.mg_per_day or proposed.mg_per_day,
        days_supply=current.days_supply,
    )
    before = {alert.code for alert in _judged(record, knowledge, renewal).alerts}
    after = {alert.code for alert in assessment.alerts}
    return frozenset(after - before), frozenset(before - after)


def current_prescription(record: CourseRecord) -> Prescription | None:
    """The latest prescription written (not cancelled) on or before the record's day."""
    written = [
        (p.date, index, p)
        for index, p in enumerate(record.prescriptions)
        if p.cancelled is None and p.date <= record.as_of
    ]
    return max(written, key=lambda found: found[:2])[2] if written else None


def _per_kg(mg: float, weight_kg: float | None) -> float | None:
    """``mg`` per kg, None without a weight or when the quotient is no number."""
    if not weight_kg:
        return None
    ratio = mg / weight_kg
    return ratio if math.isfinite(ratio) else None
