"""The alert-code catalogue: code, severity, plain-words message and source."""

from __future__ import annotations

from dataclasses import dataclass

from isocourse.assessment import Severity


@dataclass(frozen=True)
class AlertDefinition:
    """One alert code.

    ``message`` says in plain words what was found and what to do; it may name
    ``{placeholders}`` that the rule fills in (a value, a date, a drug).
    """

    __pydantic_config__ = {"extra": "forbid"}
    code: str
    concern: str
    severity: Severity
    title: str
    message: str
    source: str
