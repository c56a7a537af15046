"""Mood: PHQ-9 and PHQ-2 screens, and a missing screen before a prescription."""

from __future__ import annotations

from datetime import date, timedelta

from isocourse.assessment import Alert, Due, Findings
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, MoodScreen
from isocourse.rules.alerting import raise_alert
from isocourse.rules.course_facts import in_treatment, latest, on_or_before, within_days_up_to

_PHQ9_SELF_HARM_ITEM = 8  # item 9, counted from 0


def assess_mood(record: CourseRecord, knowledge: Knowledge, as_of: date) -> Findings:
    alerts: list[Alert] = []
    for standing in reversed(standing_screens(record, as_of)):  # newest first: its day shows
        alerts.extend(_screen_alerts(standing, knowledge))
    alerts.extend(_missing_screen(record, knowledge))
    screen = latest(record.mood_screens, as_of)
    return Findings(alerts=tuple(alerts), due=_next_screen(record, knowledge, as_of, screen))


def standing_screens(record: CourseRecord, as_of: date) -> list[MoodScreen]:
    """The screens whose alerts stand on ``as_of``: the latest one a clinician recorded,
    and every screen the patient reported after it (or, with none by a clinician, every
    screen the patient reported). A patient's screen adds its alerts; it never clears
    the clinician's (a tie on the day goes by the order recorded)."""
    dated = on_or_before(record.mood_screens, as_of)
    by_clinician = [i for i, screen in enumerate(dated) if screen.source != "patient"]
    if not by_clinician:
        return dated
    last = by_clinician[-1]
    return [dated[last], *(s for s in dated[last + 1 :] if s.source == "patient")]


def _next_screen(
    record: CourseRecord, knowledge: Knowledge, as_of: date, screen: MoodScreen | None
) -> tuple[Due, ...]:
    """A mood screen is due every ``mood_screen_days`` while treatment goes on."""
    if not in_treatment(record, as_of) and record.proposed_prescription is None:
        return ()
    days = int(knowledge.course.mood_screen_days.value)
    due = as_of if screen is None else screen.date + timedelta(days=days)
    return (Due(task="mood_screen", due=due, overdue=as_of > due),)


def _screen_alerts(screen: MoodScreen, knowledge: Knowledge) -> list[Alert]:
    limits = knowledge.course
    day = screen.date.isoformat()
    if screen.instrument == "phq2":
        if screen.total >= limits.phq2_positive.value:
            return [
                raise_alert(
                    knowledge,
                    "MOOD_PHQ2_POSITIVE",
                    reported_on=screen.date,
                    total=screen.total,
                    date=day,
                )
            ]
        return []
    alerts = []
    self_harm = screen.items[_PHQ9_SELF_HARM_ITEM]
    if self_harm > 0:
        alerts.append(
            raise_alert(
                knowledge,
                "MOOD_SUICIDAL_IDEATION",
                reported_on=screen.date,
                score=self_harm,
                date=day,
            )
        )
    if screen.total >= limits.phq9_severe.value:
        alerts.append(
            raise_alert(
                knowledge,
                "MOOD_DEPRESSION_SEVERE",
                reported_on=screen.date,
                total=screen.total,
                date=day,
            )
        )
    elif screen.total >= limits.phq9_moderate.value:
        alerts.append(
            raise_alert(
                knowledge,
                "MOOD_DEPRESSION_MODERATE",
                reported_on=screen.date,
                total=screen.total,
                date=day,
            )
        )
    return alerts


def _missing_screen(record: CourseRecord, knowledge: Knowledge) -> list[Alert]:
    proposed = record.proposed_prescription
    if proposed is None:
        return []
    days = int(knowledge.course.mood_screen_days.value)
    if within_days_up_to(record.mood_screens, days, proposed.date):
        return []
    return [raise_alert(knowledge, "MOOD_SCREEN_MISSING", days=days)]
