"""Order patients by what needs action today (pure: assessments in, ordered rows out).

Stop and urgent first, then blocked prescriptions, then overdue and due tasks,
then windows closing soon, then the rest (issue 5's work-list order). Within a tier,
what the patient reported most recently (a symptom, a mood screen) comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from isocourse.assessment import Alert, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.words import staff_date, task


class Tier(StrEnum):
    """How urgent a patient is today, most urgent first (the work-list's order)."""

    STOP = "stop"
    URGENT = "urgent"
    BLOCK = "block"
    OVERDUE = "overdue"
    WINDOW = "window"
    WARNING = "warning"
    CLEAR = "clear"

    @property
    def words(self) -> str:
        """The tier in a few plain words (the work-list's filter)."""
        return _TIER_WORDS[self]


_TIER_WORDS = {
    Tier.STOP: "stop now",
    Tier.URGENT: "urgent",
    Tier.BLOCK: "blocked prescription",
    Tier.OVERDUE: "due or overdue",
    Tier.WINDOW: "window closing",
    Tier.WARNING: "warning",
    Tier.CLEAR: "nothing to act on",
}
_ORDER = tuple(Tier)


@dataclass(frozen=True)
class RankedAssessment:
    """An assessment in its place on the work-list (the service's
    :class:`~isocourse.service.views.WorklistRow` adds who the patient is here)."""

    #: the record's own patient id
    patient_id: str
    rank: tuple[int, int, int]
    tier: Tier
    #: what needs action, in words, after the tier's own word ("stop: ...")
    reason: str
    #: the reason's words without that leading word (the page shows the tier beside it)
    detail: str
    assessment: Assessment


def worklist(
    assessments: Iterable[Assessment], today: date, titles: Mapping[str, str] | None = None
) -> list[RankedAssessment]:
    """Rows most urgent first; ``titles`` (code -> a few plain words) words the reasons."""
    rows = [_row(assessment, today, titles or {}) for assessment in assessments]
    return sorted(rows, key=lambda row: (row.rank, row.patient_id))


def _row(assessment: Assessment, today: date, titles: Mapping[str, str]) -> RankedAssessment:
    tier, lead, detail = _tier(assessment, today, titles)
    reported = [a.since.toordinal() for a in assessment.alerts if a.since and a.severity == tier]
    newest_first = -max(reported, default=0)
    count = -len(assessment.alerts)
    rank = (_ORDER.index(tier), newest_first, count)
    reason = f"{lead}: {detail}" if lead else detail
    return RankedAssessment(assessment.patient_id, rank, tier, reason, detail, assessment)


def _words(alerts: list[Alert], titles: Mapping[str, str]) -> str:
    """Each alert's title, with the record's own words where a person must read them
    (an unrecognised medication or symptom: "needs a clinician's review: 'Avidoxy'")."""
    return ", ".join(
        titles.get(alert.code, alert.code) + (f": {alert.subject}" if alert.subject else "")
        for alert in alerts
    )


def _tier(
    assessment: Assessment, today: date, titles: Mapping[str, str]
) -> tuple[Tier, str, str]:
    """The tier, the reason's leading word (none for a closing window or a clear row)
    and the reason's words."""
    for tier in (Tier.STOP, Tier.URGENT, Tier.BLOCK):
        alerts = [a for a in assessment.alerts if a.severity == tier]
        if alerts:
            return tier, str(tier), _words(alerts, titles)
    overdue = [d for d in assessment.due if d.overdue]
    if overdue:
        return Tier.OVERDUE, "overdue", ", ".join(task(d.task) for d in overdue)
    closes = assessment.dispense.window_closes
    if closes is not None and (closes - today).days <= 2:
        return Tier.WINDOW, "", f"dispense window closes {staff_date(closes)}"
    warnings = [a for a in assessment.alerts if a.severity == "warning"]
    if warnings:
        return Tier.WARNING, "warning", _words(warnings, titles)
    due = [d for d in assessment.due if d.due <= today]
    if due:
        return Tier.OVERDUE, "due today", ", ".join(task(d.task) for d in due)
    return Tier.CLEAR, "", "nothing to act on"


def alert_titles(knowledge: Knowledge) -> dict[str, str]:
    """Each alert code's few plain words, from the catalogue."""
    return {code: definition.title for code, definition in knowledge.alerts.items()}
