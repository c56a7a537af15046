"""Importing a course record and reading it back gives the same record and assessment
as ``isocourse evaluate`` on the original (demo patients and the example record)."""

from __future__ import annotations

from typing import Any

import pytest

from isocourse.assessment_json import assessment_to_json
from isocourse.knowledge.loader import load_knowledge
from isocourse.record_parser import course_record_from_json, course_record_to_json
from isocourse.rules import assess
from tests.clinic_support import TODAY, Clinic, demo_records, example_record


def varied_records() -> list[dict[str, Any]]:
    return [example_record(), *demo_records(TODAY)]


def evaluated(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    knowledge = load_knowledge()
    record = course_record_from_json(document, knowledge, today=TODAY)
    assessment = assess(record, knowledge, as_of=record.as_of)
    return course_record_to_json(record), assessment_to_json(assessment)


def test_every_imported_record_reads_back_with_the_same_record_and_assessment(
    clinic: Clinic,
) -> None:
    records = varied_records()
    assert len(records) >= 20
    for original in records:
        expected_record, expected_assessment = evaluated(original)
        patient_id = clinic.enrol(original)
        as_of = {"as_of": expected_record["as_of"]}
        headers = clinic.as_user("doc_a")
        url = f"/api/v1/patients/{patient_id}"
        stored = clinic.client.get(f"{url}/record", params=as_of, headers=headers).json()
        assessment = clinic.client.get(f"{url}/assessment", params=as_of, headers=headers).json()
        # the store names each prescription (its event's id); nothing else may differ
        assert all(isinstance(p.pop("id"), str) for p in stored["prescriptions"])
        assert [p.pop("id") for p in expected_record["prescriptions"]] == [None] * len(
            stored["prescriptions"]
        )
        assert stored == expected_record
        assert assessment == expected_assessment


def test_an_invalid_record_is_refused_naming_the_field(clinic: Clinic) -> None:
    document = example_record()
    document["weights"][0]["value"] = -3
    response = clinic.client.post(
        "/api/v1/patients", json=document, headers=clinic.as_user("doc_a")
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "weights[0].value"


@pytest.mark.parametrize("missing", ["format", "patient"])
def test_a_record_missing_a_required_part_is_refused(clinic: Clinic, missing: str) -> None:
    document = example_record()
    del document[missing]
    response = clinic.client.post(
        "/api/v1/patients", json=document, headers=clinic.as_user("doc_a")
    )
    assert response.status_code == 422
