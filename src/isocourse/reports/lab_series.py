"""Lab results grouped by test for the report: a table as recorded, a chart in one unit.

The chart of a test is drawn in the test's canonical unit (mg/dL or U/L), in which the
knowledge states its thresholds; a result whose unit does not fit the test stays in
the table and is left off the chart. Thresholds come from the lab knowledge: fixed
triglyceride levels, and multiples of the upper limit of normal (the reporting lab's
own, from the latest result that gives one, else the knowledge's default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from isocourse.knowledge.labs import LabTest, to_canonical
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, LabResult


@dataclass(frozen=True)
class LabRow:
    day: date
    value: float
    unit: str
    reference: str
    source: str = "clinician"  # who recorded it (the record's ``source``)


@dataclass(frozen=True)
class LabPoint:
    day: date
    value: float


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str


@dataclass(frozen=True)
class LabSeries:
    test_name: str
    title: str
    unit: str
    results: tuple[LabRow, ...]
    points: tuple[LabPoint, ...]
    thresholds: tuple[Threshold, ...]


def lab_series(record: CourseRecord, knowledge: Knowledge) -> list[LabSeries]:
    """One series per test with results, in the knowledge's order of tests."""
    series = []
    for test in knowledge.labs.tests:
        results = sorted(
            (lab for lab in record.labs if _resolves_to(knowledge, lab, test)),
            key=lambda lab: lab.date,
        )
        if results:
            series.append(_series(test, results, knowledge))
    return series


def _resolves_to(knowledge: Knowledge, lab: LabResult, test: LabTest) -> bool:
    found = knowledge.labs.resolve(lab.test)
    return found is not None and found.name == test.name


def _series(test: LabTest, results: list[LabResult], knowledge: Knowledge) -> LabSeries:
    points = []
    for lab in results:
        value = to_canonical(lab.value, lab.unit, test)
        if value is not None:
            points.append(LabPoint(lab.date, value))
    return LabSeries(
        test_name=test.name,
        title=test.label,
        unit=test.unit,
        results=tuple(LabRow(r.date, r.value, r.unit, _range_text(r), r.source) for r in results),
        points=tuple(points),
        thresholds=tuple(thresholds_for(test, results, knowledge)),
    )


def _range_text(lab: LabResult) -> str:
    low, high = lab.reference_low, lab.reference_high
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {lab.unit}"
    if high is not None:
        return f"up to {high:g} {lab.unit}"
    if low is not None:
        return f"from {low:g} {lab.unit}"
    return ""


def upper_limit_normal(test: LabTest, results: list[LabResult]) -> float | None:
    """The latest reporting lab's ULN (canonical unit), else the knowledge's default."""
    for lab in reversed(results):
        if lab.reference_high is not None:
            converted = to_canonical(lab.reference_high, lab.unit, test)
            if converted is not None:
                return converted
    return test.upper_limit_normal.value if test.upper_limit_normal is not None else None


def thresholds_for(
    test: LabTest, results: list[LabResult], knowledge: Knowledge
) -> list[Threshold]:
    limits = knowledge.labs.thresholds
    if test.name == "triglycerides":
        high, severe = limits.tg_high_mg_per_dl.value, limits.tg_severe_mg_per_dl.value
        return [Threshold(high, f"high {high:g}"), Threshold(severe, f"severe {severe:g}")]
    multiples = {
        "alt": (limits.liver_high_uln_multiple.value, limits.liver_severe_uln_multiple.value),
        "ast": (limits.liver_high_uln_multiple.value, limits.liver_severe_uln_multiple.value),
        "ck": (limits.ck_high_uln_multiple.value,),
    }.get(test.name, ())
    uln = upper_limit_normal(test, results)
    if uln is None:
        return []
    found = [Threshold(uln, f"ULN {uln:g}")]
    found += [Threshold(uln * m, f"{m:g} × ULN ({uln * m:g})") for m in multiples]
    return found
