"""The assessment: the clinical core's answer for one record on one day.

Format ``isocourse.assessment/1`` (see docs/course-record.md). Frozen values; a
finding is data (an :class:`Alert`), never an exception. The JSON form is written and
read at the edge, by :mod:`isocourse.assessment_json` (the core stays free of pydantic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

ASSESSMENT_FORMAT = "isocourse.assessment/1"

Severity = Literal["info", "warning", "block", "urgent", "stop"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "block", "urgent", "stop")
BLOCKING_SEVERITIES: frozenset[str] = frozenset({"block", "stop"})


@dataclass(frozen=True)
class Alert:
    """A finding. ``since``: the day of the entry that raised it, where one did (a symptom,
    a mood screen), so that what the patient reported most recently can be seen first.
    ``subject``: see below."""

    code: str
    severity: Severity
    message: str
    source: str
    since: date | None = None
    #: the record's own words the alert is about, where a person must read them (an
    #: unrecognised medication name or symptom text): the work-list shows them
    subject: str | None = None

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
