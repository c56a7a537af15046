"""The patient's page in plain words: dates as "4 December 2026", doses and what comes
next as sentences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

from isocourse.assessment import Assessment
from isocourse.record import CourseRecord

DUE_WORDS: Final[Mapping[str, str]] = {
    "pregnancy_test": "Pregnancy test",
    "labs": "Blood test (liver and blood fats)",
    "mood_screen": "Mood check",
    "weight": "Weigh-in",
    "counselling": "Talk with your prescriber",
    "end_of_course_pregnancy_test": "Pregnancy test at the end of treatment",
    "post_course_pregnancy_test": "Pregnancy test one month after treatment",
    "dispense_window_closes": "Last day to collect your capsules",
}


def patient_day(day: date | None) -> str:
    """``4 December 2026``."""
    return "" if day is None else f"{day.day} {day:%B %Y}"


def _mg(value: float) -> str:
    return f"{value:g}"


def dose_history(record: CourseRecord) -> list[str]:
    """Each dose period, newest first, as a sentence."""
    lines = []
    for period in sorted(record.doses, key=lambda p: p.start, reverse=True):
        if period.start > record.as_of:
            continue
        if period.end is None or period.end >= record.as_of:
            when = f"Since {patient_day(period.start)}"
        else:
            when = f"From {patient_day(period.start)} to {patient_day(period.end)}"
        lines.append(f"{when}: {_mg(period.mg_per_day)} mg a day.")
    missed = [m for m in record.missed_doses if m.date <= record.as_of]
    if missed:
        latest = max(m.date for m in missed)
        times = "time" if len(missed) == 1 else "times"
        lines.append(
            f"You told us you missed a dose {len(missed)} {times}, "
            f"the last on {patient_day(latest)}."
        )
    return lines


def next_steps(assessment: Assessment) -> list[str]:
    """What is due, soonest first, as sentences ("late" when the day has passed)."""
    lines = []
    for due in sorted(assessment.due, key=lambda d: d.due):
        words = DUE_WORDS.get(due.task, due.task.replace("_", " ").capitalize())
        if due.overdue:
            lines.append(f"{words}: it was due on {patient_day(due.due)}. Please do it soon.")
        else:
            lines.append(f"{words}: by {patient_day(due.due)}.")
    return lines
