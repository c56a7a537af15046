"""Sign-in throttling, counted in the database: shared by every server process, and atomic.

Each attempt is *reserved* before its password is checked: in one transaction that holds
the audit chain's head (so concurrent attempts, in any process, are decided one after
the other) the failures within ``window`` are counted for the account and for the
client address, and, unless locked, a failure row is written at once. The attempt counts
as a failure from then on; only a success takes its row away again. So N concurrent
wrong passwords make N failures, and no more than the limit are ever checked.

The limits:

- ``per_address`` failures from one client address lock that address (guessing across
  many accounts);
- ``per_account`` failures for one account lock it, **except** for an attempt from a
  client address that has no failure within the window, and for an attempt that
  carries a valid second factor (checked before the password; see
  :mod:`isocourse.service.sign_in`). So an attacker cannot lock the owner out for free: the
  owner, from their own address, still signs in; each fresh address gives an attacker
  one guess, which then counts against that address.

A success clears the account's count (its failure rows are marked cleared), never the
address's. While locked, the password is not checked at all, so guessing gains nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from isocourse.auth.sessions import utc
from isocourse.settings import Settings
from isocourse.store import sign_in_failures as failures


@dataclass(frozen=True)
class LoginThrottle:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Settings) -> LoginThrottle:
        return cls(
            per_account=settings.login_attempts,
            per_address=settings.login_attempts_per_address,
            window=timedelta(minutes=settings.login_lockout_minutes),
        )


@dataclass(frozen=True)
class Reserved:
    """An attempt allowed to check its password; ``failure_id`` is its failure row."""

    failure_id: int
    #: the account was locked, and this attempt came through it (fresh address or
    #: a valid second factor)
    through_lock: bool


@dataclass(frozen=True)
class Locked:
    """An attempt refused without checking anything."""

    seconds: int
    #: "account" or "address": which limit refused it
    limit: str


def account_key(email: str) -> str:
    return email.strip().lower()[:320]


def reserve_attempt(
    session: Session,
    throttle: LoginThrottle,
    *,
    email: str,
    address: str,
    now: datetime,
    second_factor: bool = False,
) -> Reserved | Locked:
    """Count, and reserve this attempt as a failure unless a limit refuses it. Run in a
    transaction that holds the audit head (the unit of work), which serialises attempts."""
    moment = utc(now)
    since = moment - throttle.window
    account, address = account_key(email), address[:64]
    failures.forget_before(session, since)  # out of the window
    address_times = _utc(failures.times_from_address(session, address, since))
    if len(address_times) >= throttle.per_address:
        return Locked(_wait(address_times, throttle, moment, throttle.per_address), "address")
    account_times = _utc(failures.uncleared_times_of_account(session, account, since))
    account_locked = len(account_times) >= throttle.per_account
    if account_locked and address_times and not second_factor:
        return Locked(_wait(account_times, throttle, moment, throttle.per_account), "account")
    failure_id = failures.add_failure(session, account=account, address=address, at=moment)
    return Reserved(failure_id, through_lock=account_locked)


def succeeded(session: Session, attempt: Reserved, *, email: str) -> None:
    """The attempt signed in: it was no failure, and the account's count starts again."""
    failures.remove_failure(session, attempt.failure_id)
    failures.clear_account(session, account_key(email))


def not_a_failure(session: Session, attempt: Reserved) -> None:
    """The password was right but the sign-in stops for another reason (it is no guess)."""
    failures.remove_failure(session, attempt.failure_id)


def _utc(times: Iterable[datetime]) -> list[datetime]:
    return [utc(moment) for moment in times]


def _wait(times: list[datetime], throttle: LoginThrottle, now: datetime, limit: int) -> int:
    """Seconds until fewer than ``limit`` of ``times`` are within the window."""
    unlocked_at = times[-limit] + throttle.window
    return max(1, int((unlocked_at - now).total_seconds() + 0.999))
