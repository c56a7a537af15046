"""What a patient is reminded of today, and the e-mail that says it (pure: no clock, no I/O).

When a ``stop`` alert stands (a positive pregnancy test, suicidal thoughts, a red-flag
symptom ...: stop treatment now), the patient is asked only to contact the clinic
today: no "due today" or "collect your prescription" for a course that must not go on.
Otherwise three reasons, decided from the assessment and the patient's check-ins:

- the dispense window closes within ``window_days`` (today included);
- a task (tests, weight, mood questionnaire ...) is due within ``due_days`` or overdue;
- dose check-ins are overdue: the patient is in treatment, has a login to check in
  with, and has no check-in (taken or missed) on any of the last ``check_in_days``
  days before today, the treatment having started at least that long ago.

These day counts are reminder timing, not clinical thresholds. The message names
no drug, value or alert: only what to do and by when, in plain words, and it is
addressed to one patient only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Final

from isocourse.assessment import Assessment, Due

WINDOW_TASK: Final = "dispense_window_closes"
SUBJECT: Final = "A reminder from your clinic"
#: what a patient whose course must stop is told, instead of any programme reminder
CONTACT_CLINIC: Final = "Please contact your clinic today about your treatment."
#: a due task in the words a patient uses
TASK_WORDS: Final = {
    "labs": "blood tests",
    "pregnancy_test": "pregnancy test",
    "weight": "weight check",
    "mood_screen": "mood questionnaire",
    "counselling": "talk with your clinic",
}


@dataclass(frozen=True)
class ReminderPolicy:
    window_days: int = 2
    due_days: int = 2
    check_in_days: int = 3


DEFAULT_POLICY: Final = ReminderPolicy()


@dataclass(frozen=True)
class Reminder:
    topic: str  # "window", "due:<task>", "check_in": stable, for the audit trail
    text: str


@dataclass(frozen=True)
class CheckIns:
    """What the reminder needs to know about the patient's daily check-ins."""

    can_check_in: bool  # the patient has a login
    treatment_start: date | None  # None when not in treatment today
    last_check_in: date | None


def reminders_for(
    assessment: Assessment, check_ins: CheckIns, policy: ReminderPolicy = DEFAULT_POLICY
) -> tuple[Reminder, ...]:
    today = assessment.as_of
    if any(alert.severity == "stop" for alert in assessment.alerts):
        return (Reminder("contact_clinic", CONTACT_CLINIC),)
    found = [
        *_window(assessment.dispense.window_closes, today, policy),
        *_due(assessment.due, today, policy),
        *_check_in(check_ins, today, policy),
    ]
    return tuple(found)


def _window(closes: date | None, today: date, policy: ReminderPolicy) -> list[Reminder]:
    if closes is None or not today <= closes <= today + timedelta(days=policy.window_days):
        return []
    when = "today" if closes == today else _day(closes)
    return [
        Reminder(
            "window",
            f"Your prescription can be collected until {when}. After that the pharmacy "
            "cannot hand it out: collect it in time, or contact your clinic.",
        )
    ]


def _due(due: Iterable[Due], today: date, policy: ReminderPolicy) -> list[Reminder]:
    earliest: dict[str, Due] = {}
    for item in sorted(due, key=lambda d: d.due):
        if item.task != WINDOW_TASK:
            earliest.setdefault(item.task, item)
    horizon = today + timedelta(days=policy.due_days)
    return [_due_reminder(item, today) for item in earliest.values() if item.due <= horizon]


def _due_reminder(item: Due, today: date) -> Reminder:
    words = TASK_WORDS.get(item.task, item.task.replace("_", " "))
    if item.due < today:
        text = (
            f"Overdue since {_day(item.due)}: your {words}. Please arrange this with your clinic."
        )
    elif item.due == today:
        text = f"Due today: your {words}."
    else:
        text = f"Due on {_day(item.due)}: your {words}."
    return Reminder(f"due:{item.task}", text)


def _check_in(check_ins: CheckIns, today: date, policy: ReminderPolicy) -> list[Reminder]:
    start = check_ins.treatment_start
    if not check_ins.can_check_in or start is None:
        return []
    quiet_since = today - timedelta(days=policy.check_in_days)
    if start > quiet_since:
        return []
    last = check_ins.last_check_in
    if last is not None and last >= quiet_since:
        return []
    since = f"since {_day(last)}" if last is not None else "yet"
    return [
        Reminder(
            "check_in",
            f"We have no dose check-in from you {since}. Please sign in and record "
            "whether you took your doses.",
        )
    ]


def reminder_email(
    reminders: Iterable[Reminder],
    *,
    to: str,
    sender: str,
    today: date,
    sent_at: datetime,
    message_id: str,
) -> EmailMessage:
    """One e-mail to one address of one patient. ``sent_at`` (time-zone aware) is its
    ``Date``; ``message_id`` its ``Message-ID`` (``email.utils.make_msgid`` with the
    clinic's domain). ``Auto-Submitted: auto-generated`` (RFC 3834) tells mail servers
    and auto-responders that no person sent it."""
    lines = [f"- {reminder.text}" for reminder in reminders]
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "\n".join(
            [
                "Hello,",
                "",
                f"A reminder from your clinic, {_day(today)}:",
                "",
                *lines,
                "",
                "If you have questions, contact your clinic.",
                "",
                "You get these e-mails because reminders are on for you. To stop them, "
                "tell your clinic or turn reminders off when you sign in.",
            ]
        )
    )
    return message


def _day(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"
