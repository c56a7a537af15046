"""Import an EHR's FHIR Bundle of lab, pregnancy-test and weight Observations, and the
medicines the patient takes (MedicationRequest, MedicationStatement, RxNorm-coded or
named), into a record.

One transaction: the mapped entries are added to the folded record, the whole record
must still validate, then each entry is appended as its event (``lab_result``,
``pregnancy_test``, ``weight``, ``medication``) with one audit entry. What cannot be
mapped exactly is reported (never guessed); an entry already in the record is reported, not doubled.

Each event's source is the one the importer found: ``patient`` for an Observation the
patient's side performed or supplied (so it never counts as the clinic's), else
``import``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from isocourse.errors import InvalidInput
from isocourse.fhir.importer import (
    BundleImportError,
    ImportResult,
    Unmapped,
    observations_from_bundle,
)
from isocourse.record import LabResult, Medication, PregnancyTest, Source, Weight
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.patients import folded_document, patient_for
from isocourse.service.unit_of_work import fingerprint, write_once
from isocourse.store.event_log import append_event

#: event kind -> the course-record list its entries join
IMPORTED_KINDS: Final = {
    "lab_result": "labs",
    "pregnancy_test": "pregnancy_tests",
    "weight": "weights",
    "medication": "medications",
}


@dataclass(frozen=True)
class RepeatedEntry:
    """An entry of the Bundle the record already has (not recorded again)."""

    kind: str
    entry: dict[str, Any]


@dataclass(frozen=True)
class BundleImport:
    """What an import recorded: how many entries of each kind, their events, the
    entries the record already had, and what could not be mapped exactly (with why)."""

    imported: dict[str, int]
    event_ids: tuple[str, ...]
    already_recorded: tuple[RepeatedEntry, ...]
    unmapped: tuple[Unmapped, ...]


def import_bundle(
    system: ClinicSystem, call: Call, patient_id: str, bundle: Any, *, subject: str | None = None
) -> BundleImport:
    """Append the Bundle's mappable Observations to the patient's record (prescriber)."""
    require_role(call.actor, "prescriber")
    try:
        result = observations_from_bundle(
            bundle, system.knowledge, subject=subject, today=call.today
        )
    except BundleImportError as error:
        raise InvalidInput("bundle", str(error)) from error

    found = _entries(result)

    def work(session: Session) -> BundleImport:
        patient_for(session, call.actor, patient_id)
        document = folded_document(session, patient_id, call.today)
        new, repeated = _split_new(document, [(kind, entry) for kind, entry, _ in found])
        _check_record(system, call, document, new)
        event_ids = [
            _append(session, call, patient_id, kind, entry, _source_of(found, kind, entry))
            for kind, entry in new
        ]
        counts = {kind: sum(k == kind for k, _ in new) for kind in IMPORTED_KINDS}
        detail = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        record_audit(session, call, "fhir.import", patient_id=patient_id, detail=detail)
        return BundleImport(
            counts,
            tuple(event_ids),
            tuple(RepeatedEntry(k, e) for k, e in repeated),
            result.unmapped,
        )

    key = fingerprint("fhir-import", patient_id, bundle, subject)
    return write_once(system, call, key, work, BundleImport)


def _entries(result: ImportResult) -> list[tuple[str, dict[str, Any], Source]]:
    found: list[tuple[str, LabResult | PregnancyTest | Weight | Medication]] = [
        *(("lab_result", lab) for lab in result.labs),
        *(("pregnancy_test", test) for test in result.pregnancy_tests),
        *(("weight", weight) for weight in result.weights),
        *(("medication", medication) for medication in result.medications),
    ]
    return [(kind, entry_json(asdict(entry)), entry.source) for kind, entry in found]


def _source_of(
    found: list[tuple[str, dict[str, Any], Source]], kind: str, entry: dict[str, Any]
) -> Source:
    """The source of a new entry: ``patient`` if any Observation that gave it was the
    patient's (failing closed when two give the same entry), else ``import``."""
    sources = {source for k, e, source in found if (k, e) == (kind, entry)}
    return "patient" if "patient" in sources else "import"


def entry_json(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record entry's content: dates as ISO text, absent optional values left out, and
    without who recorded it (the store writes ``source``), so that the same result
    recorded by anyone compares equal."""
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in fields.items()
        if value is not None and name != "source"
    }


def _split_new(
    document: Mapping[str, Any], entries: list[tuple[str, dict[str, Any]]]
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    new: list[tuple[str, dict[str, Any]]] = []
    repeated: list[tuple[str, dict[str, Any]]] = []
    for kind, entry in entries:
        present = [entry_json(e) for e in document[IMPORTED_KINDS[kind]]]
        seen = entry in present or (kind, entry) in new
        (repeated if seen else new).append((kind, entry))
    return new, repeated


def _check_record(
    system: ClinicSystem,
    call: Call,
    document: dict[str, Any],
    new: list[tuple[str, dict[str, Any]]],
) -> None:
    combined = {name: list(document[name]) for name in IMPORTED_KINDS.values()}
    for kind, entry in new:
        combined[IMPORTED_KINDS[kind]].append(entry)
    try:
        course_record_from_json({**document, **combined}, system.knowledge, today=call.today)
    except RecordError as error:
        raise InvalidInput(f"bundle ({error.field})", error.message) from error


def _append(
    session: Session,
    call: Call,
    patient_id: str,
    kind: str,
    entry: dict[str, Any],
    source: Source,
) -> str:
    row = append_event(
        session,
        patient_id=patient_id,
        kind=kind,
        payload=entry,
        recorded_at=call.now,
        recorded_by=call.actor.user_id,
        source=source,  # another system's entry (FHIR), or the patient's own
    )
    return row.id
