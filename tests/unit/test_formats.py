"""The published JSON Schemas: they accept every record the tests treat as valid (and
every assessment those records give), refuse what is malformed, and the copies in
docs/schemas/ are the generated ones."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

import tests.unit
from isocourse.assessment_json import assessment_to_json
from isocourse.demo_patients import demo_records
from isocourse.formats import DIALECT, SCHEMAS, json_schema, schema_file_name, schema_text
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess
from isocourse.synth import synth_records
from tests.builders import DELETE, AlertCase, record_json
from tests.unit import programme_records as programme

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
DOCS_SCHEMAS = ROOT / "docs" / "schemas"
TODAY = date(2026, 3, 15)
KNOWLEDGE = load_knowledge()

#: the 2026-12 additions, all at once: who recorded each entry, a clinician's review,
#: prescriptions with ids (one cancelled), and a dispense naming its prescription
TRUST_ADDITIONS: dict[str, Any] = {
    "weights": [{"date": "2026-01-10", "value": 62, "unit": "kg", "source": "patient"}],
    "labs": [
        {"date": "2026-01-05", "test": "alt", "value": 31, "unit": "U/L", "source": "lab"},
    ],
    "medications": [{"name": "mystery tonic", "start": "2026-02-01", "source": "patient"}],
    "reviews": [
        {
            "date": "2026-02-03",
            "kind": "medication",
            "text": "mystery tonic",
            "outcome": "not_relevant",
        }
    ],
    "prescriptions": [
        {"id": "rx-1", "date": "2026-02-14", "days_supply": 30, "mg_per_day": 60},
        {"id": "rx-2", "date": "2026-02-20", "days_supply": 30, "cancelled": "2026-02-21"},
    ],
    "dispenses": [{"date": "2026-02-15", "days_supply": 30, "prescription_id": "rx-1"}],
}


def alert_cases() -> list[AlertCase]:
    """Every module's ALERT_CASES, as test_alert_catalogue gathers them (which imports
    every test module, this one included: hence not imported from there)."""
    cases: list[AlertCase] = []
    for found in pkgutil.iter_modules(tests.unit.__path__):
        if found.name.startswith("test_") and found.name not in {__name__.rsplit(".", 1)[1]}:
            module = importlib.import_module(f"tests.unit.{found.name}")
            cases.extend(getattr(module, "ALERT_CASES", []))
    return cases


def validator(name: str) -> Draft202012Validator:
    schema = json_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


RECORD = validator("course-record")
ASSESSMENT = validator("assessment")


def valid_records() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, document) of every kind of record the tests build and accept."""
    for path in EXAMPLES:
        yield f"examples/{path.name}", json.loads(path.read_text(encoding="utf-8"))
    yield "builders.BASE", record_json()
    yield "builders.BASE without as_of", record_json(as_of=DELETE)
    yield "2026-12 additions", record_json(**TRUST_ADDITIONS)
    for helper in (programme.us, programme.eu, programme.uk, programme.us_first):
        yield f"programme_records.{helper.__name__}", record_json(**helper())
    yield "programme_records.eu_first", record_json(**programme.eu_first())
    yield "programme_records.uk_first_on", record_json(**programme.uk_first_on("2026-03-15"))
    for case in alert_cases():
        yield f"{case.id} fires", record_json(**case.fires)
        yield f"{case.id} quiet", record_json(**case.quiet)
    for day in (TODAY, date(2026, 9, 1)):
        for index, document in enumerate(demo_records(day)):
            yield f"demo {day} #{index}", document
    for index, document in enumerate(synth_records(150, seed=20, today=TODAY)):
        yield f"synth #{index}", document


RECORDS = list(valid_records())


def test_the_schemas_are_draft_2020_12_and_well_formed() -> None:
    for name in SCHEMAS:
        schema = json_schema(name)
        assert schema["$schema"] == DIALECT
        Draft202012Validator.check_schema(schema)


def test_there_are_records_of_every_kind() -> None:
    names = {name.split(" ")[0].split("#")[0] for name, _ in RECORDS}
    assert {"examples/course-record.json", "builders.BASE", "2026-12", "synth"} <= names
    assert len(RECORDS) > 300


@pytest.mark.parametrize(("name", "document"), RECORDS, ids=[name for name, _ in RECORDS])
def test_the_record_schema_accepts_a_valid_record_and_its_assessment_schema_its_answer(
    name: str, document: dict[str, Any]
) -> None:
    record = course_record_from_json(document, KNOWLEDGE, today=TODAY)  # the parser agrees
    RECORD.validate(document)
    assessment = assess(record, KNOWLEDGE, as_of=record.as_of)
    ASSESSMENT.validate(assessment_to_json(assessment))
    ASSESSMENT.validate(assessment_to_json(assessment, explain=True))


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"nickname": "Al"}, "an unknown field"),
        ({"weights": [{"date": "2026-01-10", "value": "62", "unit": "kg"}]}, "a number as text"),
        ({"weights": [{"date": "2026-01-10", "value": 62, "unit": "stone"}]}, "an unknown unit"),
        ({"patient": DELETE}, "a missing patient"),
        ({"format": "isocourse.course/2"}, "another format"),
        ({"doses": [{"start": "15/01/2026", "mg_per_day": 40}]}, "a date not in ISO form"),
        ({"dispenses": [{"date": "2026-02-15", "days_supply": 30, "by": "x"}]}, "an extra key"),
        ({"weights": [{"date": "2026-01-10", "value": 62, "unit": "kg", "source": "x"}]}, "source"),
    ],
)
def test_the_record_schema_refuses_a_malformed_record(change: dict[str, Any], what: str) -> None:
    with pytest.raises(ValidationError):
        RECORD.validate(record_json(**change))


def test_the_assessment_schema_refuses_a_malformed_assessment() -> None:
    (_, document), *_ = RECORDS
    record = course_record_from_json(document, KNOWLEDGE, today=TODAY)
    answer = assessment_to_json(assess(record, KNOWLEDGE, as_of=record.as_of))
    for broken in (
        {**answer, "unexpected": 1},
        {**answer, "format": "isocourse.assessment/2"},
        {**answer, "dispense": {**answer["dispense"], "allowed": "yes"}},
        {key: value for key, value in answer.items() if key != "alerts"},
    ):
        with pytest.raises(ValidationError):
            ASSESSMENT.validate(broken)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_documentation_copy_of_each_schema_is_current(name: str) -> None:
    path = DOCS_SCHEMAS / schema_file_name(name)
    assert path.is_file(), f"{path} missing: run `isocourse schema --write docs/schemas`"
    assert path.read_text(encoding="utf-8") == schema_text(name), (
        f"{path} drifted from the model: run `isocourse schema --write docs/schemas`"
    )


def test_the_documentation_keeps_no_schema_that_is_not_generated() -> None:
    kept = {path.name for path in DOCS_SCHEMAS.glob("*.json")}
    assert kept == {schema_file_name(name) for name in SCHEMAS}
