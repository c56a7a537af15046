"""``GET /api/v1/schemas/{name}``: the published JSON Schemas, without signing in."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from isocourse.formats import SCHEMAS, json_schema
from tests.clinic_support import ALLOWED_DEMO, Clinic, demo


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_served_to_anyone_as_generated(clinic: Clinic, name: str) -> None:
    answer = clinic.client.get(f"/api/v1/schemas/{name}")  # no Authorization header
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/schema+json")
    assert json.loads(answer.content) == json_schema(name)


def test_an_unknown_schema_is_a_404_in_the_apis_error_shape(clinic: Clinic) -> None:
    answer = clinic.client.get("/api/v1/schemas/patient-secrets")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "NOT_FOUND" and "course-record" in error["message"]


def test_the_served_schemas_describe_what_the_api_takes_and_gives(clinic: Clinic) -> None:
    record = demo(ALLOWED_DEMO)
    record_schema = clinic.client.get("/api/v1/schemas/course-record").json()
    Draft202012Validator(record_schema).validate(record)
    answer = clinic.client.post("/api/v1/evaluate", json=record, headers=clinic.as_user("doc_a"))
    assert answer.status_code == 200, answer.text
    assessment_schema = clinic.client.get("/api/v1/schemas/assessment").json()
    Draft202012Validator(assessment_schema).validate(answer.json())
