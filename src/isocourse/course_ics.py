"""A patient's course as an iCalendar (.ics) feed a phone calendar can subscribe to.

``course_calendar(record, assessment, knowledge, patient_label=...)`` returns the
feed's bytes: an all-day event for each due test, the last day the dispense window
allows, the projected end of the course, and any appointments the caller passes.
Each event's UID depends only on the patient and what the event is (not on its
date), so when a due date moves the subscribed calendar moves the event instead of
adding a second one. Pure: the feed's timestamp is the assessment's day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event

from isocourse.assessment import Assessment, Due
from isocourse.fhir.ids import stable_uuid
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord

PRODUCT_ID = "-//isocourse//course calendar//EN"
UID_DOMAIN = "isocourse"


@dataclass(frozen=True)
class Appointment:
    """A booked visit, from the clinic's schedule (not part of the course record)."""

    appointment_id: str
    starts: datetime
    minutes: int
    title: str


def course_calendar(
    record: CourseRecord,
    assessment: Assessment,
    knowledge: Knowledge,
    *,
    patient_label: str,
    appointments: Iterable[Appointment] = (),
) -> bytes:
    calendar = _calendar(patient_label)
    stamp = datetime.combine(assessment.as_of, time(), tzinfo=UTC)
    patient_id = record.patient.id
    for event in [
        *_due_events(assessment.due, patient_id),
        *_window_events(assessment, patient_id),
        *(_appointment_event(a, patient_id) for a in appointments),
    ]:
        event.add("dtstamp", stamp)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def event_uid(patient_id: str, *what: str) -> str:
    return f"{stable_uuid(patient_id, 'calendar', *what)}@{UID_DOMAIN}"


def _calendar(patient_label: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"isocourse: {patient_label}")
    # Subscribed calendars refresh daily (RFC 7986 REFRESH-INTERVAL; Apple/Google X-PUBLISHED-TTL).
    calendar.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    return calendar


def _all_day(uid: str, day: date, summary: str, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def _reminder(event: Event, before: timedelta, text: str) -> Event:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -before)
    event.add_component(alarm)
    return event


def task_words(task: str) -> str:
    return task.replace("_", " ")


def _due_events(due: tuple[Due, ...], patient_id: str) -> list[Event]:
    events = []
    seen: Counter[str] = Counter()
    for item in sorted(due, key=lambda d: (d.task, d.due)):
        seen[item.task] += 1
        words = task_words(item.task)
        summary = f"Overdue: {words}" if item.overdue else f"Due: {words}"
        event = _all_day(
            event_uid(patient_id, "due", item.task, str(seen[item.task])),
            item.due,
            summary,
            f"isocourse: {words} is due on {item.due.isoformat()}.",
        )
        events.append(_reminder(event, timedelta(days=1), summary))
    return events


def _window_events(assessment: Assessment, patient_id: str) -> list[Event]:
    events = []
    closes = assessment.dispense.window_closes
    if closes is not None:
        summary = "Last day to collect isotretinoin"
        event = _all_day(
            event_uid(patient_id, "dispense-window"),
            closes,
            summary,
            "The dispense window closes at the end of this day; "
            "after it a new pregnancy test and prescription may be needed.",
        )
        events.append(_reminder(event, timedelta(days=2), summary))
    completion = assessment.cumulative.projected_completion
    if completion is not None:
        events.append(
            _all_day(
                event_uid(patient_id, "projected-completion"),
                completion,
                "Projected end of course",
                "The day the cumulative target is reached at the current daily dose "
                "(a projection; the prescriber decides when the course ends).",
            )
        )
    return events


def _appointment_event(appointment: Appointment, patient_id: str) -> Event:
    event = Event()
    event.add("uid", event_uid(patient_id, "appointment", appointment.appointment_id))
    event.add("dtstart", appointment.starts)
    event.add("dtend", appointment.starts + timedelta(minutes=appointment.minutes))
    event.add("summary", appointment.title)
    return _reminder(event, timedelta(days=1), appointment.title)
