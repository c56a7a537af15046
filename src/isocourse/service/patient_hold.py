"""When a patient's own page must say only what to do now: stop, and call the clinic.

The page holds (no dose to take, no "I took my dose") while the assessment has

- an alert of severity ``stop`` (a red-flag symptom, thoughts of self-harm on a mood
  screen, a positive pregnancy test ...): it holds as long as the alert stands, because
  the clinic's own page says "stop now" for as long and no prescription can be written;
  the clinician ends it by changing the record (their own mood screen, an entry marked
  entered in error) or it ends with the symptom window;
- an alert whose patient advice is a red flag but whose severity is not ``stop`` (low
  mood, possible muscle breakdown): it holds until a clinician has reviewed each symptom
  entry that raised it (a ``reviews[]`` entry of kind ``symptom`` for its text, dated on
  or after it, recorded by a clinician; the course page records one in a click).

Pure: a record, its assessment and the knowledge in, the hold (or None) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from isocourse.assessment import Alert, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, Symptom
from isocourse.rules.reviews import is_reviewed
from isocourse.rules.symptoms import entry_codes, recent_entries, review_key
from isocourse.service.course_view import PendingReview

#: what every ``stop`` alert's message directs, in the patient's words
STOP_WORDS: Final = "Stop taking isotretinoin and call your clinic now."
#: stop alerts found on a screen the clinic recorded, answered with a symptom's advice
ADVICE_FOR: Final = {"MOOD_SUICIDAL_IDEATION": "SYMPTOM_SUICIDAL"}


@dataclass(frozen=True)
class Hold:
    """What to do now, in the patient's words (most severe first), and the alerts why."""

    lines: tuple[str, ...]
    codes: tuple[str, ...]


def patient_hold(record: CourseRecord, assessment: Assessment, knowledge: Knowledge) -> Hold | None:
    holding = [alert for alert in assessment.alerts if _holds(record, alert, knowledge)]
    if not holding:
        return None
    holding.sort(key=lambda alert: alert.severity != "stop")
    lines = dict.fromkeys(_words(alert, knowledge) for alert in holding)
    return Hold(tuple(lines), tuple(alert.code for alert in holding))


def _holds(record: CourseRecord, alert: Alert, knowledge: Knowledge) -> bool:
    if alert.severity == "stop":
        return True
    advice = knowledge.symptoms.advice_by_alert.get(alert.code)
    if advice is None or not advice.red_flag:
        return False
    return not _reviewed(record, alert.code, knowledge)


def _reviewed(record: CourseRecord, code: str, knowledge: Knowledge) -> bool:
    """Has a clinician reviewed every entry in the window that raises ``code``?"""
    raising = _raising(record, knowledge, code)
    return bool(raising) and all(_entry_reviewed(record, entry) for entry in raising)


def _raising(record: CourseRecord, knowledge: Knowledge, code: str) -> list[Symptom]:
    return [
        entry
        for entry in recent_entries(record, knowledge, record.as_of)
        if code in entry_codes(entry, knowledge.symptoms)
    ]


def _entry_reviewed(record: CourseRecord, entry: Symptom) -> bool:
    return is_reviewed(record, "symptom", review_key(entry), entry.date, record.as_of)


def red_flags_to_review(record: CourseRecord, knowledge: Knowledge) -> list[PendingReview]:
    """The symptom entries holding the patient's page until a clinician reviews them (red
    flags whose severity is not stop), oldest first."""
    advice = knowledge.symptoms.advice_by_alert
    codes = [
        code
        for code, found in advice.items()
        if found.red_flag and knowledge.alerts[code].severity != "stop"
    ]
    waiting = {
        (entry.date, review_key(entry)): PendingReview("symptom", review_key(entry), entry.date)
        for code in codes
        for entry in _raising(record, knowledge, code)
        if not _entry_reviewed(record, entry)
    }
    return [waiting[key] for key in sorted(waiting)]


def _words(alert: Alert, knowledge: Knowledge) -> str:
    advice = knowledge.symptoms.advice_by_alert
    found = advice.get(ADVICE_FOR.get(alert.code, alert.code))
    return found.words if found is not None else STOP_WORDS
