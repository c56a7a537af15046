"""A patient's calendar links: each a random nonce (the link's token is derived from
it), live until revoked; a new link revokes the old."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from isocourse.store.tables import CalendarFeedRow


def add_feed(
    session: Session, patient_id: str, nonce: str, *, now: datetime, issued_by: int | None
) -> None:
    session.add(
        CalendarFeedRow(
            patient_id=patient_id,
            nonce=nonce,
            issued_at=now.astimezone(UTC),
            issued_by=issued_by,
            revoked_at=None,
        )
    )


def revoke_feeds(session: Session, patient_id: str, *, now: datetime) -> int:
    """End every live link of the patient (in the caller's transaction); how many."""
    result = session.execute(
        update(CalendarFeedRow)
        .where(CalendarFeedRow.patient_id == patient_id, CalendarFeedRow.revoked_at.is_(None))
        .values(revoked_at=now.astimezone(UTC))
    )
    return int(getattr(result, "rowcount", 0))


def live_nonce(session: Session, patient_id: str) -> str | None:
    """The nonce of the patient's live link, if any (the newest)."""
    query = (
        select(CalendarFeedRow.nonce)
        .where(CalendarFeedRow.patient_id == patient_id, CalendarFeedRow.revoked_at.is_(None))
        .order_by(CalendarFeedRow.id.desc())
        .limit(1)
    )
    found: str | None = session.scalar(query)
    return found
