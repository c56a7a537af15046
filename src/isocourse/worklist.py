"""Order patients by what needs action today (pure: assessments in, ordered rows out).

Stop and urgent first, then blocked prescriptions, then overdue and due tasks,
then windows closing soon, then the rest (issue 5's work-list order). Within a tier,
what the patient reported most recently (a symptom, a mood screen) comes first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from isocourse.assessment import Assessment


@dataclass(frozen=True)
class WorklistRow:
    patient_id: str
    rank: tuple[int, int, int]
    reason: str
    assessment: Assessment


_TIERS = ("stop", "urgent", "block", "overdue", "window", "warning", "clear")


def worklist(assessments: Iterable[Assessment], today: date) -> list[WorklistRow]:
    rows = [_row(assessment, today) for assessment in assessments]
    return sorted(rows, key=lambda row: (row.rank, row.patient_id))


def _row(assessment: Assessment, today: date) -> WorklistRow:
    tier, detail = _tier(assessment, today)
    reported = [a.since.toordinal() for a in assessment.alerts if a.since and a.severity == tier]
    newest_first = -max(reported, default=0)
    count = -len(assessment.alerts)
    rank = (_TIERS.index(tier), newest_first, count)
    return WorklistRow(assessment.patient_id, rank, detail, assessment)


def _tier(assessment: Assessment, today: date) -> tuple[str, str]:
    for severity in ("stop", "urgent", "block"):
        alerts = [a for a in assessment.alerts if a.severity == severity]
        if alerts:
            return severity, f"{severity}: " + ", ".join(a.code for a in alerts)
    overdue = [d for d in assessment.due if d.overdue]
    if overdue:
        return "overdue", "overdue: " + ", ".join(d.task for d in overdue)
    closes = assessment.dispense.window_closes
    if closes is not None and (closes - today).days <= 2:
        return "window", f"dispense window closes {closes.isoformat()}"
    warnings = [a for a in assessment.alerts if a.severity == "warning"]
    if warnings:
        return "warning", "warning: " + ", ".join(a.code for a in warnings)
    due = [d for d in assessment.due if d.due <= today]
    if due:
        return "overdue", "due today: " + ", ".join(d.task for d in due)
    return "clear", "nothing to act on"
