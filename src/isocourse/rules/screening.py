"""Screening before and during a course: contraindications, cautions, indication."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from isocourse.assessment import Alert, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import age_on, is_first_prescription


def assess_screening(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    alerts = [
        *_conditions(record, knowledge),
        *_hypersensitivity(record, knowledge),
        *_age(record, knowledge, as_of),
        *_unknown_codes(record, knowledge),
        *_indication(record, knowledge),
    ]
    return Findings(alerts=tuple(alerts))


def _conditions(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    """Each known condition raises the screening code the catalogue gives it."""
    by_code: dict[str, list[str]] = defaultdict(list)
    severities: dict[str, str] = {}
    for code in dict.fromkeys(record.patient.conditions):
        entry = knowledge.conditions.conditions.get(code)
        if entry is None or entry.alert is None:
            continue
        by_code[entry.alert].append(entry.label)
        if record.programme in entry.severity_by_programme:
            severities[entry.alert] = entry.severity_by_programme[record.programme]
    return [
        raise_alert(
            knowledge,
            code,
            severity=severities.get(code),  # type: ignore[arg-type]
            conditions=", ".join(labels),
        )
        for code, labels in by_code.items()
    ]


def _hypersensitivity(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    """An allergy to the drug, to an excipient of the product, or one that cross-reacts.

    The product's excipient allergens are the union over the labels it cites. A
    cross-reaction (peanut with soya oil under the EU/UK product information) applies
    under the programmes the knowledge lists for it.
    """
    product = knowledge.products.products[record.course.product]
    conditions = knowledge.conditions
    allergies = set(record.patient.allergies)
    named = set(conditions.drug_allergies) | set(product.excipient_allergens)
    reasons = [
        f"{conditions.allergies[code].label}: {product.name} is or contains it"
        for code in sorted(named & allergies)
    ]
    reasons += [
        f"{conditions.allergies[reaction.allergy].label}: {reaction.reason}"
        for reaction in conditions.cross_reactions_for(
            product.excipient_allergens, record.programme
        )
        if reaction.allergy in allergies and reaction.allergy not in named
    ]
    if not reasons:
        return []
    return [
        raise_alert(
            knowledge, "SCREEN_HYPERSENSITIVITY", allergens="; ".join(reasons), product=product.name
        )
    ]


def _age(record: CourseRecord, knowledge: Knowledge, as_of: date) -> list[Alert]:
    age = age_on(record.patient.birth_date, as_of)
    if age < knowledge.course.minimum_age_years.value:
        return [raise_alert(knowledge, "SCREEN_UNDER_12", age=age)]
    return []


def _unknown_codes(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    unknown = [c for c in record.patient.conditions if c not in knowledge.conditions.conditions]
    unknown += [a for a in record.patient.allergies if a not in knowledge.conditions.allergies]
    if not unknown:
        return []
    return [raise_alert(knowledge, "SCREEN_UNKNOWN_CONDITION", codes=", ".join(unknown))]


def _indication(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    indication = record.course.indication
    if indication is None:
        if is_first_prescription(record):
            return [raise_alert(knowledge, "SCREEN_INDICATION_UNDOCUMENTED")]
        return []
    on_label = (
        indication.acne == "severe_nodular" and "oral_antibiotic" in indication.failed_treatments
    )
    if on_label:
        return []
    acne = indication.acne.replace("_", " ")
    return [raise_alert(knowledge, "SCREEN_INDICATION_OFF_LABEL", acne=acne)]
