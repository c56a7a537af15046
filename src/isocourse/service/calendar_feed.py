"""The calendar a phone subscribes to: a secret link per patient instead of a log-in.

A phone calendar cannot send a bearer token or keep a session, so each patient's
feed lives at a capability URL carrying an HMAC of the patient id under the
server's secret. The link shows only that patient's due dates; every fetch is
audited as the feed reader; rotating ``ISOCOURSE_SECRET_KEY`` revokes all links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime
from typing import Final

from isocourse.service.context import Actor, Call, ClinicSystem
from isocourse.service.documents import read_calendar
from isocourse.service.errors import NotFound
from isocourse.store.tables import PatientRow

FEED_READER: Final = "feed:calendar"


def feed_token(secret: str, patient_id: str) -> str:
    digest = hmac.new(secret.encode(), f"calendar-feed:{patient_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")[:32]


def feed_path(secret: str, patient_id: str) -> str:
    return f"/feeds/calendar/{patient_id}/{feed_token(secret, patient_id)}.ics"


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
    """The feed, if ``token`` is this patient's; NotFound otherwise (nothing is revealed)."""
    # as bytes: the token in the link may be any text (compare_digest refuses non-ASCII str)
    if not hmac.compare_digest(feed_token(secret, patient_id).encode(), token.encode()):
        raise NotFound("no such calendar")
    with system.store.reading() as session:
        row = session.get(PatientRow, patient_id)
        if row is None:
            raise NotFound("no such calendar")
        clinic_id = row.clinic_id
    reader = Actor(
        user_id=0, email=FEED_READER, role="patient", clinic_id=clinic_id, patient_id=patient_id
    )
    call = Call(actor=reader, request_id=request_id, today=today, now=now)
    return read_calendar(system, call, patient_id)
