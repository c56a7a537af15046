"""Invitations to a patient login: a one-time link (only its token's hash is kept) to
one e-mail address, live until used, withdrawn or expired; a newer one ends the older."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from isocourse.store.tables import InvitationRow


def end_open_invitations(session: Session, patient_id: str, *, at: datetime) -> None:
    """Every invitation of the patient not yet used ends (``at``, UTC)."""
    session.execute(
        update(InvitationRow)
        .where(InvitationRow.patient_id == patient_id, InvitationRow.used_at.is_(None))
        .values(used_at=at)
    )


def add_invitation(
    session: Session,
    *,
    token_hash: str,
    email: str,
    clinic_id: str,
    patient_id: str,
    invited_by: int,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        InvitationRow(
            token_hash=token_hash,
            email=email,
            clinic_id=clinic_id,
            patient_id=patient_id,
            invited_by=invited_by,
            created_at=created_at,
            expires_at=expires_at,
            used_at=None,
        )
    )


def end_invitation(session: Session, token_hash: str, *, at: datetime) -> None:
    session.execute(
        update(InvitationRow).where(InvitationRow.token_hash == token_hash).values(used_at=at)
    )


def invitation_by_token_hash(session: Session, token_hash: str) -> InvitationRow | None:
    """The invitation, used or not (the caller checks it is live; it may mark it used)."""
    return session.scalar(select(InvitationRow).where(InvitationRow.token_hash == token_hash))
