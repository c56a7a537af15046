"""Patients as stored: each belongs to one clinic; their course is their events.

Reads and writes of the ``patients`` table for the use cases (who may see a patient is
the service's business: :func:`isocourse.service.patients.patient_for`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from isocourse.store.tables import EventRow, PatientRow


@dataclass(frozen=True)
class StoredPatient:
    id: str
    clinic_id: str
    created_at: datetime
    #: the name the clinic knows them by (None if it gave none)
    name: str | None = None


def patient_by_id(session: Session, patient_id: str) -> StoredPatient | None:
    row = session.get(PatientRow, patient_id)
    if row is None:
        return None
    return StoredPatient(row.id, row.clinic_id, row.created_at, row.name)


def add_patient(
    session: Session, patient_id: str, clinic_id: str, now: datetime, *, name: str | None = None
) -> None:
    """A new patient of the clinic (their events follow, in the same transaction)."""
    session.add(PatientRow(id=patient_id, clinic_id=clinic_id, created_at=now, name=name))
    session.flush()


def latest_record_patient_id(session: Session, patient_id: str) -> str:
    """The record's own patient id in the patient's latest details ("" if none)."""
    latest = session.scalar(
        select(EventRow.payload)
        .where(EventRow.patient_id == patient_id, EventRow.kind == "patient_details")
        .order_by(EventRow.sequence.desc())
        .limit(1)
    )
    return str((latest or {}).get("id", ""))


def clinic_patient_ids(session: Session, clinic_id: str) -> Iterator[str]:
    """The clinic's patients, in the order they were enrolled."""
    query = select(PatientRow.id).where(PatientRow.clinic_id == clinic_id)
    yield from session.scalars(query.order_by(PatientRow.created_at, PatientRow.id))


def clinic_patient_names(session: Session, clinic_id: str) -> dict[str, str | None]:
    """The clinic's patients -> the name the clinic gave each (None if none), in the
    order they were enrolled."""
    query = select(PatientRow.id, PatientRow.name).where(PatientRow.clinic_id == clinic_id)
    rows = session.execute(query.order_by(PatientRow.created_at, PatientRow.id))
    return {row.id: row.name for row in rows}


def all_patients(session: Session) -> list[tuple[str, str]]:
    """Every patient of every clinic (id, clinic id), in the order they were enrolled."""
    query = select(PatientRow.id, PatientRow.clinic_id).order_by(
        PatientRow.created_at, PatientRow.id
    )
    return [(patient_id, clinic_id) for patient_id, clinic_id in session.execute(query)]


def record_patient_ids(session: Session, clinic_id: str) -> dict[str, str]:
    """Each of the clinic's patients who has details recorded -> the record's own patient
    id in their latest details (the clinic's patient number)."""
    query = (
        select(EventRow.patient_id, EventRow.payload)
        .join(PatientRow, PatientRow.id == EventRow.patient_id)
        .where(PatientRow.clinic_id == clinic_id, EventRow.kind == "patient_details")
        .order_by(EventRow.sequence)
    )
    latest: dict[str, str] = {}
    for patient_id, payload in session.execute(query):
        latest[patient_id] = str(payload.get("id", ""))
    return latest
