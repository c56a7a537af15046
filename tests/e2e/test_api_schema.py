"""schemathesis (in-process, against the OpenAPI schema): generated requests from a signed-in
prescriber never meet a server error, and answers match the documented status codes and
the documented schemas (every answer of the clinical API has one: not a bare object)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from isocourse.api import create_app
from isocourse.auth.users import add_user
from isocourse.settings import Settings
from isocourse.store.database import migrate
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, demo

pytestmark = pytest.mark.slow  # fuzzes the API from its OpenAPI schema (schemathesis)

_DATA_DIR = Path(tempfile.mkdtemp(prefix="isocourse-schemathesis-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
_SETTINGS = Settings(data_dir=_DATA_DIR)
migrate(_SETTINGS.sqlalchemy_url())
APP = create_app(_SETTINGS, clock=lambda: NOW)
_STORE = APP.state.wiring.system.store
add_user(_STORE, email="doc@s.test", role="prescriber", clinic_id="s", password=PASSWORD, now=NOW)
with TestClient(APP) as _client:
    _form = {"username": "doc@s.test", "password": PASSWORD}
    _TOKEN = _client.post("/api/v1/auth/token", data=_form).json()["access_token"]
    _client.post(
        "/api/v1/patients", json=demo(ALLOWED_DEMO), headers={"Authorization": f"Bearer {_TOKEN}"}
    )

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_never_answers_with_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_TOKEN}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


#: answers that are JSON documents of their own kind: a JSON Schema
FREE_FORM = frozenset({"/api/v1/schemas/{name}"})


def test_every_json_answer_of_the_api_has_a_schema_of_its_own() -> None:
    """Each success answer of ``/api/v1`` names its model (or a list of one)."""
    bare = []
    for path, operations in APP.openapi()["paths"].items():
        if not path.startswith("/api/v1") or path in FREE_FORM:
            continue
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                body = answer.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or body is None:
                    continue
                named = body.get("items", body)
                if "$ref" not in named:
                    bare.append(f"{method.upper()} {path} {status}: {body}")
    assert bare == []
