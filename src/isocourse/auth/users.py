"""Users: adding them (with their clinic, created when new), listing them, setting a
password or clearing a second factor, and telling who a caller is.

These work in the caller's transaction; the use cases that change a user
(:mod:`isocourse.service.accounts`) write the audit entry in the same one. Setting a
password ends all that user's sessions at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from isocourse.auth.password_policy import password_problem
from isocourse.auth.passwords import hash_password
from isocourse.auth.roles import ROLES, Actor, Role
from isocourse.errors import InvalidInput, NotAuthenticated
from isocourse.store import users as stored_users
from isocourse.store.clinics import add_clinic_if_new
from isocourse.store.database import Store
from isocourse.store.patients import patient_by_id
from isocourse.store.tables import UserRow

_CLINIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def add_user(
    store: Store,
    *,
    email: str,
    role: str,
    clinic_id: str,
    password: str,
    now: datetime,
    patient_id: str | None = None,
) -> Actor:
    """Add a user (their clinic made when new), in a transaction of its own, unaudited:
    for setting up a store; the operator's command is audited
    (:func:`isocourse.service.accounts.operator_add_user`)."""
    with store.transaction() as session:
        return actor_of(
            new_user(
                session,
                email=email,
                role=role,
                clinic_id=clinic_id,
                password=password,
                now=now,
                patient_id=patient_id,
            )
        )


def new_user(
    session: Session,
    *,
    email: str,
    role: str,
    clinic_id: str,
    password: str,
    now: datetime,
    patient_id: str | None = None,
) -> UserRow:
    """Check and add a user in ``session``'s transaction, and their clinic when new
    (InvalidInput naming the field otherwise)."""
    _check_new_user(email, role, clinic_id, password, patient_id)
    if email_taken(session, email):
        raise InvalidInput("email", f"a user {email!r} already exists")
    add_clinic_if_new(session, clinic_id, now)
    if patient_id is not None:
        patient = patient_by_id(session, patient_id)
        if patient is None or patient.clinic_id != clinic_id:
            raise InvalidInput("patient", f"no patient {patient_id!r} in clinic {clinic_id!r}")
    row = UserRow(
        email=email.lower(),
        password_hash=hash_password(password),
        role=role,
        clinic_id=clinic_id,
        patient_id=patient_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _check_new_user(
    email: str, role: str, clinic_id: str, password: str, patient_id: str | None
) -> None:
    if not _EMAIL.match(email):
        raise InvalidInput("email", "not an e-mail address")
    if role not in ROLES:
        raise InvalidInput("role", f"one of {', '.join(ROLES)}")
    if not _CLINIC_ID.match(clinic_id):
        raise InvalidInput("clinic", "a short id: lower-case letters, digits and dashes")
    problem = password_problem(password, email=email)
    if problem:
        raise InvalidInput("password", problem)
    if (role == "patient") != (patient_id is not None):
        raise InvalidInput("patient", "a patient login names its patient; other roles do not")


def user_by_id(session: Session, user_id: int) -> UserRow | None:
    return session.get(UserRow, user_id)


def staff_without_second_factor(session: Session, clinic_id: str) -> list[UserRow]:
    """The clinic's prescribers and admins who have no second factor set up."""
    return stored_users.staff_without_second_factor(session, clinic_id)


def patient_login(session: Session, patient_id: str) -> UserRow | None:
    """The patient's login (the first made, should there be more)."""
    return stored_users.first_login_of_patient(session, patient_id)


def patient_login_emails(session: Session, patient_id: str) -> tuple[str, ...]:
    """The e-mail addresses of the patient's logins, oldest first."""
    return stored_users.patient_login_emails(session, patient_id)


def email_taken(session: Session, email: str) -> bool:
    """Whether a login uses this e-mail address (in any case)."""
    return stored_users.email_in_use(session, email.strip().lower())


def user_by_email(session: Session, email: str) -> UserRow | None:
    return stored_users.user_with_email(session, email.strip().lower())


@dataclass(frozen=True)
class UserSummary:
    """A user as the lists show them (no password hash, no second-factor secret)."""

    user_id: int
    email: str
    role: str
    clinic_id: str
    patient_id: str | None
    created_at: datetime
    last_sign_in_at: datetime | None
    disabled: bool
    second_factor: bool


def list_users(session: Session, clinic_id: str | None = None) -> list[UserSummary]:
    """Users by clinic and e-mail (one clinic's, if given)."""
    return [
        UserSummary(
            row.id,
            row.email,
            row.role,
            row.clinic_id,
            row.patient_id,
            row.created_at,
            row.last_sign_in_at,
            row.disabled_at is not None,
            row.totp_secret is not None,
        )
        for row in stored_users.users_by_clinic_and_email(session, clinic_id)
    ]


def set_password(
    session: Session,
    row: UserRow,
    password: str,
    *,
    now: datetime,
    keep_session: str | None = None,
) -> int:
    """Set the user's password (the policy applies) and end their sessions (but
    ``keep_session``, the one changing it); how many were ended."""
    from isocourse.auth.sessions import revoke_user_sessions

    problem = password_problem(password, email=row.email)
    if problem:
        raise InvalidInput("password", problem)
    row.password_hash = hash_password(password)
    session.flush()
    return revoke_user_sessions(
        session, row.id, now=now, reason="password changed", keep=keep_session
    )


def clear_second_factor(session: Session, row: UserRow, *, now: datetime) -> None:
    """Remove the user's second factor (a lost phone); their sessions end."""
    from isocourse.auth.sessions import revoke_user_sessions

    row.totp_secret = None
    row.totp_last_step = None
    session.flush()
    revoke_user_sessions(session, row.id, now=now, reason="second factor reset")


def record_sign_in(session: Session, user_id: int, now: datetime) -> None:
    from isocourse.auth.sessions import utc

    stored_users.set_last_sign_in(session, user_id, utc(now))


def actor_from_columns(
    user_id: int, email: str, role: str, clinic_id: str, patient_id: str | None
) -> Actor:
    """The actor from a row of ``isocourse.store.caller_columns.ACTOR_COLUMNS``."""
    checked: Role = role  # type: ignore[assignment]  # checked on the way in
    return Actor(user_id, email, checked, clinic_id, patient_id)


def user_gone() -> NotAuthenticated:
    """A call whose user has since been removed."""
    return NotAuthenticated("this user no longer exists")


def actor_of(row: UserRow) -> Actor:
    role: Role = row.role  # type: ignore[assignment]  # checked on the way in
    return Actor(row.id, row.email, role, row.clinic_id, row.patient_id)
