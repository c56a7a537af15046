"""The patient's page in plain words: the doses so far and what comes next as sentences,
in the formats of :mod:`isocourse.words` (dates as "4 December 2026")."""

from __future__ import annotations

from isocourse.assessment import Assessment
from isocourse.record import CourseRecord
from isocourse.words import mg, patient_date, patient_task


def dose_history(record: CourseRecord) -> list[str]:
    """Each dose period, newest first, as a sentence."""
    lines = []
    for period in sorted(record.doses, key=lambda p: p.start, reverse=True):
        if period.start > record.as_of:
            continue
        if period.end is None or period.end >= record.as_of:
            when = f"Since {patient_date(period.start)}"
        else:
            when = f"From {patient_date(period.start)} to {patient_date(period.end)}"
        lines.append(f"{when}: {mg(period.mg_per_day)} mg a day.")
    missed = [m for m in record.missed_doses if m.date <= record.as_of]
    if missed:
        latest = max(m.date for m in missed)
        times = "time" if len(missed) == 1 else "times"
        lines.append(
            f"You told us you missed a dose {len(missed)} {times}, "
            f"the last on {patient_date(latest)}."
        )
    return lines


def next_steps(assessment: Assessment) -> list[str]:
    """What is due, soonest first, as sentences ("late" when the day has passed)."""
    lines = []
    for due in sorted(assessment.due, key=lambda d: d.due):
        words = patient_task(due.task)
        if due.overdue:
            lines.append(f"{words}: it was due on {patient_date(due.due)}. Please do it soon.")
        else:
            lines.append(f"{words}: by {patient_date(due.due)}.")
    return lines
