"""Import lab results from a laboratory's CSV file, in one transaction.

Rows name the patient by the clinic's patient number (the course record's
``patient.id``, what a laboratory knows) or by the store's id; a patient number two
patients of the clinic share names nobody (the row is rejected: use the store id).
A row whose result is already in the patient's record is rejected as a repeat, so
importing the same file twice records nothing the second time. All-or-nothing (the
default) writes nothing when any row is rejected; otherwise the valid rows are
written. Every patient written gets an audit entry, and so does the import itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from isocourse.errors import InvalidInput
from isocourse.lab_csv_parser import (
    AcceptedRow,
    LabImportError,
    LabImportReport,
    Progress,
    RejectedRow,
    plan_lab_import,
)
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.service.audit import record_audit
from isocourse.service.context import Call, ClinicSystem, require_role
from isocourse.service.directory import PatientDirectory, clinic_directory
from isocourse.service.observation_import import entry_json
from isocourse.service.patients import folded_document
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.event_log import append_event


@dataclass(frozen=True)
class LabCsvOutcome:
    accepted: tuple[AcceptedRow, ...]  # patient_id: the store id
    rejected: tuple[RejectedRow, ...]  # by line number
    written: int  # lab results appended to records

    @property
    def complete(self) -> bool:
        return not self.rejected


def import_lab_csv(
    system: ClinicSystem,
    call: Call,
    lines: Iterable[str],
    *,
    all_or_nothing: bool = True,
    progress: Progress | None = None,
) -> LabCsvOutcome:
    """Validate every row, then write the accepted ones (or none) in this one transaction."""
    require_role(call.actor, "prescriber")
    with unit_of_work(system) as session:
        directory = clinic_directory(session, call.actor.clinic_id)
        try:
            planned = plan_lab_import(
                lines,
                lambda name: directory.resolve(name) is not None,
                system.knowledge,
                all_or_nothing=all_or_nothing,
                today=call.today,
                progress=progress,
            )
        except LabImportError as error:
            raise InvalidInput("file", str(error)) from error
        outcome = _against_records(session, directory, planned, call.today)
        to_write = () if all_or_nothing and outcome.rejected else outcome.accepted
        for patient_id, rows in _by_patient(to_write).items():
            _write_patient(system, session, call, patient_id, rows)
        summary = f"{len(to_write)} written, {len(outcome.rejected)} rejected"
        record_audit(session, call, "labs.import", patient_id=None, detail=summary)
    return LabCsvOutcome(outcome.accepted, outcome.rejected, len(to_write))


def _against_records(
    session: Session, directory: PatientDirectory, planned: LabImportReport, today: date
) -> LabCsvOutcome:
    """Name rows by store id; reject repeats of what a record already holds."""
    rejected = [_explained(row, directory) for row in planned.rejected]
    accepted: list[AcceptedRow] = []
    stored: dict[str, list[dict[str, Any]]] = {}
    for row in planned.accepted:
        patient_id = directory.resolve(row.patient_id)
        assert patient_id is not None  # the plan accepted only names that resolve
        if patient_id not in stored:
            document = folded_document(session, patient_id, today)
            stored[patient_id] = [entry_json(lab) for lab in document["labs"]]
        if entry_json(asdict(row.result)) in stored[patient_id]:
            rejected.append(RejectedRow(row.line, "already in the patient's record"))
        else:
            accepted.append(AcceptedRow(row.line, patient_id, row.result))
    ordered = tuple(sorted(rejected, key=lambda r: r.line))
    return LabCsvOutcome(tuple(accepted), ordered, 0)


def _explained(row: RejectedRow, directory: PatientDirectory) -> RejectedRow:
    prefix = "unknown patient "
    if row.reason.startswith(prefix):
        name = row.reason[len(prefix) :].strip("'\"")
        if directory.is_ambiguous(name):
            reason = f"patient {name!r} names more than one patient here: use the isocourse id"
            return RejectedRow(row.line, reason)
    return row


def _by_patient(rows: Sequence[AcceptedRow]) -> Mapping[str, list[AcceptedRow]]:
    grouped: dict[str, list[AcceptedRow]] = {}
    for row in rows:
        grouped.setdefault(row.patient_id, []).append(row)
    return grouped


def _write_patient(
    system: ClinicSystem, session: Session, call: Call, patient_id: str, rows: list[AcceptedRow]
) -> None:
    document = folded_document(session, patient_id, call.today)
    entries = [entry_json(asdict(row.result)) for row in rows]
    try:
        course_record_from_json(
            {**document, "labs": [*document["labs"], *entries]}, system.knowledge, today=call.today
        )
    except RecordError as error:
        line = rows[0].line
        raise InvalidInput("file", f"patient of line {line}: {error.message}") from error
    for entry in entries:
        append_event(
            session,
            patient_id=patient_id,
            kind="lab_result",
            payload=entry,
            recorded_at=call.now,
            recorded_by=call.actor.user_id,
            source="lab",
        )
    record_audit(
        session, call, "labs.import", patient_id=patient_id, detail=f"{len(entries)} lab results"
    )
