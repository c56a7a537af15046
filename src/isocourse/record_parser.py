"""The door for course records: JSON in, a validated :class:`CourseRecord` out.

pydantic validates the core's own dataclasses (strict: nothing is coerced or
guessed); the checks that need the knowledge (programmes, products, lab tests, plausible
weights) follow. Every refusal names the field.

Errors::

    RecordError        the record is invalid; ``field`` names where, ``message`` why
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, fields, is_dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from typing import Any

from pydantic import TypeAdapter, ValidationError

from isocourse.knowledge.model import Knowledge
from isocourse.record import COURSE_FORMAT, EARLIEST_DAY, LATEST_DAY, NO_PROGRAMME, CourseRecord
from isocourse.rules.course_facts import weight_in_kg

_PHQ_LENGTH = {"phq9": 9, "phq2": 2}
_PHQ_ITEM_MAX = 3
PATIENT_ID_MAX = 64
MEDICATION_NAME_MAX = 200
FREE_TEXT_MAX = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RecordError(ValueError):
    """An invalid course record. ``field`` is a path such as ``weights[0].value``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid course record: field '{field}': {message}")
        self.field = field
        self.message = message


@cache
def _adapter() -> TypeAdapter[CourseRecord]:
    return TypeAdapter(CourseRecord)


