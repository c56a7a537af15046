"""The verification's one read: the caller (by session, or by user) with the prescription,
whether it was dispensed and its patient's events, in one statement, so one snapshot and
one round trip. What the read means (who may see it, what is refused) is the service's
(:mod:`isocourse.service.dispensing`); this module runs the statement and hands back the
rows as a :class:`PrescriptionRead`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, bindparam, null, select
from sqlalchemy.orm import aliased

from isocourse.store.caller_columns import ACTOR_COLUMNS, SESSION_CHECK_COLUMNS
from isocourse.store.event_log import stored_event_columns
from isocourse.store.fold import ENTERED_IN_ERROR, StoredEventText
from isocourse.store.tables import EventRow, PatientRow, SessionRow, UserRow

if TYPE_CHECKING:
    from isocourse.store.database import OnLoop


@dataclass(frozen=True)
class PrescriptionRead:
    """What the statement read, for a caller whose session (or user) exists.

    ``caller`` is the caller's columns: :data:`ACTOR_COLUMNS` then
    :data:`SESSION_CHECK_COLUMNS` (read by user: the session's as nulls, then the user's
    disabled time). If the caller's clinic has the prescription, and it is not retracted:
    its id and patient, whether it was dispensed, and its patient's events in order
    (payloads as JSON text); else ``prescription_id`` is None and there are no events."""

    caller: Sequence[Any]
    prescription_id: str | None
    patient_id: str | None
    dispensed: bool
    events: list[StoredEventText]


def read_by_session(
    connection: Connection, session_key: str, prescription_id: str
) -> PrescriptionRead | None:
    """The read for the caller of the session ``session_key`` (None: no such session)."""
    parameters = {"session_key": session_key, "prescription_id": prescription_id}
    return _read_from(connection.execute(_read_query(by_session=True), parameters).all())


def read_by_user(
    connection: Connection, user_id: int, prescription_id: str
) -> PrescriptionRead | None:
    """The read for the caller who is user ``user_id`` (None: no such user)."""
    parameters = {"user_id": user_id, "prescription_id": prescription_id}
    return _read_from(connection.execute(_read_query(by_session=False), parameters).all())


async def read_by_session_awaited(
    on_loop: OnLoop, session_key: str, prescription_id: str
) -> PrescriptionRead | None:
    """:func:`read_by_session` on the event loop through the asyncio driver (PostgreSQL).
    The read is one statement, a snapshot of its own: no transaction around it."""
    parameters = {"session_key": session_key, "prescription_id": prescription_id}
    return _read_from(await on_loop.fetch_all(_read_query(by_session=True), parameters))


def _read_from(rows: Sequence[Sequence[Any]]) -> PrescriptionRead | None:
    """The caller's row comes back (with nulls) when the caller's clinic has no such
    prescription; no row when the session or the user is gone."""
    if not rows:
        return None
    first = rows[0]
    found_id, patient_id, dispensed = first[_FOUND : _FOUND + 3]
    caller = first[:_FOUND]
    if found_id is None:
        return PrescriptionRead(caller, None, None, False, [])
    events = [StoredEventText(*row[_FOUND + 3 :]) for row in rows]
    return PrescriptionRead(caller, found_id, patient_id, bool(dispensed), events)


#: where the prescription's columns start in a row of :func:`_read_query`
_FOUND = len(ACTOR_COLUMNS) + len(SESSION_CHECK_COLUMNS)


@cache
def _read_query(*, by_session: bool) -> Select[Any]:
    """Built once per kind (an aliased statement built per call costs more than running
    it). The prescription is found only if it is one, is not retracted and its patient is
    in the caller's clinic; every join and condition is an indexed lookup. By session:
    the caller is the session ``:session_key``'s user (its state read in the same
    snapshot); else the user ``:user_id``."""
    prescription, retraction, fill, event = (aliased(EventRow) for _ in range(4))
    retracted = select(retraction.id).where(
        retraction.kind == ENTERED_IN_ERROR, retraction.corrects_event_id == prescription.id
    )
    dispensed = select(fill.id).where(fill.fills_prescription_id == prescription.id)
    found = (
        select(
            prescription.id,
            prescription.patient_id,
            dispensed.exists().label("dispensed"),
            PatientRow.clinic_id,
        )
        .join(PatientRow, PatientRow.id == prescription.patient_id)
        .where(
            prescription.id == bindparam("prescription_id"),
            prescription.kind == "prescription",
            ~retracted.exists(),
        )
        .subquery("found")
    )
    if by_session:
        caller_columns: tuple[Any, ...] = SESSION_CHECK_COLUMNS
    else:  # the session's columns as nulls, the user's disabled time as read
        caller_columns = (*(null() for _ in SESSION_CHECK_COLUMNS[:-1]), UserRow.disabled_at)
    query = select(
        *ACTOR_COLUMNS,
        *caller_columns,
        found.c.id,
        found.c.patient_id,
        found.c.dispensed,
        *stored_event_columns(event, payload_as_text=True),
    )
    if by_session:
        query = (
            query.select_from(SessionRow)
            .join(UserRow, UserRow.id == SessionRow.user_id)
            .where(SessionRow.id == bindparam("session_key"))
        )
    else:
        query = query.select_from(UserRow).where(UserRow.id == bindparam("user_id"))
    return (
        query.outerjoin(found, found.c.clinic_id == UserRow.clinic_id)
        .outerjoin(event, event.patient_id == found.c.patient_id)
        .order_by(event.sequence)
    )
