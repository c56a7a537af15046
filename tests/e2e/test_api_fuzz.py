"""schemathesis on the API, in-process: stateless generated requests per operation, and
stateful sequences (links inferred from the schema: enrol a patient, then use its id),
both signed in as a prescriber. No answer is a server error, and every refusal says
what is wrong: a 422 names the field, any other 4xx carries the one error shape (or
FastAPI's ``detail``). The number of requests sent is recorded as a security figure."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from isocourse.api import create_app
from isocourse.auth.users import add_user
from isocourse.settings import Settings
from isocourse.store.database import migrate
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, demo
from tests.security_figures import add_to_figure

_DATA_DIR = Path(tempfile.mkdtemp(prefix="isocourse-fuzz-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
_SETTINGS = Settings(data_dir=_DATA_DIR)
migrate(_SETTINGS.sqlalchemy_url())
APP = create_app(_SETTINGS, clock=lambda: NOW)
add_user(
    APP.state.wiring.system.store,
    email="doc@fuzz.test",
    role="prescriber",
    clinic_id="fuzz",
    password=PASSWORD,
    now=NOW,
)
with TestClient(APP) as _client:
    _form = {"username": "doc@fuzz.test", "password": PASSWORD}
    _TOKEN = _client.post("/api/v1/auth/token", data=_form).json()["access_token"]
    _client.post(
        "/api/v1/patients", json=demo(ALLOWED_DEMO), headers={"Authorization": f"Bearer {_TOKEN}"}
    )
AUTH = {"Authorization": f"Bearer {_TOKEN}"}

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def refusal_names_the_problem(_ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx says what is wrong; a 422 names the field (``field`` or FastAPI's ``loc``)."""
    add_to_figure("requests fuzzed (schemathesis)")
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    where = f"{case.method} {case.path} -> {response.status_code}: {body}"
    if "error" in body:
        error = body["error"]
        assert error.get("code") and error.get("message"), where
        if response.status_code == 422:
            assert error.get("field"), where
        return None
    assert "detail" in body, where
    if response.status_code == 422:
        details = body["detail"]
        assert isinstance(details, list) and all(d.get("loc") for d in details), where
    return None


CHECKS = [not_a_server_error, refusal_names_the_problem]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_generated_requests_are_answered_and_every_refusal_names_the_problem(
    case: schemathesis.Case,
) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls where later ones use ids the earlier ones answered."""

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": AUTH}

    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS)


TestStatefulWorkflow = Workflow.TestCase
TestStatefulWorkflow.settings = settings(
    max_examples=15,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
