"""The assessment's JSON form (``isocourse.assessment/1``) read back into its values.

The inverse of :meth:`Assessment.to_json` without ``explain`` (the checks are not
stored, and an assessment compares equal without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from isocourse.assessment import (
    Alert,
    Assessment,
    Cumulative,
    DispenseDecision,
    DoseSummary,
    Due,
)


def assessment_from_json(document: Mapping[str, Any]) -> Assessment:
    dose, cumulative, dispense = document["dose"], document["cumulative"], document["dispense"]
    return Assessment(
        as_of=date.fromisoformat(document["as_of"]),
        patient_id=document["patient_id"],
        weight_kg=document["weight_kg"],
        dose=DoseSummary(dose["mg_per_day"], dose["mg_per_kg_per_day"]),
        cumulative=Cumulative(
            mg=cumulative["mg"],
            mg_per_kg=cumulative["mg_per_kg"],
            target_mg_per_kg=cumulative["target_mg_per_kg"],
            fraction=cumulative["fraction"],
            days_on_treatment=cumulative["days_on_treatment"],
            projected_completion=_day(cumulative["projected_completion"]),
        ),
        dispense=DispenseDecision(
            allowed=dispense["allowed"],
            blocking=tuple(dispense["blocking"]),
            window_closes=_day(dispense["window_closes"]),
        ),
        alerts=tuple(
            Alert(a["code"], a["severity"], a["message"], a["source"]) for a in document["alerts"]
        ),
        due=tuple(
            Due(d["task"], date.fromisoformat(d["due"]), d["overdue"]) for d in document["due"]
        ),
    )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None
