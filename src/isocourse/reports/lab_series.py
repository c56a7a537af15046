"""Lab results grouped by test for the report: a table as recorded, a chart in one unit.

The chart of a test is drawn in the test's canonical unit (mg/dL or U/L), in which the
knowledge states its thresholds; a result whose unit does not fit the test stays in
the table and is left off the chart. The lines are the thresholds of the lab knowledge
(``thresholds`` in ``labs.toml``, the table the rules judge by): fixed limits, and
multiples of the upper limit of normal that the rules apply to the latest readable
result (:func:`isocourse.knowledge.labs.upper_limit_of_normal`), drawn with that limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from isocourse.knowledge.labs import LabTest, to_canonical, upper_limit_of_normal
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
    """A line on the chart: the upper limit of normal, or an alert's threshold."""

    value: float
    label: str
    alert: str = ""  # the alert code it raises (none for the upper limit of normal)


@dataclass(frozen=True)
class LabSeries:
    test_name: str
    title: str
    unit: str
    results: tuple[LabRow, ...]
    points: tuple[LabPoint, ...]
    thresholds: tuple[Threshold, ...]
    #: each threshold of the test in words: ``LAB_TG_HIGH (warning): high, at or above
    #: 500 mg/dL``
    rules: tuple[str, ...] = ()


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
        rules=tuple(threshold_rules(test, knowledge)),
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


def thresholds_for(
    test: LabTest, results: list[LabResult], knowledge: Knowledge
) -> list[Threshold]:
    """The chart's lines for ``test``, lowest first: its thresholds, and the upper limit of
    normal when a threshold is a multiple of it."""
    thresholds = knowledge.labs.thresholds_of(test.name)
    uln = _latest_upper_limit(test, results)
    lines: list[Threshold] = []
    if uln is not None and any(t.of_uln for _, t in thresholds):
        lines.append(Threshold(uln, f"ULN {uln:g}"))
    for code, threshold in thresholds:
        limit = threshold.limit_for(uln)
        if limit is None:
            continue
        if threshold.uln_multiple is not None:
            label = f"{threshold.uln_multiple:g} × ULN ({limit:g})"
        else:
            label = f"{threshold.level} {limit:g}"
        if all(line.value != limit for line in lines):
            lines.append(Threshold(limit, label, code))
    return sorted(lines, key=lambda line: line.value)


def _latest_upper_limit(test: LabTest, results: list[LabResult]) -> float | None:
    """The upper limit of normal the rules apply to the latest readable result (the
    knowledge's default when no result is readable)."""
    readable = [r for r in results if to_canonical(r.value, r.unit, test) is not None]
    if readable:  # ``results`` are in date order; the last listed wins a tie, as in the rules
        found = upper_limit_of_normal(sorted(readable, key=lambda r: r.date)[-1], test)
        return None if found is None else found.value
    return test.upper_limit_normal.value if test.upper_limit_normal is not None else None


def threshold_rules(test: LabTest, knowledge: Knowledge) -> list[str]:
    """Each threshold of ``test`` in words, with its alert code and severity."""
    lines = []
    for code, threshold in knowledge.labs.thresholds_of(test.name):
        definition = knowledge.alerts[code]
        line = f"{code} ({definition.severity}): {threshold.level}, {threshold.words(test.unit)}"
        change = threshold.severity_with_symptom
        if change is not None:
            line += f"; {change.severity} with a {change.symptom} symptom"
        lines.append(line)
    return lines
