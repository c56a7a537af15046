"""Each patient's latest stored assessment: build the rows, upsert them, read fresh ones.

A stored assessment is a cache of the pure evaluation. It is used for a day only
while it is *fresh*: made for that day, over the patient's events up to the last
one still, under the same clinical knowledge (its digest). Otherwise the caller
recomputes from the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from isocourse import __version__
from isocourse.assessment import SEVERITIES, Assessment
from isocourse.assessment_json import assessment_from_json, assessment_to_json
from isocourse.knowledge.model import Knowledge
from isocourse.store.tables import EventRow, LatestAssessmentRow
from isocourse.worklist import worklist

_LATEST = LatestAssessmentRow.__table__
_DIGESTS: dict[int, tuple[Knowledge, str]] = {}
#: the stored JSON form's version, part of the digest: a row written by a program whose
#: form differs is stale. 2: written by ``assessment_to_json``, every field kept (form 1
#: dropped the alerts' ``since``, so the work-list order from stored rows differed).
_STORED_FORM = 2


@dataclass(frozen=True)
class AssessedPatient:
    """One patient's outcome from a re-assessment run, ready to store."""

    patient_id: str
    clinic_id: str
    events_through: int
    assessment: Assessment | None
    error: str | None


def knowledge_digest(knowledge: Knowledge) -> str:
    """A short digest of the program version, the stored form and the clinical knowledge."""
    kept = _DIGESTS.get(id(knowledge))
    if kept is None or kept[0] is not knowledge:
        text = f"{__version__}\n{_STORED_FORM}\n{knowledge!r}"
        kept = (knowledge, hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])
        _DIGESTS[id(knowledge)] = kept
    return kept[1]


def latest_row(
    patient: AssessedPatient, *, as_of: date, digest: str, assessed_at: datetime
) -> dict[str, Any]:
    """The ``latest_assessments`` row for one outcome (an invalid record ranks first)."""
    assessment = patient.assessment
    row: dict[str, Any] = {
        "patient_id": patient.patient_id,
        "clinic_id": patient.clinic_id,
        "as_of": as_of,
        "tier_rank": 0,
        "top_severity": None,
        "blocking": True,
        "window_closes": None,
        "assessment": None if assessment is None else assessment_to_json(assessment),
        "error": patient.error,
        "events_through": patient.events_through,
        "knowledge_digest": digest,
        "assessed_at": assessed_at,
    }
    if assessment is not None:
        row["tier_rank"] = worklist([assessment], as_of)[0].rank[0]
        row["top_severity"] = top_severity(assessment)
        row["blocking"] = not assessment.dispense.allowed
        row["window_closes"] = assessment.dispense.window_closes
    return row


def top_severity(assessment: Assessment) -> str | None:
    ranks = [SEVERITIES.index(alert.severity) for alert in assessment.alerts]
    return SEVERITIES[max(ranks)] if ranks else None


def upsert_latest(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or replace these patients' latest assessments (one executemany)."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_LATEST)
    replaced = {c.name: statement.excluded[c.name] for c in _LATEST.c if c.name != "patient_id"}
    connection.execute(
        statement.on_conflict_do_update(index_elements=["patient_id"], set_=replaced),
        list(rows),
    )


def fresh_assessments(
    session: Session, clinic_id: str, today: date, knowledge: Knowledge
) -> dict[str, Assessment]:
    """The clinic's stored assessments that are still fresh for ``today``, by patient id.

    A stored row that does not read back as an assessment is left out, so the caller
    computes that patient's assessment from the events instead."""
    last_event = (
        select(func.max(EventRow.sequence))
        .where(EventRow.patient_id == LatestAssessmentRow.patient_id)
        .scalar_subquery()
    )
    query = select(LatestAssessmentRow.patient_id, LatestAssessmentRow.assessment).where(
        LatestAssessmentRow.clinic_id == clinic_id,
        LatestAssessmentRow.as_of == today,
        LatestAssessmentRow.knowledge_digest == knowledge_digest(knowledge),
        LatestAssessmentRow.error.is_(None),
        LatestAssessmentRow.events_through == last_event,
    )
    fresh: dict[str, Assessment] = {}
    for patient_id, document in session.execute(query):
        try:
            fresh[patient_id] = assessment_from_json(document if document is not None else {})
        except ValueError:
            continue  # unreadable (not a stored form of this program): computed afresh
    return fresh
