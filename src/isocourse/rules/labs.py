"""Laboratory monitoring: baseline ALT and triglycerides, action thresholds, the labs due.

Decisions (where the sources leave them open; see docs/rules.md, "Product decisions"):

- Every value is converted to its test's canonical unit (mg/dL, U/L) with the factors
  in ``knowledge/labs.toml`` before it is compared. A result whose unit does not fit its
  test raises ``LAB_UNIT_MISMATCH`` (block) and is never used: not for thresholds, not as
  a baseline. "Latest" is then the latest *readable* result of the test on or before
  ``as_of``; results dated after ``as_of`` are not yet known.
- The upper limit of normal is the result's own ``reference_high`` (converted with the
  result's unit) when it is above 0, else the catalogue's default for the test
  (:func:`isocourse.knowledge.labs.upper_limit_of_normal`, the one place that decides it).
- The action thresholds are data (``thresholds`` in ``knowledge/labs.toml``): one judge,
  :func:`judge_threshold`, applies each to the latest readable result of its tests; a
  threshold on several tests raises one alert naming every result past it.
- Baseline: ALT and triglycerides count for a first prescription dated P when dated
  P−30 ... P, the prescription day included ("in the 30 days before it").
- Due task ``labs``: before the course starts, due on the prescription day (the proposed
  prescription's date, else ``as_of``) until a baseline exists; once treatment runs,
  the peak-dose check is due on start + 60 days (knowledge), or on the first day of the
  highest dose if the dose rises to it later, until ALT and TG are both drawn at peak
  dose. Nothing is due after treatment ended (no post-treatment checks, Xia 2022).
- At peak dose (since 2026-12): a result counts only when dated on or after the
  first day of the highest mg/day so far (:func:`peak_dose_start`), so a result drawn
  before a dose increase never counts. Decisions: "so far" is the dose periods started
  on or before ``as_of``; when the highest dose is reached again after a lower dose or a
  pause, its latest start counts (that is a dose increase too), while a period that
  continues the day after one at the same dose does not restart it; a result dated on
  the course's first day or before is the baseline, never the peak-dose check; with no
  dose period recorded the course start stands for the peak start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, assert_never

from isocourse.assessment import Alert, Due, Findings, Severity
from isocourse.knowledge.labs import (
    LabCatalogue,
    LabTest,
    LabThreshold,
    SymptomKind,
    number_words,
    to_canonical,
    upper_limit_of_normal,
)
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, LabResult
from isocourse.rules import symptoms
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import in_treatment, is_first_prescription, prescription_day

LABS_TASK = "labs"


@dataclass(frozen=True)
class Reading:
    """A lab result read in its test's canonical unit, with its upper limit of normal."""

    result: LabResult
    test: LabTest
    value: float
    uln: float | None
    uln_is_labs_own: bool

    @property
    def date(self) -> date:
        return self.result.date

    def described(self) -> str:
        """``"531 mg/dL"``, or ``"531 mg/dL (6 mmol/L as reported)"`` after a conversion."""
        text = f"{_number(self.value)} {self.test.unit}"
        if self.test.factor_for(self.result.unit) != 1.0:
            text += f" ({self.result.value:g} {self.result.unit} as reported)"
        return text

    def uln_described(self) -> str:
        assert self.uln is not None
        whose = "the lab's own" if self.uln_is_labs_own else "default"
        return f"{_number(self.uln)} {self.test.unit} ({whose})"


def read_result(result: LabResult, catalogue: LabCatalogue) -> Reading | None:
    """The result in canonical units, or None when its test or unit is not known."""
    test = catalogue.resolve(result.test)
    if test is None:
        return None
    value = to_canonical(result.value, result.unit, test)
    if value is None:
        return None
    uln = upper_limit_of_normal(result, test)
    if uln is None:
        return Reading(result, test, value, None, uln_is_labs_own=False)
    return Reading(result, test, value, uln.value, uln.labs_own)


def latest_readings(readings: list[Reading]) -> dict[str, Reading]:
    """The latest reading of each test (by date; the last listed wins a tie)."""
    latest: dict[str, Reading] = {}
    for reading in sorted(readings, key=lambda r: r.date):
        latest[reading.test.name] = reading
    return latest


