"""The assessment: the clinical core's answer for one record on one day.

Format ``isocourse.assessment/1`` (see ``course-record.md``). Frozen values; a
finding is data (an :class:`Alert`), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ASSESSMENT_FORMAT = "isocourse.assessment/1"

Severity = Literal["info", "warning", "block", "urgent", "stop"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "block", "urgent", "stop")
BLOCKING_SEVERITIES: frozenset[str] = frozenset({"block", "stop"})


@dataclass(frozen=True)
class Alert:
    """A finding. ``since``: the day of the entry that raised it, where one did (a symptom,
    a mood screen), so that what the patient reported most recently can be seen first."""

    code: str
    severity: Severity
    message: str
    source: str
    since: date | None = None

    @property
    def blocks(self) -> bool:
        return self.severity in BLOCKING_SEVERITIES


@dataclass(frozen=True)
class Due:
    task: str
    due: date
    overdue: bool


@dataclass(frozen=True)
class Check:
    """One programme condition, whether it holds, and the records it rests on."""

    condition: str
    holds: bool
    evidence: str
    source: str = ""


@dataclass(frozen=True)
class Findings:
    """What one rules module found. The top-level ``assess`` merges them."""

    alerts: tuple[Alert, ...] = ()
    due: tuple[Due, ...] = ()
    checks: tuple[Check, ...] = ()
    window_closes: date | None = None


@dataclass(frozen=True)
class DoseSummary:
    mg_per_day: float | None
    mg_per_kg_per_day: float | None


@dataclass(frozen=True)
class Cumulative:
    mg: float
    mg_per_kg: float | None
    target_mg_per_kg: float
    fraction: float | None
    days_on_treatment: int
    projected_completion: date | None


@dataclass(frozen=True)
class DispenseDecision:
    allowed: bool
    blocking: tuple[str, ...]
    window_closes: date | None


@dataclass(frozen=True)
class Assessment:
    as_of: date
    patient_id: str
    weight_kg: float | None
    dose: DoseSummary
    cumulative: Cumulative
    dispense: DispenseDecision
    alerts: tuple[Alert, ...]
    due: tuple[Due, ...]
    checks: tuple[Check, ...] = field(default=(), compare=False)

    def to_json(self, *, explain: bool = False) -> dict[str, Any]:
        """The JSON form of the contract (dates as ISO strings)."""
        document: dict[str, Any] = {
            "format": ASSESSMENT_FORMAT,
            "as_of": self.as_of.isoformat(),
            "patient_id": self.patient_id,
            "weight_kg": self.weight_kg,
            "dose": {
                "mg_per_day": _number(self.dose.mg_per_day),
                "mg_per_kg_per_day": self.dose.mg_per_kg_per_day,
            },
            "cumulative": {
                "mg": _number(self.cumulative.mg),
                "mg_per_kg": self.cumulative.mg_per_kg,
                "target_mg_per_kg": _number(self.cumulative.target_mg_per_kg),
                "fraction": self.cumulative.fraction,
                "days_on_treatment": self.cumulative.days_on_treatment,
                "projected_completion": _iso(self.cumulative.projected_completion),
            },
            "dispense": {
                "allowed": self.dispense.allowed,
                "blocking": list(self.dispense.blocking),
                "window_closes": _iso(self.dispense.window_closes),
            },
            "alerts": [_alert_json(alert) for alert in self.alerts],
            "due": [
                {"task": d.task, "due": d.due.isoformat(), "overdue": d.overdue} for d in self.due
            ],
        }
        if explain:
            document["explain"] = [
                {
                    "condition": c.condition,
                    "holds": c.holds,
                    "evidence": c.evidence,
                    "source": c.source,
                }
                for c in self.checks
            ]
        return document


def _alert_json(alert: Alert) -> dict[str, Any]:
    document: dict[str, Any] = {
        "code": alert.code,
        "severity": alert.severity,
        "message": alert.message,
        "source": alert.source,
    }
    if alert.since is not None:
        document["since"] = alert.since.isoformat()
    return document


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _number(value: float | None) -> float | int | None:
    """Whole numbers print as integers (``60``, not ``60.0``), as in the contract."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
