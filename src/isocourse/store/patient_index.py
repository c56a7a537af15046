"""Who a clinic's patients are, for finding one: their name, birth date and record id.

The name is the one the clinic gave the patient (``patients.name``, not part of the
course record); the birth date and the clinic's own number (the record's ``patient.id``)
are the latest patient details in the log that were not marked entered in error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from isocourse.store.fold import ENTERED_IN_ERROR
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
    """Every patient of ``clinic_id`` with their name, birth date and record id."""
    correction = aliased(EventRow)
    retracted = select(correction.id).where(
        correction.kind == ENTERED_IN_ERROR, correction.corrects_event_id == EventRow.id
    )
    query = (
        select(EventRow.patient_id, EventRow.payload, PatientRow.name)
        .join(PatientRow, PatientRow.id == EventRow.patient_id)
        .where(PatientRow.clinic_id == clinic_id, EventRow.kind == _DETAILS, ~retracted.exists())
        .order_by(EventRow.sequence)
    )
    latest: dict[str, tuple[dict[str, Any], str | None]] = {}
    for patient_id, payload, name in session.execute(query):
        latest[patient_id] = (payload, name)
    return [
        PatientListing(patient_id, str(details.get("id", "")), details.get("birth_date"), name)
        for patient_id, (details, name) in latest.items()
    ]


def patient_name(session: Session, patient_id: str) -> str | None:
    """The name the clinic gave the patient, if any."""
    return session.scalar(select(PatientRow.name).where(PatientRow.id == patient_id))
