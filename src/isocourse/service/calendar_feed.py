"""The calendar a phone subscribes to: a secret link per patient instead of a log-in.

A phone calendar cannot send a bearer token or keep a session, so each patient's feed
lives at a capability URL. The link is issued per patient (``calendar_feeds``: a random
nonce) and its secret is an HMAC of the patient id and that nonce under the server's
key, so neither a copy of the database nor the key alone gives anyone the link. The
prescriber (or the patient) issues a new link, which ends the old one, or revokes it;
disabling the patient's login revokes it; it stops serving once the course is over
(its last dose is past, and so is every date the calendar would show). The link shows
only that patient's due dates; every fetch is audited as the feed reader.

Errors: NotFound for any link that does not serve (wrong, revoked, replaced, expired):
nothing is revealed about why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Final

from isocourse.assessment import Assessment
from isocourse.auth.roles import Actor
from isocourse.course_ics import course_calendar
from isocourse.errors import NotFound
from isocourse.record import CourseRecord
from isocourse.rules import assess
from isocourse.rules.course_facts import last_dose_day
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import folded_document, patient_for, record_from_document
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.calendar_feeds import add_feed, live_nonce, revoke_feeds
from isocourse.store.patients import patient_by_id

FEED_READER: Final = "feed:calendar"


def feed_token(secret: str, patient_id: str, nonce: str) -> str:
    message = f"calendar-feed:{patient_id}:{nonce}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:43]


def feed_path(secret: str, patient_id: str, nonce: str) -> str:
    return f"/feeds/calendar/{patient_id}/{feed_token(secret, patient_id, nonce)}.ics"


def current_feed_path(system: ClinicSystem, call: Call, secret: str, patient_id: str) -> str | None:
    """The patient's live link (prescribers of the clinic; the patient their own), if any."""
    require_role(call.actor, "prescriber", "patient")
    with system.store.reading() as session:
        patient_for(session, call.actor, patient_id)
        nonce = live_nonce(session, patient_id)
    return None if nonce is None else feed_path(secret, patient_id, nonce)


def issue_feed(system: ClinicSystem, call: Call, secret: str, patient_id: str) -> str:
    """A new link for the patient (the old one, if any, stops at once); its path."""
    require_role(call.actor, "prescriber", "patient")
    nonce = secrets.token_urlsafe(24)
    with unit_of_work(system) as session:
        patient_for(session, call.actor, patient_id)
        revoke_feeds(session, patient_id, now=call.now)
        add_feed(session, patient_id, nonce, now=call.now, issued_by=call.actor.user_id or None)
        record_audit(session, call, "calendar_feed.issued", patient_id=patient_id)
    return feed_path(secret, patient_id, nonce)


def revoke_feed(system: ClinicSystem, call: Call, patient_id: str) -> bool:
    """End the patient's link (prescribers of the clinic); False if there was none."""
    require_role(call.actor, "prescriber", "patient")
    with unit_of_work(system) as session:
        patient_for(session, call.actor, patient_id)
        ended = revoke_feeds(session, patient_id, now=call.now)
        if ended:
            record_audit(session, call, "calendar_feed.revoked", patient_id=patient_id)
    return bool(ended)


def course_over(record: CourseRecord, assessment: Assessment, today: date) -> bool:
    """Its last dose is past, and so is every date its calendar would show."""
    last_dose = last_dose_day(record)
    if last_dose is None or last_dose >= today:
        return False
    return all(item.due < today for item in assessment.due)


def read_calendar_feed(
    system: ClinicSystem,
    *,
    secret: str,
    patient_id: str,
    token: str,
    today: date,
    now: datetime,
    request_id: str,
) -> bytes:
    """The feed, if ``token`` is this patient's live link; NotFound otherwise (nothing is
    revealed)."""
    with system.store.reading() as session:
        nonce = live_nonce(session, patient_id)
        # as bytes: the token in the link may be any text (compare_digest refuses non-ASCII str)
        expected = feed_token(secret, patient_id, nonce).encode() if nonce is not None else b""
        if nonce is None or not hmac.compare_digest(expected, token.encode()):
            raise NotFound("no such calendar")
        row = patient_by_id(session, patient_id)
        if row is None:
            raise NotFound("no such calendar")
        clinic_id = row.clinic_id
        document = folded_document(session, patient_id, today)
    record = record_from_document(document, system.knowledge, today)
    assessment = assess(record, system.knowledge, as_of=today)
    if course_over(record, assessment, today):
        raise NotFound("no such calendar")  # the link has expired with the course
    reader = Actor(
        user_id=0, email=FEED_READER, role="patient", clinic_id=clinic_id, patient_id=patient_id
    )
    call = Call(actor=reader, request_id=request_id, today=today, now=now)
    system.audit_appends.append(call, "calendar.read", patient_id=patient_id)
    return course_calendar(record, assessment, system.knowledge, patient_label=record.patient.id)
