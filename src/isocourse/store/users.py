"""Users as stored: the reads and writes of the ``users`` table that ``isocourse.auth``
runs (who has no second factor, a patient's logins, whether an e-mail address is taken,
the list of users, the last sign-in, a second factor's used step). What they mean (the
password policy, the roles, the second factor's codes) stays in ``isocourse.auth``;
these work in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from isocourse.store.tables import UserRow


def staff_without_second_factor(session: Session, clinic_id: str) -> list[UserRow]:
    """The clinic's prescribers and admins who have no second factor set up."""
    query = select(UserRow).where(
        UserRow.clinic_id == clinic_id,
        UserRow.role.in_(("prescriber", "admin")),
        UserRow.totp_secret.is_(None),
    )
    return list(session.scalars(query))


def first_login_of_patient(session: Session, patient_id: str) -> UserRow | None:
    """The patient's login made first (any role), or None."""
    query = select(UserRow).where(UserRow.patient_id == patient_id).order_by(UserRow.id)
    return session.scalars(query).first()


def patient_login_emails(session: Session, patient_id: str) -> tuple[str, ...]:
    """The e-mail addresses of the patient's logins, oldest first."""
    query = select(UserRow.email).where(UserRow.patient_id == patient_id, UserRow.role == "patient")
    return tuple(session.scalars(query.order_by(UserRow.id)))


def email_in_use(session: Session, lowered: str) -> bool:
    """Whether a login's e-mail address, lower-cased, is ``lowered`` (already lower case)."""
    query = select(UserRow.id).where(func.lower(UserRow.email) == lowered)
    return session.scalar(query) is not None


def user_with_email(session: Session, email: str) -> UserRow | None:
    """The user whose stored e-mail address is ``email`` exactly, or None."""
    return session.scalar(select(UserRow).where(UserRow.email == email))


def users_by_clinic_and_email(session: Session, clinic_id: str | None) -> Sequence[UserRow]:
    """Users ordered by clinic and e-mail address (one clinic's, if given)."""
    query = select(UserRow).order_by(UserRow.clinic_id, UserRow.email)
    if clinic_id is not None:
        query = query.where(UserRow.clinic_id == clinic_id)
    return session.scalars(query).all()


def set_last_sign_in(session: Session, user_id: int, moment: datetime) -> None:
    session.execute(update(UserRow).where(UserRow.id == user_id).values(last_sign_in_at=moment))


def mark_step_used(session: Session, user_id: int, step: int) -> bool:
    """Keep ``step`` as the user's last used second-factor step, if they have a second
    factor and no step as late is kept yet (one statement, so two uses of one code cannot
    both pass); whether it was kept."""
    result = session.execute(
        update(UserRow)
        .where(
            UserRow.id == user_id,
            UserRow.totp_secret.is_not(None),
            or_(UserRow.totp_last_step.is_(None), UserRow.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return bool(getattr(result, "rowcount", 0))
