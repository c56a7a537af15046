"""Sessions as stored: the reads and writes of the ``sessions`` table that
:mod:`isocourse.auth.sessions` runs. Whether a session still holds (revoked, idle,
expired, its purpose) is decided there; these read and write the rows, in the caller's
transaction, with the times given in UTC.

A request's check reads its caller in one indexed statement, built once
(:func:`caller_query`): the user's columns, then the session's
(:mod:`isocourse.store.caller_columns`)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, select, update
from sqlalchemy.orm import Session

from isocourse.store.caller_columns import ACTOR_COLUMNS, SESSION_CHECK_COLUMNS
from isocourse.store.tables import SessionRow, UserRow


def delete_expired(session: Session, user_id: int, moment: datetime) -> None:
    """Remove the user's sessions whose lifetime ended by ``moment``."""
    session.execute(
        delete(SessionRow).where(SessionRow.user_id == user_id, SessionRow.expires_at <= moment)
    )


def add_session(
    session: Session,
    *,
    key: str,
    user_id: int,
    moment: datetime,
    expires_at: datetime,
    address: str,
    purpose: str,
    second_factor: bool,
) -> None:
    """Store a new open session ``key``, first used at ``moment``."""
    session.add(
        SessionRow(
            id=key,
            user_id=user_id,
            created_at=moment,
            last_seen_at=moment,
            expires_at=expires_at,
            revoked_at=None,
            revoked_reason=None,
            client_address=address,
            purpose=purpose,
            second_factor=second_factor,
        )
    )
    session.flush()


def revoke(session: Session, key: str, moment: datetime, reason: str) -> bool:
    """Mark the session ``key`` revoked, if it is not yet; whether it was."""
    result = session.execute(
        update(SessionRow)
        .where(SessionRow.id == key, SessionRow.revoked_at.is_(None))
        .values(revoked_at=moment, revoked_reason=reason)
    )
    return bool(getattr(result, "rowcount", 0))


def set_purpose(session: Session, key: str, purpose: str, *, second_factor: bool) -> None:
    """Set the session's purpose, and whether it was signed in with a second factor."""
    session.execute(
        update(SessionRow)
        .where(SessionRow.id == key)
        .values(purpose=purpose, second_factor=second_factor)
    )


def revoke_all_of_user(
    session: Session, user_id: int, moment: datetime, reason: str, keep: str | None
) -> int:
    """Mark every unrevoked session of the user revoked (but ``keep``); how many."""
    query = update(SessionRow).where(
        SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(SessionRow.id != keep)
    result = session.execute(query.values(revoked_at=moment, revoked_reason=reason))
    return int(getattr(result, "rowcount", 0))


@cache
def caller_query() -> Select[Any]:
    """The user and the state of the session ``:session_key``: one row, or none."""
    columns: tuple[Any, ...] = (*ACTOR_COLUMNS, *SESSION_CHECK_COLUMNS)
    query: Select[Any] = (
        select(*columns)
        .select_from(SessionRow)
        .join(UserRow, UserRow.id == SessionRow.user_id)
        .where(SessionRow.id == bindparam("session_key"))
    )
    return query


def caller_row(session: Session, key: str) -> Row[Any] | None:
    """The row of :func:`caller_query` for the session ``key`` (None: no such session)."""
    return session.connection().execute(caller_query(), {"session_key": key}).one_or_none()


def touch(session: Session, key: str, moment: datetime) -> None:
    """Write ``moment`` as the session's last use, unless a later one is kept."""
    session.execute(
        update(SessionRow)
        .where(SessionRow.id == key, SessionRow.last_seen_at < moment)
        .values(last_seen_at=moment)
    )
