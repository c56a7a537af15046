"""What a patient is reminded of: the window's lead time, due and overdue tasks, quiet
check-ins; and the e-mail's plain words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from isocourse.assessment import Due
from isocourse.demo_patients import demo_records
from isocourse.reminders import CheckIns, reminder_email, reminders_for
from tests.unit.fhir_support import course_of

TODAY = date(2026, 3, 15)
ASSESSMENT = course_of(demo_records(TODAY)[0]).assessment
NO_CHECK_INS = CheckIns(can_check_in=False, treatment_start=None, last_check_in=None)


def quiet(window_closes: date | None = None, due: tuple[Due, ...] = ()) -> list[str]:
    dispense = replace(ASSESSMENT.dispense, window_closes=window_closes)
    assessment = replace(ASSESSMENT, dispense=dispense, due=due)
    return [r.topic for r in reminders_for(assessment, NO_CHECK_INS)]


def test_window_closing_within_two_days_is_reminded_and_three_days_is_not() -> None:
    assert quiet(TODAY + timedelta(days=2)) == ["window"]
    assert quiet(TODAY) == ["window"]
    assert quiet(TODAY + timedelta(days=3)) == []
    assert quiet(TODAY - timedelta(days=1)) == []


def test_due_tasks_are_reminded_when_overdue_or_near_once_each() -> None:
    due = (
        Due("labs", TODAY - timedelta(days=5), True),
        Due("labs", TODAY + timedelta(days=30), False),
        Due("weight", TODAY + timedelta(days=2), False),
        Due("mood_screen", TODAY + timedelta(days=3), False),
        Due("dispense_window_closes", TODAY, False),
    )
    assert quiet(due=due) == ["due:labs", "due:weight"]


def check_in_topics(start: date, last: date | None, can_check_in: bool = True) -> list[str]:
    assessment = replace(
        ASSESSMENT, due=(), dispense=replace(ASSESSMENT.dispense, window_closes=None)
    )
    check_ins = CheckIns(can_check_in, start, last)
    return [r.topic for r in reminders_for(assessment, check_ins)]


def test_check_ins_are_overdue_after_three_quiet_days() -> None:
    start = TODAY - timedelta(days=30)
    assert check_in_topics(start, TODAY - timedelta(days=3)) == []
    assert check_in_topics(start, TODAY - timedelta(days=4)) == ["check_in"]
    assert check_in_topics(start, None) == ["check_in"]
    assert check_in_topics(start, None, can_check_in=False) == []


def test_a_course_started_two_days_ago_is_not_nagged_for_check_ins() -> None:
    assert check_in_topics(TODAY - timedelta(days=2), None) == []
    assert check_in_topics(TODAY - timedelta(days=3), None) == ["check_in"]


def test_the_email_goes_to_one_address_in_plain_words() -> None:
    dispense = replace(ASSESSMENT.dispense, window_closes=TODAY + timedelta(days=1))
    reminders = reminders_for(replace(ASSESSMENT, dispense=dispense, due=()), NO_CHECK_INS)
    message = reminder_email(reminders, to="pat@mail.test", sender="clinic@x.test", today=TODAY)
    assert message["To"] == "pat@mail.test"
    body = message.get_content()
    assert "collected until Monday 16 March 2026." in body
    assert "isotretinoin" not in body.lower()
    assert ASSESSMENT.patient_id not in body
