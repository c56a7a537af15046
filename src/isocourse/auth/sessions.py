"""Server-side sessions: opened at sign-in, read at every request, ended at once.

A session row is found by its key (the SHA-256 of the random id its token carries) in
one indexed read that also reads its user, so a request learns in one statement who is
calling and whether the session still holds: not revoked (signed out, the user disabled,
the password changed), used within the idle timeout, younger than its lifetime, and its
user not disabled. The last use is written at most once a minute (:data:`TOUCH_AFTER`),
so a busy session costs a write a minute, not one a request.

Times are kept in UTC (SQLite keeps no offset; a naive time read back is UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.auth.tokens import new_session_id, session_key
from isocourse.auth.users import actor_from_columns
from isocourse.errors import NotAuthenticated
from isocourse.settings import Settings
from isocourse.store import sessions as stored_sessions
from isocourse.store.database import Store

#: the last use is written when it is older than this (the idle timeout's resolution)
TOUCH_AFTER: Final = timedelta(minutes=1)
FULL: Final = "full"
#: a session that may only set up the second factor its clinic requires
ENROL: Final = "enrol"


@dataclass(frozen=True)
class SessionTimes:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionTimes:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(minutes=settings.token_minutes),
        )


@dataclass(frozen=True)
class SignedIn:
    """A request's caller: the user, and the session it came with (its key and last use)."""

    actor: Actor
    key: str
    last_seen_at: datetime
    purpose: str = FULL

    @property
    def needs_touch_at(self) -> datetime:
        return self.last_seen_at + TOUCH_AFTER


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (SQLite's) is UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def open_session(
    session: Session,
    user_id: int,
    *,
    now: datetime,
    times: SessionTimes,
    address: str,
    purpose: str = FULL,
    second_factor: bool = False,
) -> str:
    """Start a session for the user (in the caller's transaction); its new random id. The
    user's sessions past their lifetime are swept away (the audit trail keeps the story)."""
    session_id = new_session_id()
    moment = utc(now)
    stored_sessions.delete_expired(session, user_id, moment)
    lifetime = times.lifetime if purpose == FULL else min(times.lifetime, timedelta(minutes=15))
    stored_sessions.add_session(
        session,
        key=session_key(session_id),
        user_id=user_id,
        moment=moment,
        expires_at=moment + lifetime,
        address=address[:64],
        purpose=purpose,
        second_factor=second_factor,
    )
    return session_id


def revoke_session(session: Session, key: str, *, now: datetime, reason: str) -> bool:
    """End one session (by key) at once; False if it was not open."""
    return stored_sessions.revoke(session, key, utc(now), reason)


def confirm_second_factor(session: Session, key: str) -> None:
    """The session ``key`` was signed in with a second factor now: a full session (one
    that could only set the factor up becomes one)."""
    stored_sessions.set_purpose(session, key, FULL, second_factor=True)


def revoke_user_sessions(
    session: Session, user_id: int, *, now: datetime, reason: str, keep: str | None = None
) -> int:
    """End every open session of the user (but ``keep``, if given); how many."""
    return stored_sessions.revoke_all_of_user(session, user_id, utc(now), reason, keep)


def signed_in(
    session: Session, key: str, *, now: datetime, idle: timedelta, purpose: str | None = FULL
) -> SignedIn:
    """The caller of the session ``key``, checked; NotAuthenticated if it has ended."""
    row = stored_sessions.caller_row(session, key)
    return signed_in_from(row, key, now=now, idle=idle, purpose=purpose)


def signed_in_from(
    row: Any, key: str, *, now: datetime, idle: timedelta, purpose: str | None = FULL
) -> SignedIn:
    """The caller from a row of ``ACTOR_COLUMNS + SESSION_CHECK_COLUMNS``
    (:mod:`isocourse.store.caller_columns`; None: no row); a session of another
    ``purpose`` is refused (``purpose`` None: any)."""
    if row is None:
        raise session_gone()
    last_seen, expires, revoked, found_purpose, disabled = row[5:10]
    moment = utc(now)
    if revoked is not None:
        raise NotAuthenticated("this session has ended (signed out or revoked): sign in again")
    if disabled is not None:
        raise NotAuthenticated("this user is disabled: ask your clinic's administrator")
    if moment >= utc(expires):
        raise NotAuthenticated("this session has expired: sign in again")
    if moment >= utc(last_seen) + idle:
        minutes = int(idle.total_seconds() // 60)
        raise NotAuthenticated(
            f"this session has expired after {minutes} minutes without use: sign in again"
        )
    if purpose is not None and found_purpose != purpose:
        raise NotAuthenticated(
            "your clinic requires a second factor: set it up first at /account/second-factor"
        )
    return SignedIn(actor_from_columns(*row[:5]), key, utc(last_seen), found_purpose)


def session_gone() -> NotAuthenticated:
    """A validly signed token whose session is not in the database (its user removed)."""
    return NotAuthenticated("this session no longer exists: sign in again")


def touch_if_due(store: Store, caller: SignedIn, now: datetime) -> None:
    """Write the session's last use if the one kept is older than :data:`TOUCH_AFTER`."""
    moment = utc(now)
    if moment < caller.needs_touch_at:
        return
    with store.transaction() as session:
        stored_sessions.touch(session, caller.key, moment)
