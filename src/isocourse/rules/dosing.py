"""Dosing and cumulative dose: mg/kg/day checks, the running total and its projection.

Definitions (docs/course-record.md): a dose period counts every calendar day
from ``start`` through ``end`` (or ``as_of``), both included; missed doses on or
before ``as_of`` are subtracted; each day's mg is divided by the weight that
applied that day (the latest on or before it, else the earliest).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from isocourse.assessment import Alert, Cumulative, DoseSummary, Due, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.products import Product
from isocourse.record import CourseRecord, DosePeriod
from isocourse.rules.alerting import raise_alert
from isocourse.rules.capsule_plan import is_composable, nearest_composable
from isocourse.rules.course_facts import in_treatment, last_dose_day, latest_weight, weight_in_kg


@dataclass(frozen=True)
class DoseState:
    weight_kg: float | None
    dose: DoseSummary
    cumulative: Cumulative


@dataclass(frozen=True)
class CumulativeDose:
    mg: float
    mg_per_kg: float | None


class _WeightTimeline:
    """The weight that applied on each day, answered by bisection."""

    def __init__(self, record: CourseRecord, knowledge: Knowledge) -> None:
        ordered = sorted(record.weights, key=lambda w: w.date)
        self.days = [w.date for w in ordered]
        self.kg = [weight_in_kg(w, knowledge) for w in ordered]

    def on(self, day: date) -> float:
        index = bisect.bisect_right(self.days, day) - 1
        return self.kg[max(index, 0)]

    def changes_within(self, first: date, last: date) -> list[date]:
        return [d for d in self.days if first < d <= last]


def cumulative_dose(record: CourseRecord, knowledge: Knowledge, as_of: date) -> CumulativeDose:
    """Total mg and mg/kg taken up to and including ``as_of``."""
    weights = _WeightTimeline(record, knowledge) if record.weights else None
    total_mg = 0.0
    total_mg_per_kg = 0.0
    for period in record.doses:
        last = min(period.end or as_of, as_of)
        if last < period.start:
            continue
        total_mg += period.mg_per_day * ((last - period.start).days + 1)
        if weights is not None:
            total_mg_per_kg += _period_mg_per_kg(period, last, weights)
    for day, missed_mg in missed_mg_by_day(record, as_of).items():
        total_mg -= missed_mg
        if weights is not None:
            total_mg_per_kg -= missed_mg / weights.on(day)
    # a weight so small that mg/kg overflows (1e-320 kg) leaves mg/kg untold, not infinite
    told = weights is not None and math.isfinite(total_mg_per_kg)
    return CumulativeDose(
        mg=max(total_mg, 0.0),
        mg_per_kg=max(total_mg_per_kg, 0.0) if told else None,
    )


def missed_mg_by_day(record: CourseRecord, as_of: date) -> dict[date, float]:
    """The mg missed on each day up to ``as_of``. The entries of one day count once: the
    largest of them, at most the dose scheduled that day (the same miss reported twice,
    by the patient and by the clinic say, subtracts once; a morning and an evening miss
    are one entry of the day's whole dose)."""
    reported: dict[date, float] = {}
    for missed in record.missed_doses:
        if missed.date <= as_of:
            reported[missed.date] = max(reported.get(missed.date, 0.0), missed.mg)
    return {
        day: min(mg, _scheduled_mg(record.doses, day, as_of)) for day, mg in reported.items()
    }


def _period_mg_per_kg(period: DosePeriod, last: date, weights: _WeightTimeline) -> float:
    """Split the period where the weight changes; each stretch at its own weight."""
    total = 0.0
    stretch_start = period.start
    for change in [*weights.changes_within(period.start, last), last + timedelta(days=1)]:
        days = (change - stretch_start).days
        total += period.mg_per_day * days / weights.on(stretch_start)
        stretch_start = change
    return total


def _scheduled_mg(periods: tuple[DosePeriod, ...], day: date, as_of: date) -> float:
    return sum(p.mg_per_day for p in periods if p.start <= day <= min(p.end or as_of, as_of))


def current_mg_per_day(record: CourseRecord, as_of: date) -> float | None:
    """The dose of the period covering ``as_of``, else of the proposed prescription."""
    covering = [p for p in record.doses if p.start <= as_of and (p.end is None or p.end >= as_of)]
    if covering:
        return max(covering, key=lambda p: p.start).mg_per_day
    proposed = record.proposed_prescription
    return proposed.mg_per_day if proposed is not None else None


def days_on_treatment(record: CourseRecord, as_of: date) -> int:
    start = record.course.start_date
    if start is None or as_of < start:
        return 0
    end = last_dose_day(record)
    through = end if end is not None and end < as_of else as_of
    return max(0, (through - start).days + 1)


def target_mg_per_kg(record: CourseRecord, knowledge: Knowledge) -> float:
    chosen = record.course.target_mg_per_kg
    return chosen if chosen is not None else knowledge.course.target_mg_per_kg.value


def summarise(record: CourseRecord, knowledge: Knowledge, as_of: date) -> DoseState:
    """The dose and cumulative parts of the assessment."""
    weight = latest_weight(record, as_of)
    weight_kg = round(weight_in_kg(weight, knowledge), 2) if weight is not None else None
    exact_weight = weight_in_kg(weight, knowledge) if weight is not None else None
    mg_per_day = current_mg_per_day(record, as_of)
    total = cumulative_dose(record, knowledge, as_of)
    target = target_mg_per_kg(record, knowledge)
    return DoseState(
        weight_kg=weight_kg,
        dose=DoseSummary(
            mg_per_day=mg_per_day,
            mg_per_kg_per_day=_ratio(mg_per_day, exact_weight),
        ),
        cumulative=Cumulative(
            mg=round(total.mg, 2),
            mg_per_kg=round(total.mg_per_kg, 2) if total.mg_per_kg is not None else None,
            target_mg_per_kg=target,
            fraction=_ratio(total.mg_per_kg, target),
            days_on_treatment=days_on_treatment(record, as_of),
            projected_completion=_projection(total, target, exact_weight, mg_per_day, as_of),
        ),
    )


def _ratio(mg: float | None, weight_kg: float | None) -> float | None:
    """``mg / weight_kg`` to 2 decimals; None when either is missing or the quotient is
    too large to be a number (an odd weight of 1e-320 kg)."""
    if mg is None or weight_kg is None:
        return None
    ratio = mg / weight_kg
    return round(ratio, 2) if math.isfinite(ratio) else None


def _projection(
    total: CumulativeDose,
    target: float,
    weight_kg: float | None,
    mg_per_day: float | None,
    as_of: date,
) -> date | None:
    """Remaining mg = (target - cumulative mg/kg) x latest weight, to the mg.
    None too when the day cannot be told: numbers too far out to count (a weight of
    1e-320 kg, a target of 1e300 mg/kg) or a day past the end of the calendar (a dose
    of 0.0000001 mg a day); such a record is odd, and the assessment must still be given."""
    if total.mg_per_kg is None or weight_kg is None:
        return None
    remaining = (target - total.mg_per_kg) * weight_kg
    if math.isnan(remaining):
        return None
    if round(remaining, 0) <= 0:
        return as_of
    if not mg_per_day:
        return None
    days = math.ceil(round(remaining, 0) / mg_per_day) if math.isfinite(remaining) else None
    if days is None or days > (date.max - as_of).days:
        return None
    return as_of + timedelta(days=days)


def assess_dosing(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    alerts = [
        *_weight_alerts(record, knowledge, as_of),
        *_dose_alerts(record, knowledge, as_of),
        *_course_alerts(record, knowledge, as_of),
    ]
    return Findings(alerts=tuple(alerts), due=_next_weight(record, knowledge, as_of))


def _next_weight(record: CourseRecord, knowledge: Knowledge, as_of: date) -> tuple[Due, ...]:
    """While dosing goes on, the weight is due again when it would become stale."""
    if not in_treatment(record, as_of) and record.proposed_prescription is None:
        return ()
    weight = latest_weight(record, as_of)
    stale_days = int(knowledge.course.weight_stale_days.value)
    due = as_of if weight is None else weight.date + timedelta(days=stale_days)
    return (Due(task="weight", due=due, overdue=as_of > due),)


def _weight_alerts(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Alert]:
    dosing_recorded = bool(record.doses or record.prescriptions or record.proposed_prescription)
    if not record.weights:
        return [raise_alert(knowledge, "DOSE_WEIGHT_MISSING")] if dosing_recorded else []
    weight = latest_weight(record, as_of)
    assert weight is not None  # weights exist
    age_days = (as_of - weight.date).days
    if age_days > knowledge.course.weight_stale_days.value:
        return [
            raise_alert(
                knowledge, "DOSE_WEIGHT_STALE", weight_date=weight.date.isoformat(), days=age_days
            )
        ]
    return []


def _dose_alerts(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Alert]:
    weight = latest_weight(record, as_of)
    if weight is None:
        return []
    weight_kg = weight_in_kg(weight, knowledge)
    product = knowledge.products.products[record.course.product]
    covering = [p for p in record.doses if p.start <= as_of and (p.end is None or p.end >= as_of)]
    doses: list[tuple[str, float]] = []
    if covering:
        doses.append(("Current", max(covering, key=lambda p: p.start).mg_per_day))
    proposed = record.proposed_prescription
    if proposed is not None and proposed.mg_per_day is not None:
        doses.append(("Proposed", proposed.mg_per_day))
    alerts: dict[str, Alert] = {}
    for which, mg_per_day in doses:
        for alert in _one_dose(which, mg_per_day, weight_kg, product, knowledge):
            alerts.setdefault(alert.code, alert)
    return list(alerts.values())


def _one_dose(
    which: str, mg_per_day: float, weight_kg: float, product: Product, knowledge: Knowledge
) -> list[Alert]:
    mg_per_kg = mg_per_day / weight_kg
    details: dict[str, Any] = {
        "which": which,
        "mg_per_kg_per_day": f"{mg_per_kg:.2f}",
        "product": product.name,
        "low": f"{product.dose_low_mg_per_kg:g}",
        "high": f"{product.dose_high_mg_per_kg:g}",
        "maximum": f"{product.dose_max_mg_per_kg:g}",
    }
    alerts = []
    if mg_per_kg > product.dose_max_mg_per_kg:
        alerts.append(raise_alert(knowledge, "DOSE_ABOVE_MAXIMUM", **details))
    elif mg_per_kg > product.dose_high_mg_per_kg:
        alerts.append(raise_alert(knowledge, "DOSE_ABOVE_RANGE", **details))
    elif mg_per_kg < product.dose_low_mg_per_kg:
        alerts.append(raise_alert(knowledge, "DOSE_BELOW_RANGE", **details))
    if not is_composable(mg_per_day, product):
        strengths = ", ".join(f"{s:g}" for s in product.strengths_mg)
        nearest = nearest_composable(mg_per_day, product)
        alerts.append(
            raise_alert(
                knowledge,
                "DOSE_NOT_COMPOSABLE",
                which=which,
                mg_per_day=f"{mg_per_day:g}",
                product=product.name,
                strengths=strengths,
                nearest=f"{nearest:g}",
            )
        )
    return alerts


def _course_alerts(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Alert]:
    alerts = []
    total = cumulative_dose(record, knowledge, as_of)
    target = target_mg_per_kg(record, knowledge)
    if total.mg_per_kg is not None and total.mg_per_kg >= target:
        alerts.append(
            raise_alert(
                knowledge,
                "CUMULATIVE_TARGET_REACHED",
                mg_per_kg=f"{total.mg_per_kg:.1f}",
                target=f"{target:g}",
            )
        )
    start = record.course.start_date
    if start is not None and in_treatment(record, as_of):
        days = (as_of - start).days
        if days > knowledge.course.usual_course_days.value:
            alerts.append(raise_alert(knowledge, "COURSE_LONGER_THAN_USUAL", days=days))
    alerts.extend(_second_course(record, knowledge))
    return alerts


def _second_course(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    previous_end = record.course.previous_course_end
    if previous_end is None:
        return []
    start = record.course.start_date
    if start is None and record.proposed_prescription is not None:
        start = record.proposed_prescription.date
    if start is None:
        return []
    minimum = int(knowledge.course.second_course_gap_days.value)
    gap = (start - previous_end).days
    if gap >= minimum:
        return []
    earliest = previous_end + timedelta(days=minimum)
    return [
        raise_alert(
            knowledge,
            "SECOND_COURSE_TOO_SOON",
            gap=gap,
            minimum=minimum,
            earliest=earliest.isoformat(),
        )
    ]
