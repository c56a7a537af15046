"""Charts for the course summary: cumulative mg/kg against the target, and lab trends.

Each chart is drawn on its own matplotlib ``Figure`` (no pyplot, no global state)
and returned as PNG bytes. The cumulative series is computed day by day with the
rules' own :func:`isocourse.rules.dosing.cumulative_dose`, so the chart and the
assessment can never disagree.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from isocourse.assessment import Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.reports.lab_series import LabSeries
from isocourse.rules.dosing import cumulative_dose

DayValue = tuple[date, float]
_SIZE_INCHES = (7.0, 3.0)
_DPI = 130


def cumulative_series(
    record: CourseRecord, knowledge: Knowledge, first: date, last: date
) -> list[DayValue]:
    """Cumulative mg/kg at the end of each day from ``first`` to ``last`` (empty without weight)."""
    series: list[DayValue] = []
    day = first
    while day <= last:
        total = cumulative_dose(record, knowledge, day)
        if total.mg_per_kg is None:
            return []
        series.append((day, total.mg_per_kg))
        day += timedelta(days=1)
    return series


def _days(days: list[date]) -> npt.NDArray[np.datetime64]:
    return np.array(days, dtype="datetime64[D]")


def course_first_day(record: CourseRecord) -> date | None:
    starts = [p.start for p in record.doses]
    if record.course.start_date is not None:
        starts.append(record.course.start_date)
    return min(starts) if starts else None


def cumulative_chart_png(
    record: CourseRecord, assessment: Assessment, knowledge: Knowledge
) -> bytes | None:
    """The cumulative-dose chart, or None when there is no dosing or no weight to chart."""
    first = course_first_day(record)
    if first is None or first > assessment.as_of:
        return None
    series = cumulative_series(record, knowledge, first, assessment.as_of)
    if not series:
        return None
    figure, axes = _figure("Cumulative dose (mg/kg)")
    axes.plot(_days([d for d, _ in series]), [v for _, v in series], color="#1f5fa8", label="taken")
    target = assessment.cumulative.target_mg_per_kg
    axes.axhline(target, color="#2e7d32", linestyle="--", label=f"target {target:g} mg/kg")
    projected = assessment.cumulative.projected_completion
    if projected is not None and projected > assessment.as_of:
        axes.plot(
            _days([assessment.as_of, projected]),
            [series[-1][1], target],
            color="#1f5fa8",
            linestyle=":",
            label=f"projected: {projected.isoformat()}",
        )
    axes.set_ylim(bottom=0, top=max(target, series[-1][1]) * 1.1)
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


def lab_chart_png(series: LabSeries) -> bytes | None:
    """One lab test's results over time with the thresholds that apply, or None if empty."""
    if not series.points:
        return None
    figure, axes = _figure(f"{series.title} ({series.unit})")
    axes.plot(
        _days([p.day for p in series.points]),
        [p.value for p in series.points],
        marker="o",
        color="#6a1b9a",
    )
    for threshold in series.thresholds:
        axes.axhline(threshold.value, color="#c62828", linestyle="--", linewidth=1)
        axes.annotate(
            threshold.label,
            (0.01, threshold.value),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            color="#c62828",
            va="bottom",
        )
    axes.set_ylim(bottom=0, top=_top(series))
    return _png(figure)


def _top(series: LabSeries) -> float:
    highest = max([p.value for p in series.points] + [t.value for t in series.thresholds])
    return highest * 1.15 if highest > 0 else 1.0


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI)
    # Fixed margins: a constrained layout costs a third of the drawing time.
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.14)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=10)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.tick_params(labelsize=8)
    axes.grid(True, alpha=0.3)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
