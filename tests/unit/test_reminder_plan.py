"""What a patient is reminded of: the window's lead time, due and overdue tasks, quiet
check-ins; and the e-mail's plain words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest

from isocourse.assessment import Alert, Due
from isocourse.demo_patients import demo_records
from isocourse.mail import MailError, SmtpConfig, sender_domain, smtp_config
from isocourse.reminder_plan import CONTACT_CLINIC, CheckIns, reminder_email, reminders_for
from isocourse.settings import Settings
from tests.unit.fhir_support import course_of

TODAY = date(2026, 3, 15)
ASSESSMENT = course_of(demo_records(TODAY)[0]).assessment
NO_CHECK_INS = CheckIns(can_check_in=False, treatment_start=None, last_check_in=None)
SENT_AT = datetime(2026, 3, 15, 7, 30, tzinfo=UTC)


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
    message = reminder_email(
        reminders,
        to="pat@mail.test",
        sender="clinic@x.test",
        today=TODAY,
        sent_at=SENT_AT,
        message_id="<1@x.test>",
    )
    assert message["To"] == "pat@mail.test"
    body = message.get_content()
    assert "collected until Monday 16 March 2026." in body
    assert "isotretinoin" not in body.lower()
    assert ASSESSMENT.patient_id not in body


def alert(severity: str) -> Alert:
    return Alert("TEST_CODE", severity, "a message", "a source")  # type: ignore[arg-type]


def everything_due(*alerts: Alert) -> list[str]:
    """Topics for a patient with a closing window, a task due today and quiet check-ins."""
    dispense = replace(ASSESSMENT.dispense, window_closes=TODAY)
    assessment = replace(
        ASSESSMENT, alerts=alerts, dispense=dispense, due=(Due("pregnancy_test", TODAY, False),)
    )
    check_ins = CheckIns(True, TODAY - timedelta(days=30), None)
    return [r.topic for r in reminders_for(assessment, check_ins)]


def test_a_stop_alert_replaces_every_programme_reminder_with_contact_your_clinic() -> None:
    assert everything_due(alert("stop")) == ["contact_clinic"]
    assert everything_due(alert("warning"), alert("stop")) == ["contact_clinic"]


@pytest.mark.parametrize("severity", ["info", "warning", "block", "urgent"])
def test_without_a_stop_alert_the_programme_reminders_stand(severity: str) -> None:
    assert everything_due(alert(severity)) == ["window", "due:pregnancy_test", "check_in"]


def test_the_contact_your_clinic_message_says_nothing_about_the_reason() -> None:
    assessment = replace(ASSESSMENT, alerts=(alert("stop"),))
    (reminder,) = reminders_for(assessment, NO_CHECK_INS)
    assert reminder.text == CONTACT_CLINIC
    assert "Due" not in reminder.text and "a message" not in reminder.text


def test_the_email_carries_date_message_id_and_auto_submitted() -> None:
    config = SmtpConfig("127.0.0.1", 25, "North Clinic <reminders@North.Test>")
    message = reminder_email(
        (),
        to="pat@mail.test",
        sender=config.sender,
        today=TODAY,
        sent_at=SENT_AT,
        message_id=config.message_id(),
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsedate_to_datetime(parsed["Date"]) == SENT_AT
    assert parsed["Message-ID"].startswith("<") and parsed["Message-ID"].endswith("@north.test>")
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert config.message_id() != config.message_id()


def test_the_clinic_domain_comes_from_the_sender_address() -> None:
    assert sender_domain("reminders@clinic.example") == "clinic.example"
    assert sender_domain("Clinic <a@b.example>") == "b.example"
    assert sender_domain("not-an-address") == ""
    assert sender_domain("a@localhost") == ""


def test_a_sender_without_a_domain_is_refused_before_anything_is_sent() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_from="reminders")
    with pytest.raises(MailError, match="ISOCOURSE_SMTP_FROM"):
        smtp_config(settings)
    assert smtp_config(Settings(smtp_host="h", smtp_from="r@c.example")).domain == "c.example"