def parse_course_record(text: str | bytes, knowledge: Knowledge, *, today: date) -> CourseRecord:
    """Parse one JSON course record; ``today`` fills a missing ``as_of``."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise RecordError("(document)", f"not valid JSON: {error}") from error
    return course_record_from_json(document, knowledge, today=today)


def course_record_from_json(document: Any, knowledge: Knowledge, *, today: date) -> CourseRecord:
    """Validate an already-decoded JSON document (dict) into a course record."""
    if not isinstance(document, dict):
        raise RecordError("(document)", "a course record is a JSON object")
    if "as_of" not in document:
        document = {**document, "as_of": today.isoformat()}
    if document.get("format") != COURSE_FORMAT:
        raise RecordError("format", f"must be {COURSE_FORMAT!r}")
    try:
        text = json.dumps(document)
    except (ValueError, RecursionError) as error:
        raise RecordError("(document)", str(error)) from error
    return course_record_from_text(text, knowledge)


def course_record_from_text(text: str, knowledge: Knowledge) -> CourseRecord:
    """Validate a JSON course record that carries its ``format`` and ``as_of`` (as the
    store's fold writes it) without decoding it first: the bulk path."""
    try:
        record = _adapter().validate_json(text, strict=True)
    except ValidationError as error:
        raise _first_problem(error) from error
    except (ValueError, RecursionError) as error:
        raise RecordError("(document)", str(error)) from error
    _check_against_knowledge(record, knowledge)
    return record


def course_record_to_json(record: CourseRecord) -> dict[str, Any]:
    """The JSON form of a record (the inverse of the parser)."""
    document: dict[str, Any] = json.loads(json.dumps(asdict(record), default=_json_default))
    return document


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _first_problem(error: ValidationError) -> RecordError:
    problem = error.errors(include_url=False)[0]
    return RecordError(_path(problem["loc"]), _plain(problem))


def _path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part:
            continue  # validator labels such as "function-after[...]"; not part of the field
        else:
            path += f".{part}" if path else part
    return path or "(document)"


def _plain(problem: Any) -> str:
    kind = problem["type"]
    if kind == "extra_forbidden":
        return "unknown field (not part of the course-record format)"
    if kind == "missing":
        return "required field is missing"
    if kind.startswith("date"):
        return f"not a valid calendar date (YYYY-MM-DD): {problem['input']!r}"
    if kind == "literal_error":
        return f"unknown value {problem['input']!r}; {problem['msg'].lower()}"
    if kind == "finite_number":
        return "must be a finite number (not NaN or Infinity)"
    return str(problem["msg"])


def _check_against_knowledge(record: CourseRecord, knowledge: Knowledge) -> None:
    programmes = knowledge.programmes
    if not programmes.is_known(record.programme):
        raise RecordError(
            "programme",
            f"unknown programme {record.programme!r}; one of {', '.join(programmes.choices())}",
        )
    if record.course.product not in knowledge.products.products:
        known = ", ".join(sorted(knowledge.products.products))
        raise RecordError(
            "course.product", f"unknown product {record.course.product!r}; one of {known}"
        )
    if record.programme != NO_PROGRAMME and record.patient.can_get_pregnant is None:
        raise RecordError(
            "patient.can_get_pregnant", f"required under programme {record.programme!r}"
        )
    if record.course.target_mg_per_kg is not None and record.course.target_mg_per_kg <= 0:
        raise RecordError("course.target_mg_per_kg", "must be above 0")
    _check_dates(record)
    _check_texts(record)
    _check_weights(record, knowledge)
    _check_periods(record)
    _check_overlapping_doses(record)
    _check_amounts(record, knowledge)
    _check_labs(record, knowledge)
    _check_mood(record)
    _check_symptoms(record, knowledge)
    _check_acne(record)


def _check_weights(record: CourseRecord, knowledge: Knowledge) -> None:
    limit = knowledge.course.weight_max_kg.value
    for index, weight in enumerate(record.weights):
        if weight.value <= 0:
            raise RecordError(f"weights[{index}].value", "a weight must be above 0")
        if weight_in_kg(weight, knowledge) > limit:
            raise RecordError(f"weights[{index}].value", f"implausible weight (over {limit:g} kg)")


def _check_periods(record: CourseRecord) -> None:
    spans: list[tuple[str, Any]] = [
        *((f"doses[{i}]", p) for i, p in enumerate(record.doses)),
        *((f"contraception[{i}]", c) for i, c in enumerate(record.contraception)),
        *((f"medications[{i}]", m) for i, m in enumerate(record.medications)),
    ]
    for where, span in spans:
        if span.end is not None and span.end < span.start:
            raise RecordError(f"{where}.end", "ends before it starts")


def _check_amounts(record: CourseRecord, knowledge: Knowledge) -> None:
    mg_max = knowledge.course.mg_per_day_max.value
    supply_max = int(knowledge.course.days_supply_max.value)

    def milligrams(where: str, value: float) -> None:
        if not 0 < value <= mg_max:
            raise RecordError(where, f"must be above 0 and at most {mg_max:g} mg")

    def supply(where: str, value: int) -> None:
        if not 1 <= value <= supply_max:
            raise RecordError(where, f"a whole number of days from 1 to {supply_max}")

    for index, period in enumerate(record.doses):
        milligrams(f"doses[{index}].mg_per_day", period.mg_per_day)
    for index, missed in enumerate(record.missed_doses):
        milligrams(f"missed_doses[{index}].mg", missed.mg)
    prescriptions = [(f"prescriptions[{i}]", p) for i, p in enumerate(record.prescriptions)]
    if record.proposed_prescription is not None:
        prescriptions.append(("proposed_prescription", record.proposed_prescription))
    for where, prescription in prescriptions:
        supply(f"{where}.days_supply", prescription.days_supply)
        if prescription.mg_per_day is not None:
            milligrams(f"{where}.mg_per_day", prescription.mg_per_day)
    for index, dispense in enumerate(record.dispenses):
        supply(f"dispenses[{index}].days_supply", dispense.days_supply)


def _check_overlapping_doses(record: CourseRecord) -> None:
    """Two dose periods may not share a day (each day has one dose). The error names the
    one listed later (the newer entry) and the period it overlaps."""
    ordered = sorted(enumerate(record.doses), key=lambda item: (item[1].start, item[0]))
    for (first_index, first), (second_index, second) in pairwise(ordered):
        if first.end is None or first.end >= second.start:
            (named, _), (other, overlapped) = sorted(
                ((first_index, first), (second_index, second)), key=lambda item: -item[0]
            )
            until = "open-ended" if overlapped.end is None else f"to {overlapped.end.isoformat()}"
            raise RecordError(
                f"doses[{named}]",
                f"overlaps doses[{other}] (from {overlapped.start.isoformat()} {until}); "
                "end the earlier period the day before the next one starts",
            )


def _check_dates(record: CourseRecord) -> None:
    for where, day in _dates(record, ""):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise RecordError(
                where,
                f"{day.isoformat()} is outside {EARLIEST_DAY.isoformat()} to "
                f"{LATEST_DAY.isoformat()}",
            )


def _dates(value: object, where: str) -> list[tuple[str, date]]:
    """Every date in the record, with its field path."""
    if isinstance(value, date):
        return [(where, value)]
    if isinstance(value, tuple):
        return [found for i, item in enumerate(value) for found in _dates(item, f"{where}[{i}]")]
    if is_dataclass(value):
        prefix = f"{where}." if where else ""
        return [
            found
            for field in fields(value)
            for found in _dates(getattr(value, field.name), prefix + field.name)
        ]
    return []


def _check_texts(record: CourseRecord) -> None:
    patient_id = record.patient.id
    if not patient_id.strip() or len(patient_id) > PATIENT_ID_MAX:
        raise RecordError("patient.id", f"1 to {PATIENT_ID_MAX} characters, not blank")
    if _CONTROL.search(patient_id):
        raise RecordError("patient.id", "must not contain a line break or control character")
    for index, medication in enumerate(record.medications):
        _text_length(f"medications[{index}].name", medication.name, MEDICATION_NAME_MAX)
    for index, symptom in enumerate(record.symptoms):
        if symptom.text is not None:
            _text_length(f"symptoms[{index}].text", symptom.text, FREE_TEXT_MAX)
    for index, review in enumerate(record.reviews):
        _text_length(f"reviews[{index}].text", review.text, FREE_TEXT_MAX)


def _text_length(where: str, text: str, limit: int) -> None:
    if not text.strip():
        raise RecordError(where, "must not be blank")
    if len(text) > limit:
        raise RecordError(where, f"at most {limit:,} characters (got {len(text):,})")


def _check_labs(record: CourseRecord, knowledge: Knowledge) -> None:
    for index, lab in enumerate(record.labs):
        if knowledge.labs.resolve(lab.test) is None:
            raise RecordError(f"labs[{index}].test", f"unknown lab test {lab.test!r}")
        if lab.value < 0:
            raise RecordError(f"labs[{index}].value", "a lab value cannot be negative")


def _check_mood(record: CourseRecord) -> None:
    for index, screen in enumerate(record.mood_screens):
        expected = _PHQ_LENGTH[screen.instrument]
        if len(screen.items) != expected:
            raise RecordError(
                f"mood_screens[{index}].items",
                f"{screen.instrument} has {expected} items, got {len(screen.items)}",
            )
        for item_index, item in enumerate(screen.items):
            if not 0 <= item <= _PHQ_ITEM_MAX:
                raise RecordError(
                    f"mood_screens[{index}].items[{item_index}]", "each item is scored 0 to 3"
                )


def _check_symptoms(record: CourseRecord, knowledge: Knowledge) -> None:
    for index, symptom in enumerate(record.symptoms):
        if symptom.text is None and symptom.code is None:
            raise RecordError(f"symptoms[{index}]", "give the patient's text or a catalogue code")
        if symptom.code is not None and symptom.code not in knowledge.symptoms.codes():
            raise RecordError(f"symptoms[{index}].code", f"unknown symptom code {symptom.code!r}")


def _check_acne(record: CourseRecord) -> None:
    for index, visit in enumerate(record.acne_assessments):
        counts = {
            "nodules": visit.nodules,
            "inflammatory_lesions": visit.inflammatory_lesions,
            "global_score": visit.global_score,
        }
        if all(value is None for value in counts.values()):
            raise RecordError(
                f"acne_assessments[{index}]", "give at least one of " + ", ".join(counts)
            )
        for name, value in counts.items():
            if value is not None and value < 0:
                raise RecordError(f"acne_assessments[{index}].{name}", "must be 0 or more")
        if visit.global_score is not None and visit.global_score > 4:
            raise RecordError(
                f"acne_assessments[{index}].global_score", "scored 0 (clear) to 4 (severe)"
            )
