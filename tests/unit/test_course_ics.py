"""The iCalendar feed parses back, and its UIDs stay put when dates move."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from isocourse.assessment import Assessment, Due
from isocourse.course_ics import Appointment, course_calendar
from tests.unit.fhir_support import KNOWLEDGE, Course, demo_courses

DEMO = demo_courses()


def events(course: Course, **options: object) -> dict[str, dict[str, object]]:
    feed = course_calendar(
        course.record,
        course.assessment,
        KNOWLEDGE,
        patient_label="A.E.",
        **options,  # type: ignore[arg-type]
    )
    calendar = Calendar.from_ical(feed)
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
        }
        for event in calendar.walk("VEVENT")
    }


@pytest.mark.parametrize("course", DEMO, ids=[c.record.patient.id for c in DEMO])
def test_each_demo_feed_parses_back_with_one_event_per_due_task(course: Course) -> None:
    found = events(course)
    starts = [
        e["start"] for e in found.values() if str(e["summary"]).startswith(("Due", "Overdue"))
    ]
    assert sorted(starts) == sorted(d.due for d in course.assessment.due)  # type: ignore[type-var]
    assert len(found) == len(course.assessment.due) + _window_events(course)


def _window_events(course: Course) -> int:
    closes = course.assessment.dispense.window_closes is not None
    completion = course.assessment.cumulative.projected_completion is not None
    return int(closes) + int(completion)


def test_the_feed_names_the_calendar_and_refreshes_daily() -> None:
    feed = course_calendar(DEMO[0].record, DEMO[0].assessment, KNOWLEDGE, patient_label="A.E.")
    calendar = Calendar.from_ical(feed)
    assert str(calendar["X-WR-CALNAME"]) == "isocourse: A.E."
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(days=1)


def test_a_due_date_that_moves_keeps_its_uid_so_a_subscription_updates_it() -> None:
    course = DEMO[0]
    moved = Course(
        course.record,
        _with_due(course, (Due("pregnancy_test", date(2026, 4, 1), False),)),
    )
    later = Course(
        course.record,
        _with_due(course, (Due("pregnancy_test", date(2026, 4, 9), True),)),
    )
    first, second = events(moved), events(later)
    (uid,) = [u for u, e in first.items() if "pregnancy test" in str(e["summary"])]
    assert second[uid]["start"] == date(2026, 4, 9)
    assert second[uid]["summary"] == "Overdue: pregnancy test"


def _with_due(course: Course, due: tuple[Due, ...]) -> Assessment:
    return dataclasses.replace(course.assessment, due=due)


def test_the_dispense_window_and_projected_completion_are_all_day_events() -> None:
    course = next(c for c in DEMO if c.assessment.dispense.window_closes is not None)
    found = events(course)
    by_summary = {e["summary"]: e["start"] for e in found.values()}
    assert (
        by_summary["Last day to collect isotretinoin"] == course.assessment.dispense.window_closes
    )
    assert (
        by_summary["Projected end of course"] == course.assessment.cumulative.projected_completion
    )


def test_appointments_from_the_schedule_become_timed_events() -> None:
    starts = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
    visit = Appointment("apt-17", starts, 20, "Dermatology visit")
    found = events(DEMO[0], appointments=[visit])
    (event,) = [e for e in found.values() if e["summary"] == "Dermatology visit"]
    assert event["start"] == starts


def test_the_feed_is_the_same_bytes_for_the_same_assessment() -> None:
    course = DEMO[0]
    first = course_calendar(course.record, course.assessment, KNOWLEDGE, patient_label="x")
    assert first == course_calendar(course.record, course.assessment, KNOWLEDGE, patient_label="x")
