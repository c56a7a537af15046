"""Evaluating a course record that is not stored: the record in, its assessment out.

The doors that take a record from outside (``POST /api/v1/evaluate``, ``isocourse
evaluate``, ``isocourse guide --record``) come here: the record is validated (every
refusal names the field) and assessed on its own ``as_of``. Nothing is stored, so
nothing is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from isocourse.assessment import Assessment
from isocourse.errors import InvalidInput
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import RecordError, course_record_from_json, parse_course_record
from isocourse.rules import assess


class InvalidRecord(InvalidInput):
    """A course record that does not validate: ``field`` names where (a path such as
    ``weights[0].value``), ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.reason = reason

    @property
    def words(self) -> str:
        """The refusal as a sentence of its own (the command line prints it)."""
        return f"invalid course record: field '{self.field}': {self.reason}"


@dataclass(frozen=True)
class Evaluation:
    """A record, validated, and its assessment on the record's ``as_of``."""

    record: CourseRecord
    assessment: Assessment


def evaluate_document(document: Any, knowledge: Knowledge, *, today: date) -> Evaluation:
    """Evaluate a decoded JSON course record (``today`` fills a missing ``as_of``);
    :class:`InvalidRecord` when it does not validate."""
    try:
        record = course_record_from_json(document, knowledge, today=today)
    except RecordError as error:
        raise InvalidRecord(error.field, error.message) from error
    return _evaluated(record, knowledge)


def evaluate_text(
    text: str | bytes, knowledge: Knowledge, *, today: Callable[[], date]
) -> Evaluation:
    """Evaluate one JSON course record as text; ``today()`` is asked for only when the
    record has no ``as_of`` of its own. :class:`InvalidRecord` when it does not validate
    (or is not JSON)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None  # not JSON: the parser names the problem
    dated = isinstance(document, dict) and "as_of" in document
    try:
        # a dated record never reads ``today``: the parser fills only a missing ``as_of``
        record = parse_course_record(text, knowledge, today=date.min if dated else today())
    except RecordError as error:
        raise InvalidRecord(error.field, error.message) from error
    return _evaluated(record, knowledge)


def _evaluated(record: CourseRecord, knowledge: Knowledge) -> Evaluation:
    return Evaluation(record, assess(record, knowledge, as_of=record.as_of))
