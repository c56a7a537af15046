"""A patient's login, by invitation: the prescriber invites, the patient sets a password.

The prescriber invites a patient of their clinic from the course page; the patient gets
an e-mail (over the reminders' SMTP path) with a one-time link. The link's secret is
random; only its SHA-256 is kept, so the table alone opens nothing. It works once and
for ``ISOCOURSE_INVITATION_HOURS``; a newer invitation for the same patient ends the
older ones. Following it, the patient chooses a password (the password policy applies)
and their login is made; if the patient already has one (the invitation went to its
e-mail), its password is set instead and its sessions end: the invitation is also the
patient's password reset.

Audit: ``user.invited`` (prescriber), ``invitation.accepted`` (the patient's login).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Final

from sqlalchemy.orm import Session

from isocourse.auth.password_policy import password_problem
from isocourse.auth.sessions import utc
from isocourse.auth.users import actor_of, email_taken, new_user, patient_login, set_password
from isocourse.errors import InvalidInput, NotFound
from isocourse.mail import MailError, send, smtp_config, smtp_connection
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import patient_for
from isocourse.service.unit_of_work import unit_of_work
from isocourse.settings import Settings
from isocourse.store.invitations import (
    add_invitation,
    end_invitation,
    end_open_invitations,
    invitation_by_token_hash,
)
from isocourse.store.tables import InvitationRow

#: one address: an "@", a dot in the domain, no space, control character or the marks
#: that make a header hold another address (it goes into the e-mail's "To", and becomes
#: the patient's login)
_PART: Final = r"[^@\s\x00-\x1f\x7f,;<>()\[\]\\\"]+"
_EMAIL: Final = re.compile(rf"{_PART}@{_PART}\.{_PART}")
GONE: Final = "this invitation link has expired or was already used: ask your clinic for a new one"


@dataclass(frozen=True)
class Invitation:
    email: str
    #: the one-time secret of the link (only its hash is stored)
    token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_patient(
    system: ClinicSystem, call: Call, patient_id: str, email: str, *, hours: int
) -> Invitation:
    """A one-time invitation for the patient (a prescriber of their clinic)."""
    require_role(call.actor, "prescriber")
    address = email.strip().lower()
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise InvalidInput("email", "not an e-mail address")
    token = secrets.token_urlsafe(32)
    expires = utc(call.now) + timedelta(hours=hours)
    with unit_of_work(system) as session:
        patient_for(session, call.actor, patient_id)
        _check_address(session, patient_id, address)
        # a newer invitation ends the older ones
        end_open_invitations(session, patient_id, at=utc(call.now))
        add_invitation(
            session,
            token_hash=token_hash(token),
            email=address,
            clinic_id=call.actor.clinic_id,
            patient_id=patient_id,
            invited_by=call.actor.user_id,
            created_at=utc(call.now),
            expires_at=expires,
        )
        record_audit(session, call, "user.invited", patient_id=patient_id, detail=address)
    return Invitation(address, token, expires)


def _check_address(session: Session, patient_id: str, address: str) -> None:
    login = patient_login(session, patient_id)
    if login is not None and login.email != address:
        raise InvalidInput(
            "email",
            f"this patient's login is {login.email}: invite that address (it resets the "
            "password), or ask an administrator to change the login",
        )
    if login is None and email_taken(session, address):
        raise InvalidInput("email", "another login already uses this e-mail address")


def withdraw(system: ClinicSystem, invitation: Invitation) -> None:
    """End an invitation whose e-mail could not be sent."""
    with system.store.transaction() as session:
        end_invitation(session, token_hash(invitation.token), at=invitation.expires_at)


def send_invitation(settings: Settings, invitation: Invitation, link: str) -> None:
    """E-mail the link; MailError if it could not be sent."""
    config = smtp_config(settings)
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = invitation.email
    message["Subject"] = "Your isocourse login"
    message["Message-ID"] = config.message_id()
    message.set_content(
        "Your clinic has invited you to follow your isotretinoin treatment online.\n\n"
        f"Choose your password here (the link works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
        "If you did not expect this e-mail, ignore it; nothing happens without the link.\n"
    )
    with smtp_connection(config) as connection:
        send(connection, message)


def open_invitation(system: ClinicSystem, token: str, now: datetime) -> str:
    """The e-mail of a live invitation (to show on its page); NotFound otherwise."""
    with system.store.reading() as session:
        return _live(session, token, now).email


def accept_invitation(
    system: ClinicSystem, token: str, password: str, *, now: datetime, request_id: str
) -> str:
    """Set the patient's password by the link (once); their login's e-mail."""
    with unit_of_work(system) as session:
        invitation = _live(session, token, now)
        problem = password_problem(password, email=invitation.email)
        if problem:
            raise InvalidInput("password", problem)
        login = patient_login(session, invitation.patient_id)
        if login is None:
            login = new_user(
                session,
                email=invitation.email,
                role="patient",
                clinic_id=invitation.clinic_id,
                password=password,
                now=utc(now),
                patient_id=invitation.patient_id,
            )
            detail = "login made"
        else:
            ended = set_password(session, login, password, now=now)
            detail = f"password set; sessions ended={ended}"
        invitation.used_at = utc(now)
        call = Call(actor_of(login), request_id, now.date(), now)
        record_audit(
            session, call, "invitation.accepted", patient_id=invitation.patient_id, detail=detail
        )
        return login.email


def _live(session: Session, token: str, now: datetime) -> InvitationRow:
    row = invitation_by_token_hash(session, token_hash(token))
    if row is None or row.used_at is not None or utc(row.expires_at) <= utc(now):
        raise NotFound(GONE)
    return row


__all__ = ["GONE", "Invitation", "MailError", "accept_invitation", "invite_patient"]