def assess_labs(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    known = [result for result in record.labs if result.date <= as_of]
    readings: list[Reading] = []
    unreadable: list[LabResult] = []
    for result in known:
        reading = read_result(result, knowledge.labs)
        if reading is None:
            unreadable.append(result)
        else:
            readings.append(reading)
    latest = latest_readings(readings)
    alerts = [
        *_unit_mismatch(unreadable, knowledge),
        *_baseline(record, knowledge, readings),
        *(
            alert
            for code, threshold in knowledge.labs.thresholds.items()
            for alert in judge_threshold(code, threshold, latest, record, knowledge, as_of)
        ),
    ]
    return Findings(alerts=tuple(alerts), due=labs_due(record, knowledge, readings, as_of))


def _unit_mismatch(unreadable: list[LabResult], knowledge: Knowledge) -> list[Alert]:
    if not unreadable:
        return []
    listed = "; ".join(
        f"{result.test} {result.value:g} {result.unit!r} on {result.date.isoformat()}"
        for result in unreadable
    )
    return [raise_alert(knowledge, "LAB_UNIT_MISMATCH", results=listed)]


def _tests_missing(
    readings: list[Reading], names: tuple[str, ...], first: date, last: date | None
) -> list[str]:
    """Of ``names``, the tests with no reading dated ``first`` ... ``last`` (open if None)."""
    return [
        name
        for name in names
        if not any(
            r.test.name == name and first <= r.date and (last is None or r.date <= last)
            for r in readings
        )
    ]


def _baseline(record: CourseRecord, knowledge: Knowledge, readings: list[Reading]) -> list[Alert]:
    proposed = record.proposed_prescription
    if proposed is None or not is_first_prescription(record):
        return []
    schedule = knowledge.labs.schedule
    days = int(schedule.baseline_days_before.value)
    first = proposed.date - timedelta(days=days)
    missing = _tests_missing(readings, schedule.monitored_tests, first, proposed.date)
    if not missing:
        return []
    labels = " and ".join(knowledge.labs.by_name(name).label for name in missing)
    return [
        raise_alert(
            knowledge,
            "LAB_BASELINE_MISSING",
            tests=labels,
            days=days,
            first=first.isoformat(),
            prescription_date=proposed.date.isoformat(),
        )
    ]


def judge_threshold(
    code: str,
    threshold: LabThreshold,
    latest: dict[str, Reading],
    record: CourseRecord,
    knowledge: Knowledge,
    as_of: date,
) -> list[Alert]:
    """The threshold's alert when the latest reading of one of its tests is past it.

    One alert per threshold: its message names the first such reading (``{result}``,
    ``{date}``, ``{limit}``, ``{uln}``, ``{multiple}``) or every one (``{findings}``).
    """
    past: list[tuple[Reading, float]] = []
    for name in threshold.tests:
        reading = latest.get(name)
        if reading is None:
            continue
        limit = threshold.limit_for(reading.uln)
        if limit is not None and threshold.exceeded_by(reading.value, limit):
            past.append((reading, limit))
    if not past:
        return []
    reading, limit = past[0]
    details: dict[str, Any] = {
        "test": reading.test.label,
        "result": reading.described(),
        "date": reading.date.isoformat(),
        "limit": f"{_number(limit)} {reading.test.unit}",
        "findings": "; ".join(_finding(r, threshold) for r, _ in past),
    }
    if threshold.uln_multiple is not None:
        details["multiple"] = _number(threshold.uln_multiple)
        if reading.uln is not None:
            details["uln"] = reading.uln_described()
    severity: Severity | None = None
    change = threshold.severity_with_symptom
    if change is not None and _has_symptom(change.symptom, record, knowledge, as_of):
        severity = change.severity
    return [raise_alert(knowledge, code, severity=severity, **details)]


def _finding(reading: Reading, threshold: LabThreshold) -> str:
    """``ALT 250 U/L on 2026-03-01 (6.2 × ULN 40 U/L (default))`` for a ULN multiple."""
    found = f"{reading.test.label} {reading.described()} on {reading.date.isoformat()}"
    if threshold.uln_multiple is None or reading.uln is None:
        return found
    times = reading.value / reading.uln
    return f"{found} ({times:.1f} × ULN {reading.uln_described()})"


def _has_symptom(
    kind: SymptomKind, record: CourseRecord, knowledge: Knowledge, as_of: date
) -> bool:
    """Whether the patient reports a symptom of this kind (one kind today: muscle)."""
    if kind == "muscle":
        return symptoms.has_muscle_symptom(record, knowledge, as_of)
    assert_never(kind)


def labs_due(
    record: CourseRecord, knowledge: Knowledge, readings: list[Reading], as_of: date
) -> tuple[Due, ...]:
    """The ``labs`` task: a baseline before the course, then once at about peak dose."""
    schedule = knowledge.labs.schedule
    start = record.course.start_date
    if start is None or as_of < start:
        day = prescription_day(record, as_of)
        first = day - timedelta(days=int(schedule.baseline_days_before.value))
        if not _tests_missing(readings, schedule.monitored_tests, first, day):
            return ()
        return (Due(task=LABS_TASK, due=day, overdue=as_of > day),)
    if not in_treatment(record, as_of):
        return ()
    peak = peak_dose_start(record, as_of) or start
    due = max(start + timedelta(days=int(schedule.peak_check_days.value)), peak)
    earliest = max(peak, start + timedelta(days=1))
    if not _tests_missing(readings, schedule.monitored_tests, earliest, None):
        return ()
    return (Due(task=LABS_TASK, due=due, overdue=as_of > due),)


def peak_dose_start(record: CourseRecord, as_of: date) -> date | None:
    """The first day of the highest mg/day so far (its latest rise), or None without doses.

    Dose periods starting after ``as_of`` are not yet taken. A period at the highest
    dose that follows, the next day, one at the same dose continues it; reaching the
    highest dose again after a lower dose or a gap is a new rise, and its start counts.
    """
    periods = sorted((p for p in record.doses if p.start <= as_of), key=lambda p: p.start)
    peak_mg: float | None = None
    peak_start: date | None = None
    previous = None
    for period in periods:
        continues = (
            previous is not None
            and previous.mg_per_day == period.mg_per_day
            and previous.end is not None
            and previous.end + timedelta(days=1) >= period.start
        )
        if peak_mg is None or period.mg_per_day > peak_mg:
            peak_mg, peak_start = period.mg_per_day, period.start
        elif period.mg_per_day == peak_mg and not continues:
            peak_start = period.start
        previous = period
    return peak_start


def _number(value: float) -> str:
    """A value for a message: at most one decimal, no trailing zero (``531``, ``5.6``)."""
    return number_words(value)
