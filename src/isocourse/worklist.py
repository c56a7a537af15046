"""Order patients by what needs action today (pure: assessments in, ordered rows out).

Stop and urgent first, then blocked prescriptions, then overdue and due tasks,
then windows closing soon, then the rest (issue 5's work-list order). Within a tier,
what the patient reported most recently (a symptom, a mood screen) comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from isocourse.assessment import Alert, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.words import staff_date, task


@dataclass(frozen=True)
class WorklistRow:
    patient_id: str
    rank: tuple[int, int, int]
    reason: str
    assessment: Assessment


_TIERS = ("stop", "urgent", "block", "overdue", "window", "warning", "clear")


def worklist(
    assessments: Iterable[Assessment], today: date, titles: Mapping[str, str] | None = None
) -> list[WorklistRow]:
    """Rows most urgent first; ``titles`` (code -> a few plain words) words the reasons."""
    rows = [_row(assessment, today, titles or {}) for assessment in assessments]
    return sorted(rows, key=lambda row: (row.rank, row.patient_id))


def _row(assessment: Assessment, today: date, titles: Mapping[str, str]) -> WorklistRow:
    tier, detail = _tier(assessment, today, titles)
    reported = [a.since.toordinal() for a in assessment.alerts if a.since and a.severity == tier]
    newest_first = -max(reported, default=0)
    count = -len(assessment.alerts)
    rank = (_TIERS.index(tier), newest_first, count)
    return WorklistRow(assessment.patient_id, rank, detail, assessment)


def _words(alerts: list[Alert], titles: Mapping[str, str]) -> str:
    """Each alert's title, with the record's own words where a person must read them
    (an unrecognised medication or symptom: "needs a clinician's review: 'Avidoxy'")."""
    return ", ".join(
        titles.get(alert.code, alert.code) + (f": {alert.subject}" if alert.subject else "")
        for alert in alerts
    )


def _tier(assessment: Assessment, today: date, titles: Mapping[str, str]) -> tuple[str, str]:
    for severity in ("stop", "urgent", "block"):
        alerts = [a for a in assessment.alerts if a.severity == severity]
        if alerts:
            return severity, f"{severity}: " + _words(alerts, titles)
    overdue = [d for d in assessment.due if d.overdue]
    if overdue:
        return "overdue", "overdue: " + ", ".join(task(d.task) for d in overdue)
    closes = assessment.dispense.window_closes
    if closes is not None and (closes - today).days <= 2:
        return "window", f"dispense window closes {staff_date(closes)}"
    warnings = [a for a in assessment.alerts if a.severity == "warning"]
    if warnings:
        return "warning", "warning: " + _words(warnings, titles)
    due = [d for d in assessment.due if d.due <= today]
    if due:
        return "overdue", "due today: " + ", ".join(task(d.task) for d in due)
    return "clear", "nothing to act on"


def alert_titles(knowledge: Knowledge) -> dict[str, str]:
    """Each alert code's few plain words, from the catalogue."""
    return {code: definition.title for code, definition in knowledge.alerts.items()}
