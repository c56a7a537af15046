"""What a request reads of its caller, in the same statement as what it came for: the
user's columns as an actor, then the state of its session. ``isocourse.auth`` reads
them (``auth.users.actor_from_columns``, ``auth.sessions.signed_in_from``, which take
them by position); they are described here, below ``auth``, so that a read of the store
can join them into its own statement (the verification's,
:mod:`isocourse.store.prescription_reads`)."""

from __future__ import annotations

from isocourse.store.tables import SessionRow, UserRow

#: a user's columns as an actor: id, e-mail, role, clinic, patient
ACTOR_COLUMNS = (UserRow.id, UserRow.email, UserRow.role, UserRow.clinic_id, UserRow.patient_id)

#: what a request reads of its session, after the user's :data:`ACTOR_COLUMNS`
SESSION_CHECK_COLUMNS = (
    SessionRow.last_seen_at,
    SessionRow.expires_at,
    SessionRow.revoked_at,
    SessionRow.purpose,
    UserRow.disabled_at,
)
