"""Failed sign-ins as stored: the reads and writes of the ``sign_in_failures`` table
that the sign-in throttle (:mod:`isocourse.auth.login_throttle`) runs. What counts, and
when an account or an address is locked, is decided there; these work in the caller's
transaction (the one that holds the audit head, which serialises attempts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from isocourse.store.tables import SignInFailureRow

_F: Final = SignInFailureRow


def forget_before(session: Session, since: datetime) -> None:
    """Remove the failures at or before ``since`` (out of the window)."""
    session.execute(delete(_F).where(_F.at <= since))


def times_from_address(session: Session, address: str, since: datetime) -> Sequence[datetime]:
    """When the failures from ``address`` after ``since`` were, oldest first."""
    return _times(session, _F.address == address, since)


def uncleared_times_of_account(
    session: Session, account: str, since: datetime
) -> Sequence[datetime]:
    """When the account's failures after ``since`` not cleared by a success were, oldest
    first."""
    return _times(session, (_F.account == account) & _F.account_cleared.is_(False), since)


def _times(
    session: Session, condition: ColumnElement[bool], since: datetime
) -> Sequence[datetime]:
    query = select(_F.at).where(condition, _F.at > since).order_by(_F.at)
    return session.scalars(query).all()


def add_failure(session: Session, *, account: str, address: str, at: datetime) -> int:
    """Store a failure (not cleared); its id."""
    row = SignInFailureRow(account=account, address=address, at=at, account_cleared=False)
    session.add(row)
    session.flush()
    return row.id


def remove_failure(session: Session, failure_id: int) -> None:
    session.execute(delete(_F).where(_F.id == failure_id))


def clear_account(session: Session, account: str) -> None:
    """Mark all the account's failures cleared (they count for its address only)."""
    session.execute(update(_F).where(_F.account == account).values(account_cleared=True))
