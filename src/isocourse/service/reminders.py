"""Reminder preferences, and planning the day's reminder e-mails for every clinic.

A patient's preference is an event in their log (kind ``reminder_preference``:
``{"email": str | null, "opt_out": bool}``; the latest wins; the fold passes it by),
so no table changes. Recipients: the preference's e-mail when one is set, else the
patient's login e-mail(s). An opted-out patient gets nothing.

:func:`plan_reminders` runs as the system actor ``system:remind`` (one per clinic,
role ``admin`` in the audit: no person, no clinical role); each patient examined is
an audited read (``reminder.check``) and each e-mail sent an audited
``reminder.sent``, which also keeps a second run on the same day from sending again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.auth.users import patient_login_emails
from isocourse.errors import Conflict, InvalidInput
from isocourse.reminder_plan import (
    DEFAULT_POLICY,
    CheckIns,
    Reminder,
    ReminderPolicy,
    reminders_for,
)
from isocourse.rules.course_facts import in_treatment
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.interop import stored_course
from isocourse.service.patients import patient_for
from isocourse.service.recording import RecordedEntry
from isocourse.service.unit_of_work import fingerprint, unit_of_work, write_once
from isocourse.store.audit_entries import entry_exists
from isocourse.store.event_log import append_event, event_rows
from isocourse.store.fold import ENTERED_IN_ERROR
from isocourse.store.patients import all_patients
from isocourse.store.tables import EventRow

PREFERENCE_KIND: Final = "reminder_preference"
CHECK_IN_KINDS: Final = frozenset({"dose_check_in", "missed_dose"})
SYSTEM_EMAIL: Final = "system:remind"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class PlannedReminder:
    patient_id: str
    clinic_id: str
    recipients: tuple[str, ...]
    reminders: tuple[Reminder, ...]


def set_reminder_preference(
    system: ClinicSystem, call: Call, patient_id: str, *, email: str | None, opt_out: bool
) -> RecordedEntry:
    """Record where reminders go, or that the patient wants none (patient: own; prescriber)."""
    require_role(call.actor, "patient", "prescriber")
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput("email", "not an e-mail address")
    payload: dict[str, Any] = {"email": email, "opt_out": opt_out}

    def work(session: Session) -> RecordedEntry:
        patient_for(session, call.actor, patient_id)
        row = append_event(
            session,
            patient_id=patient_id,
            kind=PREFERENCE_KIND,
            payload=payload,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
        )
        record_audit(session, call, "reminder.preference", patient_id=patient_id)
        return RecordedEntry(row.id, PREFERENCE_KIND, payload)

    key = fingerprint("reminder-pref", patient_id, payload)
    return write_once(system, call, key, work, RecordedEntry)


def system_call(clinic_id: str, *, today: date, now: datetime, request_id: str) -> Call:
    actor = Actor(user_id=0, email=SYSTEM_EMAIL, role="admin", clinic_id=clinic_id)
    return Call(actor=actor, request_id=request_id, today=today, now=now)


def plan_reminders(
    system: ClinicSystem,
    *,
    today: date,
    now: datetime,
    request_id: str,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[PlannedReminder]:
    """Every patient of every clinic who has something to be reminded of today."""
    planned: list[PlannedReminder] = []
    with unit_of_work(system) as session:
        for patient_id, clinic_id in all_patients(session):
            call = system_call(clinic_id, today=today, now=now, request_id=request_id)
            found = _plan_patient(system, session, call, patient_id, policy)
            record_audit(session, call, "reminder.check", patient_id=patient_id)
            if found is not None:
                planned.append(found)
    return planned


def _plan_patient(
    system: ClinicSystem, session: Session, call: Call, patient_id: str, policy: ReminderPolicy
) -> PlannedReminder | None:
    events = _live_events(session, patient_id)
    preference = _latest_preference(events)
    if preference.get("opt_out") or _sent_on(session, patient_id, call.today):
        return None
    logins = patient_login_emails(session, patient_id)
    recipients = (preference["email"],) if preference.get("email") else logins
    if not recipients:
        return None
    try:
        course = stored_course(system, session, patient_id, call.today, call.today)
    except Conflict:  # a record that no longer validates: the clinic's work-list shows it
        return None
    treating = in_treatment(course.record, call.today)
    check_ins = CheckIns(
        can_check_in=bool(logins),
        treatment_start=course.record.course.start_date if treating else None,
        last_check_in=_last_check_in(events),
    )
    reminders = reminders_for(course.assessment, check_ins, policy)
    if not reminders:
        return None
    return PlannedReminder(patient_id, call.actor.clinic_id, tuple(recipients), reminders)


def _live_events(session: Session, patient_id: str) -> list[EventRow]:
    rows = event_rows(session, patient_id)
    retracted = {row.corrects_event_id for row in rows if row.kind == ENTERED_IN_ERROR}
    return [row for row in rows if row.kind != ENTERED_IN_ERROR and row.id not in retracted]


def _latest_preference(events: list[EventRow]) -> dict[str, Any]:
    preferences = [row.payload for row in events if row.kind == PREFERENCE_KIND]
    return dict(preferences[-1]) if preferences else {}


def _last_check_in(events: list[EventRow]) -> date | None:
    days = [
        date.fromisoformat(str(row.payload["date"]))
        for row in events
        if row.kind in CHECK_IN_KINDS and "date" in row.payload
    ]
    return max(days, default=None)


def _sent_on(session: Session, patient_id: str, today: date) -> bool:
    return entry_exists(
        session, action="reminder.sent", patient_id=patient_id, detail_prefix=today.isoformat()
    )


def note_reminder_sent(
    system: ClinicSystem, planned: PlannedReminder, *, today: date, now: datetime, request_id: str
) -> None:
    """The audit entry for an e-mail sent (its date first: see :func:`_sent_on`)."""
    call = system_call(planned.clinic_id, today=today, now=now, request_id=request_id)
    topics = ", ".join(reminder.topic for reminder in planned.reminders)
    detail = f"{today.isoformat()}: {topics} to {len(planned.recipients)} address(es)"
    with unit_of_work(system) as session:
        record_audit(session, call, "reminder.sent", patient_id=planned.patient_id, detail=detail)
