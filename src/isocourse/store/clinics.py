"""Clinics as stored: each holds its patients and users, and says whether its
prescribers and admins must sign in with a second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from isocourse.store.tables import Clinic


@dataclass(frozen=True)
class StoredClinic:
    id: str
    name: str
    require_second_factor: bool


def clinic_by_id(session: Session, clinic_id: str) -> StoredClinic | None:
    row = session.get(Clinic, clinic_id)
    if row is None:
        return None
    return StoredClinic(row.id, row.name, bool(row.require_second_factor))


def add_clinic_if_new(
    session: Session, clinic_id: str, now: datetime, *, name: str | None = None
) -> None:
    """The clinic, named ``name`` (by default its id), unless it is stored already."""
    if session.get(Clinic, clinic_id) is None:
        session.add(Clinic(id=clinic_id, name=clinic_id if name is None else name, created_at=now))
        session.flush()


def set_second_factor_required(session: Session, clinic_id: str, required: bool) -> bool:
    """Turn the clinic's requirement on or off; False when there is no such clinic."""
    row = session.get(Clinic, clinic_id)
    if row is None:
        return False
    row.require_second_factor = required
    return True
