"""Shared helpers for the FHIR tests: demo patients, exported bundles, validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhirclient.models.bundle import Bundle as ClientBundle  # type: ignore[import-untyped]

from isocourse.assessment import Assessment
from isocourse.demo_patients import demo_records
from isocourse.fhir.export import course_bundle
from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import course_record_from_json
from isocourse.rules import assess

TODAY = date(2026, 3, 15)
KNOWLEDGE: Knowledge = load_knowledge()


@dataclass(frozen=True)
class Course:
    record: CourseRecord
    assessment: Assessment


def course_of(document: dict[str, Any]) -> Course:
    record = course_record_from_json(document, KNOWLEDGE, today=TODAY)
    return Course(record, assess(record, KNOWLEDGE, as_of=record.as_of))


def demo_courses() -> list[Course]:
    return [course_of(document) for document in demo_records(TODAY)]


def bundle_of(course: Course, **options: Any) -> dict[str, Any]:
    return course_bundle(course.record, course.assessment, KNOWLEDGE, **options)


def validate(bundle: dict[str, Any]) -> None:
    """Validate with fhir.resources (R4B models) resource by resource, then read with fhirclient."""
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    ClientBundle(bundle, strict=True)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
