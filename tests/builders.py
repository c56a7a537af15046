"""Build fictional course records for tests, through the real parser.

``record(**changes)`` starts from a plain, valid record (the example of
docs/course-record.md without its problems) and applies ``changes`` to the JSON:
``record(programme="eu-ppp", medications=[...])``. A dotted key changes a nested
field: ``record(**{"patient.conditions": ["depression"]})``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from isocourse.assessment import Assessment
from isocourse.knowledge.loader import load_knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess

BASE: dict[str, Any] = {
    "format": "isocourse.course/1",
    "as_of": "2026-03-15",
    "programme": "none",
    "patient": {"id": "p-test", "birth_date": "2004-05-01", "can_get_pregnant": False},
    "weights": [{"date": "2026-01-10", "value": 62, "unit": "kg"}],
    "course": {
        "start_date": "2026-01-15",
        "product": "isotretinoin",
        "target_mg_per_kg": 150,
        "indication": {
            "acne": "severe_nodular",
            "failed_treatments": ["oral_antibiotic"],
            "scarring": True,
        },
    },
    "doses": [
        {"start": "2026-01-15", "end": "2026-02-14", "mg_per_day": 40},
        {"start": "2026-02-15", "end": None, "mg_per_day": 60},
    ],
    "labs": [
        {"date": "2026-01-05", "test": "triglycerides", "value": 150, "unit": "mg/dL"},
        {"date": "2026-01-05", "test": "alt", "value": 31, "unit": "U/L", "reference_high": 45},
    ],
    "mood_screens": [{"date": "2026-03-10", "instrument": "phq9", "items": [0] * 9}],
    "counselling": [{"date": "2026-03-10", "kind": "comprehension_confirmed"}],
    "prescriptions": [{"date": "2026-02-14", "days_supply": 30, "mg_per_day": 60}],
    "dispenses": [{"date": "2026-02-15", "days_supply": 30}],
}


def record_json(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    for key, value in changes.items():
        target = document
        *parents, last = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        if value is DELETE:
            target.pop(last, None)
        else:
            target[last] = value
    return document


class _Delete:
    pass


DELETE: Any = _Delete()


def record(**changes: Any) -> CourseRecord:
    return course_record_from_json(
        record_json(**changes), load_knowledge(), today=date(2026, 3, 15)
    )


def evaluate(**changes: Any) -> Assessment:
    course = record(**changes)
    return assess(course, load_knowledge(), as_of=course.as_of)


def codes(assessment: Assessment) -> set[str]:
    return {alert.code for alert in assessment.alerts}


@dataclass(frozen=True)
class AlertCase:
    """One alert code, a record that fires it and a near miss that does not.

    ``fires`` and ``quiet`` are changes to :data:`BASE` (see :func:`record_json`);
    ``quiet`` should be the boundary where one exists (day 8 vs day 7, 18 vs 19).
    ``tests/unit/test_alert_catalogue.py`` gathers every module's ``ALERT_CASES`` and
    fails when a catalogue code has no case.
    """

    code: str
    fires: dict[str, Any]
    quiet: dict[str, Any]
    label: str = ""
    severity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.code}-{self.label}" if self.label else self.code
