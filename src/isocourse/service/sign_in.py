"""Signing in and out: the one door for the API's token and the web log-in.

A sign-in is three short steps, so that the slow password check (argon2) holds no lock:

1. the user is read, and a one-time code (if one is given) is checked against their
   second factor;
2. the attempt is reserved by the throttle (:mod:`isocourse.auth.login_throttle`): it
   counts as a failure from now on, unless a limit refuses it outright (audited
   ``sign_in.locked``); a valid code is used up here;
3. the password is checked, then in one transaction the outcome is written: a session,
   the user's last sign-in, the failure row taken back, the audit entry ``sign_in``; or
   the failure's entry ``sign_in.failed`` (the reason, never the password).

A user with a second factor must give its code as well; a prescriber or an admin of a
clinic that requires one, who has none yet, gets a session that may only set it up (the
web; the API refuses). Signing out revokes the session at once (``session.revoked``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, cast

from isocourse.auth.login_throttle import (
    Locked,
    LoginThrottle,
    Reserved,
    not_a_failure,
    reserve_attempt,
    succeeded,
)
from isocourse.auth.passwords import burn_time, password_matches
from isocourse.auth.roles import Actor, Role
from isocourse.auth.second_factor import consume_step, matching_step
from isocourse.auth.sessions import ENROL, FULL, SessionTimes, open_session, revoke_session
from isocourse.auth.users import actor_of, record_sign_in, user_by_email
from isocourse.errors import NotAuthenticated, ServiceError, TooManyAttempts
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.clinics import clinic_by_id

#: roles that must have a second factor where their clinic requires one
SECOND_FACTOR_ROLES: Final = frozenset({"prescriber", "admin"})
WRONG: Final = "wrong e-mail or password (or one-time code, if you set one up)"
SECOND_FACTOR_REQUIRED: Final = (
    "your clinic requires a second factor: sign in on the web pages once to set it up"
)


@dataclass(frozen=True)
class SignedInNow:
    actor: Actor
    #: the new session's random id (sign it for the cookie or the bearer token)
    session_id: str
    #: "full", or "enrol": the session may only set up the second factor
    purpose: str


@dataclass(frozen=True)
class _Known:
    """What step 1 read of the user (None fields: no such user)."""

    actor: Actor | None
    password_hash: str | None
    totp_secret: str | None
    disabled: bool
    must_enrol: bool


def sign_in(
    system: ClinicSystem,
    throttle: LoginThrottle,
    times: SessionTimes,
    *,
    email: str,
    password: str,
    address: str,
    now: datetime,
    request_id: str,
    code: str = "",
    allow_enrolment: bool = False,
) -> SignedInNow:
    """A new session for these credentials. NotAuthenticated (wrong, disabled, or a second
    factor to set up first where ``allow_enrolment`` is off); TooManyAttempts while locked."""
    known = _read_user(system, email)
    step = None
    if known.totp_secret is not None and code:
        step = matching_step(known.totp_secret, code, now)
    call = _call(known.actor, request_id, now)
    with unit_of_work(system) as session:
        second_factor = (
            step is not None
            and known.actor is not None
            and consume_step(session, known.actor.user_id, step)
        )
        verdict = reserve_attempt(
            session, throttle, email=email, address=address, now=now, second_factor=second_factor
        )
        if isinstance(verdict, Locked):
            detail = f"address={address}; locked={verdict.limit}"
            record_audit(session, call, "sign_in.locked", patient_id=None, detail=detail)
    if isinstance(verdict, Locked):
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {verdict.seconds} seconds",
            retry_after_seconds=verdict.seconds,
        )
    if known.password_hash is None:
        burn_time(password)  # as long as a real check: an unknown e-mail is not told apart
        row_matches = False
    else:
        row_matches = password_matches(known.password_hash, password)
    return _finish(
        system,
        times,
        known,
        verdict,
        call,
        password_right=row_matches,
        second_factor=second_factor,
        email=email,
        address=address,
        now=now,
        allow_enrolment=allow_enrolment,
    )


def _finish(
    system: ClinicSystem,
    times: SessionTimes,
    known: _Known,
    attempt: Reserved,
    call: Call,
    *,
    password_right: bool,
    second_factor: bool,
    email: str,
    address: str,
    now: datetime,
    allow_enrolment: bool,
) -> SignedInNow:
    refusal: ServiceError | None = None
    signed: SignedInNow | None = None
    where = f"address={address}"
    with unit_of_work(system) as session:
        actor = known.actor
        if actor is None or not password_right:
            reason = "unknown account" if actor is None else "wrong password"
            refusal = NotAuthenticated(WRONG)
        elif known.totp_secret is not None and not second_factor:
            reason = "missing or wrong one-time code"
            refusal = NotAuthenticated(WRONG)
        elif known.disabled:
            reason = "user disabled"
            refusal = NotAuthenticated("this account is disabled: ask your clinic's administrator")
        elif known.must_enrol and not allow_enrolment:
            not_a_failure(session, attempt)
            reason = "second factor not set up"
            refusal = NotAuthenticated(SECOND_FACTOR_REQUIRED)
        if refusal is not None:
            detail = f"{where}; reason={reason}"
            record_audit(session, call, "sign_in.failed", patient_id=None, detail=detail)
        else:
            assert actor is not None
            succeeded(session, attempt, email=email)
            record_sign_in(session, actor.user_id, now)
            purpose = ENROL if known.must_enrol else FULL
            session_id = open_session(
                session,
                actor.user_id,
                now=now,
                times=times,
                address=address,
                purpose=purpose,
                second_factor=second_factor,
            )
            extra = "; through the account's lock" if attempt.through_lock else ""
            factor = "; second factor" if second_factor else ""
            enrol = "; to set up a second factor" if purpose == ENROL else ""
            detail = f"{where}{factor}{extra}{enrol}"
            record_audit(session, call, "sign_in", patient_id=actor.patient_id, detail=detail)
            signed = SignedInNow(actor, session_id, purpose)
    if refusal is not None:
        raise refusal
    assert signed is not None
    return signed


def sign_out(system: ClinicSystem, call: Call, session_key: str) -> None:
    """Revoke the caller's session at once (audited ``session.revoked``)."""
    with unit_of_work(system) as session:
        if revoke_session(session, session_key, now=call.now, reason="signed out"):
            record_audit(
                session,
                call,
                "session.revoked",
                patient_id=call.actor.patient_id,
                detail="signed out",
            )


def _read_user(system: ClinicSystem, email: str) -> _Known:
    with system.store.reading() as session:
        row = user_by_email(session, email)
        if row is None:
            return _Known(None, None, None, False, False)
        clinic = clinic_by_id(session, row.clinic_id)
        must_enrol = (
            clinic is not None
            and clinic.require_second_factor
            and row.role in SECOND_FACTOR_ROLES
            and row.totp_secret is None
        )
        return _Known(
            actor_of(row),
            row.password_hash,
            row.totp_secret,
            row.disabled_at is not None,
            bool(must_enrol),
        )


#: how an attempt at an unknown account is named in the audit trail (the typed e-mail
#: is not kept: people type their password into the e-mail field)
UNKNOWN_ACCOUNT: Final = Actor(0, "(unknown account)", cast(Role, "anonymous"), "")


def _call(actor: Actor | None, request_id: str, now: datetime) -> Call:
    return Call(actor or UNKNOWN_ACCOUNT, request_id, now.date(), now)
