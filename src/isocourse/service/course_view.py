"""What a prescriber's course page shows beside the assessment: entries waiting for a
clinician's review, and where each written prescription stands (pure: a record in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord, ReviewKind
from isocourse.rules.interactions import unreviewed_medications
from isocourse.rules.supply import PrescriptionState, prescription_states
from isocourse.rules.symptoms import review_key, unreviewed_symptoms


@dataclass(frozen=True)
class PendingReview:
    """Free text the program could not map, waiting for a clinician to read it."""

    kind: ReviewKind
    text: str
    since: date


def pending_reviews(record: CourseRecord, knowledge: Knowledge, today: date) -> list[PendingReview]:
    """The medications and symptom texts that block until reviewed, oldest first."""
    found = [
        PendingReview("medication", medication.name, medication.start)
        for medication in unreviewed_medications(record, knowledge, today)
    ]
    found += [
        PendingReview("symptom", review_key(entry), entry.date)
        for entry in unreviewed_symptoms(record, knowledge, today)
    ]
    unique = {(review.kind, review.text): review for review in found}
    return sorted(unique.values(), key=lambda review: review.since)


def written_prescriptions(
    record: CourseRecord, knowledge: Knowledge, today: date
) -> list[PrescriptionState]:
    """Each written prescription, newest first, with its state today."""
    return prescription_states(record, knowledge, today)
