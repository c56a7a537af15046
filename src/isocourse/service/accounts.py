"""Managing users: the admin of a clinic (the admin page) and the operator (the command line).

Each change is one unit of work with its audit entry (who changed which user, never the
password): ``user.disabled`` and ``user.enabled``, ``user.password_set``,
``user.second_factor_set`` and ``user.second_factor_reset``, ``clinic.second_factor``.
Disabling a user and setting a password end all that user's sessions at once (and a
patient's calendar links, when disabled). An admin acts on their own clinic's users only
and never disables themselves; the operator, who runs the command line on the server,
on any user.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.auth.second_factor import enrol, is_secret
from isocourse.auth.sessions import confirm_second_factor, revoke_user_sessions, utc
from isocourse.auth.users import (
    UserSummary,
    actor_of,
    clear_second_factor,
    list_users,
    new_user,
    set_password,
    staff_without_second_factor,
    user_by_email,
    user_by_id,
)
from isocourse.errors import Conflict, InvalidInput, NotFound
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.calendar_feeds import revoke_feeds
from isocourse.store.clinics import clinic_by_id, set_second_factor_required
from isocourse.store.tables import UserRow

Change = Literal["disable", "enable", "reset_second_factor"]
#: the audit entry of each change
ACTIONS: dict[str, str] = {
    "disable": "user.disabled",
    "enable": "user.enabled",
    "reset_second_factor": "user.second_factor_reset",
}


def operator_call(clinic_id: str, now: datetime, request_id: str = "command-line") -> Call:
    """The person at the server's command line, as the audit trail names them."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    actor = Actor(0, f"operator:{who}", "admin", clinic_id)
    return Call(actor, request_id, now.date(), now)


def operator_add_user(
    system: ClinicSystem,
    call: Call,
    *,
    email: str,
    role: str,
    clinic_id: str,
    password: str,
    patient_id: str | None = None,
) -> Actor:
    """Add a user (their clinic made when new) with the audit entry ``user.added`` (who
    added whom, never the password), in one unit of work: the operator's command."""
    with unit_of_work(system) as session:
        row = new_user(
            session,
            email=email,
            role=role,
            clinic_id=clinic_id,
            password=password,
            now=call.now,
            patient_id=patient_id,
        )
        detail = f"user={row.email}; role={role}"
        record_audit(session, call, "user.added", patient_id=patient_id, detail=detail)
        return actor_of(row)


def clinic_users(system: ClinicSystem, call: Call) -> list[UserSummary]:
    require_role(call.actor, "admin")
    with system.store.reading() as session:
        return list_users(session, call.actor.clinic_id)


def second_factor_required(system: ClinicSystem, clinic_id: str) -> bool:
    with system.store.reading() as session:
        clinic = clinic_by_id(session, clinic_id)
        return clinic is not None and clinic.require_second_factor


def change_user(
    system: ClinicSystem, call: Call, user_id: int, change: Change, *, operator: bool = False
) -> bool:
    """Disable, enable or clear the second factor of a user; False if nothing changed."""
    if not operator:
        require_role(call.actor, "admin")
    with unit_of_work(system) as session:
        row = _target(session, call, user_id, operator=operator)
        if change == "disable" and row.id == call.actor.user_id:
            raise Conflict("you cannot disable yourself: ask another administrator")
        if change == "reset_second_factor":
            changed = row.totp_secret is not None
            if changed:
                clear_second_factor(session, row, now=call.now)
        else:
            changed = _set_disabled(session, row, disabled=change == "disable", now=call.now)
        if changed:
            _audit(session, call, row, ACTIONS[change])
    return changed


def reset_password(
    system: ClinicSystem, call: Call, user_id: int, password: str, *, operator: bool = False
) -> int:
    """Set a user's password (the policy applies); their sessions end. How many ended."""
    if not operator:
        require_role(call.actor, "admin")
    with unit_of_work(system) as session:
        row = _target(session, call, user_id, operator=operator)
        ended = set_password(session, row, password, now=call.now)
        _audit(session, call, row, "user.password_set", f"sessions ended={ended}")
    return ended


def user_id_by_email(system: ClinicSystem, email: str) -> tuple[int, str]:
    """The user's id and clinic (the operator names users by e-mail); NotFound."""
    actor = actor_by_email(system, email)
    if actor is None:
        raise NotFound(f"no user {email!r}")
    return actor.user_id, actor.clinic_id


def actor_by_email(system: ClinicSystem, email: str) -> Actor | None:
    """The user with this e-mail (any case), or None: for the operator's commands, which
    act as a named user (disabled or not: the use case they call decides)."""
    with system.store.reading() as session:
        row = user_by_email(session, email)
        return None if row is None else actor_of(row)


def require_second_factor(system: ClinicSystem, call: Call, required: bool) -> None:
    """Turn the clinic's requirement on or off. On: the sessions of its prescribers and
    admins that were not signed in with a second factor end (they set one up at their
    next sign-in)."""
    require_role(call.actor, "admin")
    with unit_of_work(system) as session:
        if not set_second_factor_required(session, call.actor.clinic_id, required):
            raise NotFound("no such clinic")
        if required:
            for row in staff_without_second_factor(session, call.actor.clinic_id):
                revoke_user_sessions(
                    session, row.id, now=call.now, reason="second factor required"
                )
        detail = "required" if required else "optional"
        record_audit(session, call, "clinic.second_factor", patient_id=None, detail=detail)


def set_up_second_factor(
    system: ClinicSystem, call: Call, secret: str, code: str, *, session_key: str
) -> None:
    """Keep ``secret`` as the caller's second factor if ``code`` is its current code: the
    caller's other sessions end, this one goes on as signed in with it (a session that
    could only set it up becomes a full one). InvalidInput naming ``code`` otherwise (or
    ``secret``, if it is not a key the page could have shown)."""
    require_role(call.actor, "prescriber", "pharmacist", "admin")
    if not is_secret(secret):
        raise InvalidInput("secret", "not the key the page showed: scan the new code below")
    with unit_of_work(system) as session:
        row = user_by_id(session, call.actor.user_id)
        if row is None:
            raise NotFound("no such user")
        if not enrol(session, row, secret, code, call.now):
            raise InvalidInput("code", "not the code your app shows now: try the next one")
        revoke_user_sessions(
            session, row.id, now=call.now, reason="second factor set", keep=session_key
        )
        confirm_second_factor(session, session_key)
        _audit(session, call, row, "user.second_factor_set")


def _set_disabled(session: Session, row: UserRow, *, disabled: bool, now: datetime) -> bool:
    """Disable (ending every session and, for a patient, their calendar links) or enable
    the user; False if it already was so."""
    if (row.disabled_at is not None) == disabled:
        return False
    row.disabled_at = utc(now) if disabled else None
    if disabled:
        revoke_user_sessions(session, row.id, now=now, reason="user disabled")
        if row.patient_id is not None:
            revoke_feeds(session, row.patient_id, now=now)
    session.flush()
    return True


def _target(session: Session, call: Call, user_id: int, *, operator: bool) -> UserRow:
    row = user_by_id(session, user_id)
    if row is None or (not operator and row.clinic_id != call.actor.clinic_id):
        raise NotFound("no such user in your clinic")
    return row


def _audit(session: Session, call: Call, row: UserRow, action: str, extra: str = "") -> None:
    detail = f"user={row.email}; role={row.role}" + (f"; {extra}" if extra else "")
    record_audit(session, call, action, patient_id=row.patient_id, detail=detail)
