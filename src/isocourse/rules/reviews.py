"""Clinicians' reviews of free text the program could not map (``reviews[]``).

An unrecognised medication name or symptom text blocks a prescription until a clinician
has read it and recorded a review of that text. How a review is matched to an entry:

- the same ``kind`` (``medication`` or ``symptom``);
- the same text: exact string equality after stripping surrounding white space. Case,
  inner spacing and punctuation must match: a review of "Zqxtrabolin" does not clear
  "zqxtrabolin 5 mg", because the clinician read the one and not the other;
- dated on or after the entry (a medication's ``start``, a symptom's ``date``) and on or
  before the day assessed: a review cannot have read an entry written after it;
- recorded by a clinician: ``source`` ``clinician`` only. A review whose source is
  ``patient``, ``lab`` or ``import`` never counts (fail closed: only a clinician's reading
  clears an unknown name).
"""

from __future__ import annotations

from datetime import date

from isocourse.record import CourseRecord, ReviewKind

REVIEWER_SOURCES = frozenset({"clinician"})


def review_text(text: str) -> str:
    """The form a text is compared in: surrounding white space stripped, nothing else."""
    return text.strip()


def is_reviewed(
    record: CourseRecord, kind: ReviewKind, text: str, since: date, as_of: date
) -> bool:
    """Has a clinician reviewed exactly ``text`` between ``since`` and ``as_of``?"""
    wanted = review_text(text)
    return any(
        review.kind == kind
        and review.source in REVIEWER_SOURCES
        and since <= review.date <= as_of
        and review_text(review.text) == wanted
        for review in record.reviews
    )
