"""Who a clinic's patients are, for finding one: their name, birth date and record id.

The course record names a patient by the clinic's own id only; the name a person
looks them up by is kept beside it in the log (kind ``patient_name``, a note the fold
passes by). Both are read from the events: the latest entry of each kind that was not
marked entered in error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from isocourse.store.fold import ENTERED_IN_ERROR, PATIENT_NAME
from isocourse.store.tables import EventRow, PatientRow

_DETAILS = "patient_details"


@dataclass(frozen=True)
class PatientListing:
    """One patient as a search sees them (``None``: not recorded)."""

    patient_id: str
    record_id: str
    birth_date: str | None
    name: str | None


def clinic_listing(session: Session, clinic_id: str) -> list[PatientListing]:
    """Every patient of ``clinic_id`` with their standing name, birth date and record id."""
    query = (
        select(EventRow.id, EventRow.patient_id, EventRow.kind, EventRow.payload)
        .join(PatientRow, PatientRow.id == EventRow.patient_id)
        .where(
            PatientRow.clinic_id == clinic_id,
            EventRow.kind.in_((_DETAILS, PATIENT_NAME)),
        )
        .order_by(EventRow.sequence)
    )
    rows = list(session.execute(query))
    retracted = _retracted(session, PatientRow.clinic_id == clinic_id)
    details: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for event_id, patient_id, kind, payload in rows:
        if event_id in retracted:
            continue
        if kind == _DETAILS:
            details[patient_id] = payload
        else:
            names[patient_id] = str(payload.get("name", ""))
    return [
        PatientListing(
            patient_id,
            str(found.get("id", "")),
            found.get("birth_date"),
            names.get(patient_id) or None,
        )
        for patient_id, found in details.items()
    ]


def patient_name(session: Session, patient_id: str) -> str | None:
    """The patient's standing name, if the clinic recorded one."""
    query = (
        select(EventRow.id, EventRow.payload)
        .where(EventRow.patient_id == patient_id, EventRow.kind == PATIENT_NAME)
        .order_by(EventRow.sequence)
    )
    rows = list(session.execute(query))
    retracted = _retracted(session, PatientRow.id == patient_id)
    standing = [str(payload.get("name", "")) for found, payload in rows if found not in retracted]
    return standing[-1] if standing and standing[-1] else None


def _retracted(session: Session, patients: ColumnElement[bool]) -> set[str]:
    """The ids of the events marked entered in error among the ``patients`` chosen."""
    query = (
        select(EventRow.corrects_event_id)
        .join(PatientRow, PatientRow.id == EventRow.patient_id)
        .where(patients, EventRow.kind == ENTERED_IN_ERROR)
    )
    return {found for found in session.scalars(query) if found is not None}
