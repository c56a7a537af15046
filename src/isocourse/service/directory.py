"""Naming a patient outside the API: by the store's id or by the record's own patient id.

A laboratory or a clinician at a terminal knows the clinic's patient number (the
course record's ``patient.id``), not the store's UUID. :class:`PatientDirectory`
accepts either, within one clinic; a record patient id that two patients of the
clinic share is ambiguous and names nobody (use the store id for them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from isocourse.service.context import Call, ClinicSystem
from isocourse.store.patients import clinic_patient_ids, record_patient_ids


@dataclass(frozen=True)
class PatientDirectory:
    """One clinic's patients: store id -> itself, record patient id -> store ids."""

    store_ids: frozenset[str]
    by_record_id: dict[str, frozenset[str]]

    def resolve(self, name: str) -> str | None:
        """The store id ``name`` stands for, or None (unknown or ambiguous)."""
        if name in self.store_ids:
            return name
        found = self.by_record_id.get(name, frozenset())
        return next(iter(found)) if len(found) == 1 else None

    def is_ambiguous(self, name: str) -> bool:
        return name not in self.store_ids and len(self.by_record_id.get(name, ())) > 1


def clinic_directory(session: Session, clinic_id: str) -> PatientDirectory:
    """The clinic's patients, named by store id and by their latest record patient id
    (in ``session``'s snapshot)."""
    store_ids = frozenset(clinic_patient_ids(session, clinic_id))
    by_record_id: dict[str, set[str]] = {}
    for store_id, record_id in record_patient_ids(session, clinic_id).items():
        by_record_id.setdefault(record_id, set()).add(store_id)
    return PatientDirectory(store_ids, {name: frozenset(ids) for name, ids in by_record_id.items()})


def read_directory(system: ClinicSystem, call: Call) -> PatientDirectory:
    """The caller's clinic's patients, in a snapshot of its own (naming a patient at the
    command line; the use case then named checks the caller may see them)."""
    with system.store.reading() as session:
        return clinic_directory(session, call.actor.clinic_id)
