"""The one entry point of the clinical core: ``assess(record, knowledge, as_of=...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from isocourse.assessment import SEVERITIES, Alert, Assessment, DispenseDecision, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.rules import (
    dosing,
    interactions,
    labs,
    mood,
    programme,
    response,
    screening,
    supply,
)
from isocourse.rules import symptoms as symptom_rules

Concern = Callable[[CourseRecord, Knowledge, date], Findings]

CONCERNS: tuple[Concern, ...] = (
    screening.assess_screening,
    dosing.assess_dosing,
    response.assess_response,
    programme.assess_programme,
    labs.assess_labs,
    interactions.assess_interactions,
    mood.assess_mood,
    symptom_rules.assess_symptoms,
    supply.assess_supply,
)

_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def assess(record: CourseRecord, knowledge: Knowledge, *, as_of: date) -> Assessment:
    """Evaluate one course record on ``as_of``. Pure: same input, same answer."""
    found = [concern(record, knowledge, as_of) for concern in CONCERNS]
    alerts = _ordered(alert for findings in found for alert in findings.alerts)
    blocking = tuple(sorted({alert.code for alert in alerts if alert.blocks}))
    allowed = not blocking
    window_closes = next((f.window_closes for f in found if f.window_closes is not None), None)
    summary = dosing.summarise(record, knowledge, as_of)
    return Assessment(
        as_of=as_of,
        patient_id=record.patient.id,
        weight_kg=summary.weight_kg,
        dose=summary.dose,
        cumulative=summary.cumulative,
        dispense=DispenseDecision(
            allowed=allowed,
            blocking=blocking,
            window_closes=window_closes if allowed else None,
        ),
        alerts=alerts,
        due=tuple(sorted((d for f in found for d in f.due), key=lambda d: (d.due, d.task))),
        checks=tuple(
            replace(check, source=knowledge.references.cite(check.source))
            for f in found
            for check in f.checks
        ),
    )


def _ordered(alerts: object) -> tuple[Alert, ...]:
    unique: dict[str, Alert] = {}
    for alert in alerts:  # type: ignore[attr-defined]
        kept = unique.get(alert.code)
        if kept is None or _SEVERITY_RANK[alert.severity] > _SEVERITY_RANK[kept.severity]:
            unique[alert.code] = alert
    return tuple(sorted(unique.values(), key=lambda a: (-_SEVERITY_RANK[a.severity], a.code)))
