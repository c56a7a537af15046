"""schemathesis on the API, in-process: every operation of the OpenAPI schema, fuzzed as
each role that may call it (``authorisation_policy.POLICY``: prescriber, pharmacist,
patient), stateless (positive and negative data: bodies, query, path and header
parameters) and stateful (sequences where later calls use ids earlier ones answered:
enrol, prescribe, verify, dispense). Path parameters are half the time the ids of a
real patient and prescription, so the generated queries and bodies reach the record,
not only the 404. No answer is a server error, and every refusal says what is wrong: a
422 names the field, any other 4xx carries the one error shape (or FastAPI's
``detail``). The number of requests sent is recorded as a security figure.

Budget: ``MAX_EXAMPLES`` per operation and role (stateless), ``STATEFUL_EXAMPLES``
sequences of up to 6 calls; about 20 s on two cores. ``ISOCOURSE_FUZZ_SCALE=10``
multiplies both (a longer run, e.g. before a release).
"""

from __future__ import annotations

import atexit
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import pytest
import schemathesis
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from joserfc import jwt
from joserfc.jwk import ECKey
from pydantic import TypeAdapter
from schemathesis.checks import not_a_server_error

from isocourse.api import create_app
from isocourse.auth.sessions import open_session
from isocourse.auth.tokens import sign_session_id
from isocourse.auth.users import add_user, user_by_email
from isocourse.record import EARLIEST_DAY, LATEST_DAY, CourseRecord
from isocourse.service.cds_clients import register_client
from isocourse.service.interop import FHIR_RESOURCE_TYPES
from isocourse.service.recording import PATIENT_KINDS
from isocourse.settings import Settings
from isocourse.store.database import migrate
from isocourse.store.fold import LATEST_KINDS, LIST_KINDS
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, demo
from tests.e2e.authorisation_policy import POLICY
from tests.fuzz_values import json_body, odd_json
from tests.security_figures import add_to_figure

pytestmark = pytest.mark.slow  # fuzzes every API operation at length (schemathesis)

SCALE: Final = max(1, int(os.environ.get("ISOCOURSE_FUZZ_SCALE", "1")))
MAX_EXAMPLES: Final = 20 * SCALE
STATEFUL_EXAMPLES: Final = 15 * SCALE
ROLES: Final = ("prescriber", "pharmacist", "patient")
#: the users' roles and the EHR that calls the CDS services with a signed JWT
CALLERS: Final = (*ROLES, "ehr")
EHR_ISSUER: Final = "https://ehr.fuzz.test"
PUBLIC_URL: Final = "http://fuzz.test"
EMAILS: Final = {
    "prescriber": "doc@fuzz.test",
    "pharmacist": "pharm@fuzz.test",
    "patient": "pat@fuzz.test",
}

_DATA_DIR = Path(tempfile.mkdtemp(prefix="isocourse-fuzz-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
_SETTINGS = Settings(data_dir=_DATA_DIR, public_url=PUBLIC_URL)
migrate(_SETTINGS.sqlalchemy_url())
APP = create_app(_SETTINGS, clock=lambda: NOW)
EHR_KEY: Final = ECKey.generate_key(
    "P-384", parameters={"kid": "fuzz-ehr", "alg": "ES384"}, private=True
)


def _user(email: str, role: str, patient_id: str | None = None) -> None:
    store = APP.state.wiring.system.store
    add_user(
        store,
        email=email,
        role=role,
        clinic_id="fuzz",
        password=PASSWORD,
        now=NOW,
        patient_id=patient_id,
    )


def _token(client: TestClient, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


_user(EMAILS["prescriber"], "prescriber")
_user(EMAILS["pharmacist"], "pharmacist")
with TestClient(APP) as _client:
    _doctor = _token(_client, EMAILS["prescriber"])
    _enrolled = _client.post("/api/v1/patients", json=demo(ALLOWED_DEMO), headers=_doctor)
    PATIENT_ID: Final[str] = _enrolled.json()["patient_id"]
    _written = _client.post(
        f"/api/v1/patients/{PATIENT_ID}/prescriptions",
        json={"days_supply": 30, "mg_per_day": 60},
        headers=_doctor,
    )
    PRESCRIPTION_ID: Final[str] = _written.json()["prescription_id"]
    _user(EMAILS["patient"], "patient", PATIENT_ID)
    AUTH: Final[dict[str, dict[str, str]]] = {
        "prescriber": _doctor,
        "pharmacist": _token(_client, EMAILS["pharmacist"]),
        "patient": _token(_client, EMAILS["patient"]),
    }

# the EHR's key, registered once the clinic exists (the first enrolment makes it)
register_client(
    APP.state.wiring.system,
    issuer=EHR_ISSUER,
    clinic_id="fuzz",
    now=NOW,
    jwks={"keys": [EHR_KEY.as_dict(private=False)]},
)

LOGOUT: Final = ("POST", "/api/v1/auth/logout")


def _session_of_its_own(role: str) -> dict[str, str]:
    """A new session of the role's user, opened in the store (not by signing in: the
    fuzzing of the sign-in may have locked the test client's address by then)."""
    wired = APP.state.wiring
    with wired.system.store.transaction() as session:
        user = user_by_email(session, EMAILS[role])
        assert user is not None
        opened = open_session(
            session, user.id, now=NOW, times=wired.session_times, address="fuzz-logout"
        )
    return {"Authorization": f"Bearer {sign_session_id(opened, secret=wired.secret)}"}


def _ehr_token(path: str) -> dict[str, str]:
    """A fresh JWT (its own ``jti``: a replay is refused) for the URL called."""
    epoch = int(NOW.timestamp())
    claims = {"iss": EHR_ISSUER, "aud": PUBLIC_URL + path, "exp": epoch + 300, "iat": epoch}
    claims["jti"] = str(uuid.uuid4())
    header = {"alg": "ES384", "kid": "fuzz-ehr", "typ": "JWT"}
    signed = jwt.encode(header, claims, EHR_KEY, algorithms=["ES384"])
    return {"Authorization": f"Bearer {signed}"}


def headers_for(role: str, case: schemathesis.Case) -> dict[str, str]:
    """The role's session for the operation; a logout ends the session it comes with,
    so each logout gets one of its own (the shared one would be refused from then on);
    the EHR signs each call for the URL it calls."""
    method, path = case.operation.method, case.operation.path
    if role == "ehr":
        return _ehr_token(unquote(case.formatted_path))
    if (method.upper(), path) == LOGOUT:
        return _session_of_its_own(role)
    return AUTH[role]


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

#: path parameters that name something real in the fuzz clinic
REAL_PATH_VALUES: Final[dict[str, st.SearchStrategy[str]]] = {
    "patient_id": st.just(PATIENT_ID),
    "prescription_id": st.just(PRESCRIPTION_ID),
    "resource_type": st.sampled_from(sorted(FHIR_RESOURCE_TYPES)),
    "resource_id": st.just(PATIENT_ID),
}


def _as_generated_or_with(
    generated: dict[str, Any], real: dict[str, st.SearchStrategy[str]]
) -> st.SearchStrategy[dict[str, Any]]:
    with_real = st.fixed_dictionaries(real).map(lambda values: {**generated, **values})
    return st.one_of(st.just(generated), with_real)


@schema.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """The generated path parameters, or (as often) the same with real ids in them."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {name: REAL_PATH_VALUES[name] for name in path_parameters if name in REAL_PATH_VALUES}
    if not real:
        return st.just(path_parameters)
    return _as_generated_or_with(path_parameters, real)


#: the schema cannot say a date's range (JSON Schema has no bounds for dates), so
#: generated dates are mostly outside 1900..2100: as often, one within, or the real one
IN_CALENDAR_DAYS: Final = st.dates(EARLIEST_DAY, LATEST_DAY).map(date.isoformat)
REAL_QUERY_VALUES: Final[dict[str, st.SearchStrategy[str]]] = {
    "as_of": st.one_of(IN_CALENDAR_DAYS, st.just(NOW.date().isoformat())),
    "birth_date": st.one_of(IN_CALENDAR_DAYS, st.just(demo(ALLOWED_DEMO)["patient"]["birth_date"])),
}


@schema.hook
def flatmap_query(_context: Any, query: dict[str, Any] | None) -> Any:
    """The generated query, or (as often) the same with real dates in it."""
    real = {name: REAL_QUERY_VALUES[name] for name in query or {} if name in REAL_QUERY_VALUES}
    if not real:
        return st.just(query)
    assert query is not None
    return _as_generated_or_with(query, real)


def may_call(role: str, method: str, path: str) -> bool:
    """Whether ``role`` may call the operation at all (for some patient), per the policy;
    the public operations (sign-in, health) are fuzzed once, as the prescriber."""
    rule = POLICY[(method.upper(), path)]
    if rule.public:
        return role == "prescriber"
    if rule.ehr:
        return role == "ehr"
    return bool(rule.allowed.get(role))


def schema_for(role: str) -> Any:
    def callable_by_role(context: Any) -> bool:
        return may_call(role, context.operation.method, context.operation.path)

    callable_by_role.__name__ = f"callable_by_{role}"
    return schema.include(callable_by_role)


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
STATELESS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema_for("prescriber").parametrize()
@STATELESS
def test_generated_requests_as_a_prescriber(case: schemathesis.Case) -> None:
    headers = headers_for("prescriber", case)
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema_for("pharmacist").parametrize()
@STATELESS
def test_generated_requests_as_a_pharmacist(case: schemathesis.Case) -> None:
    headers = headers_for("pharmacist", case)
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema_for("patient").parametrize()
@STATELESS
def test_generated_requests_as_a_patient(case: schemathesis.Case) -> None:
    headers = headers_for("patient", case)
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema_for("ehr").parametrize()
@STATELESS
def test_generated_requests_as_an_ehr(case: schemathesis.Case) -> None:
    headers = headers_for("ehr", case)
    case.call_and_validate(headers=headers, checks=CHECKS)


def caller_of(method: str, path: str) -> str:
    """Who calls an operation in a workflow: the prescriber when allowed, else the
    pharmacist (verification, dispensing)."""
    return next(role for role in CALLERS if may_call(role, method, path))


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls where later ones use ids the earlier ones answered, each call
    made as a role that may make it (a prescription written, then verified and
    dispensed by the pharmacist)."""

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        method, path = case.operation.method, case.operation.path
        return {"headers": headers_for(caller_of(method, path), case)}

    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS)


TestStatefulWorkflow = Workflow.TestCase
TestStatefulWorkflow.settings = settings(
    max_examples=STATEFUL_EXAMPLES,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _schema_operations(role_schema: Any) -> set[tuple[str, str]]:
    found = set()
    for result in role_schema.get_all_operations():
        operation = result.ok()
        found.add((operation.method.upper(), operation.path))
    return found


def _api_routes() -> set[tuple[str, str | None]]:
    return {
        (method, context.path)
        for context in iter_route_contexts(APP.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
        for method in (context.methods or set()) - {"HEAD"}
    }


def test_every_api_route_is_fuzzed_as_every_role_that_may_call_it() -> None:
    """The operations each role's fuzzing covers are exactly the routes the policy lets
    it call, and together they are every route in the schema: a new endpoint cannot
    escape the fuzzing."""
    routes = _api_routes()
    covered: set[tuple[str, str]] = set()
    for role in CALLERS:
        operations = _schema_operations(schema_for(role))
        expected = {key for key in routes if may_call(role, *key)}
        assert operations == expected, role
        covered |= operations
    assert covered == set(routes)
    assert len(covered) >= 20


FUZZED_PARAMETERS: Final = {
    ("GET", "/api/v1/patients/{patient_id}/record"): {"as_of"},
    ("GET", "/api/v1/patients/{patient_id}/assessment"): {"as_of", "explain"},
    ("GET", "/api/v1/patients/{patient_id}/report.pdf"): {"as_of"},
    ("GET", "/api/v1/prescriptions/{prescription_id}/verification"): {"birth_date"},
    ("POST", "/api/v1/patients/{patient_id}/fhir-import"): {"subject"},
    ("POST", "/api/v1/patients"): {"name"},
}


def _drawn(operation: Any, predicate: Callable[[Any], bool]) -> bool:
    try:
        find(
            operation.as_strategy(),
            predicate,
            settings=settings(
                max_examples=200, database=None, deadline=None, phases=[Phase.generate]
            ),
        )
    except NoSuchExample:
        return False
    return True


def _in_calendar(value: Any) -> bool:
    try:
        return EARLIEST_DAY <= date.fromisoformat(str(value)) <= LATEST_DAY
    except ValueError:
        return False


DATE_PARAMETERS: Final = ("as_of", "birth_date")


def test_query_and_path_parameters_are_generated_valid_invalid_and_real() -> None:
    """Every query parameter of the schema is generated; the dates both within the
    calendar and outside it (beyond 2100, or not a date at all); and path parameters
    take the real ids."""
    operations = {
        (op.method.upper(), op.path): op for op in (r.ok() for r in schema.get_all_operations())
    }
    declared = {key: {p.name for p in op.query} for key, op in operations.items() if list(op.query)}
    assert declared == FUZZED_PARAMETERS, "a query parameter is new: add it here"
    for key, names in FUZZED_PARAMETERS.items():
        operation = operations[key]
        for name in names:
            assert _drawn(operation, lambda case, n=name: n in (case.query or {})), (key, name)
            if name not in DATE_PARAMETERS:
                continue
            for valid in (True, False):
                assert _drawn(
                    operation,
                    lambda case, n=name, v=valid: (
                        n in (case.query or {}) and _in_calendar(case.query[n]) is v
                    ),
                ), (key, name, "valid" if valid else "invalid")
    record = operations[("GET", "/api/v1/patients/{patient_id}/record")]
    assert _drawn(record, lambda case: case.path_parameters == {"patient_id": PATIENT_ID})
    verification = operations[("GET", "/api/v1/prescriptions/{prescription_id}/verification")]
    assert _drawn(
        verification, lambda case: case.path_parameters["prescription_id"] == PRESCRIPTION_ID
    )


# The schema says an event's ``entry`` is an object; what goes in it is the course
# record's element for the kind, which schemathesis cannot know. Here each kind starts
# from an entry that is valid, and one field is replaced by an odd value or dropped.

DAY: Final = NOW.date().isoformat()
VALID_ENTRIES: Final[dict[str, dict[str, Any]]] = {
    "patient_details": {
        "id": "demo-01",
        "birth_date": "2004-03-01",
        "can_get_pregnant": False,
        "conditions": [],
        "allergies": [],
    },
    "programme": {"programme": "us-ipledge"},
    "course_details": {"product": "isotretinoin", "start_date": "2026-01-14"},
    "prescription_proposed": {"date": DAY, "days_supply": 30, "mg_per_day": 60},
    "weight": {"date": DAY, "value": 68, "unit": "kg"},
    "acne_assessment": {"date": DAY, "nodules": 3, "inflammatory_lesions": 10, "global_score": 2},
    "dose_period": {"start": DAY, "mg_per_day": 60},
    "missed_dose": {"date": DAY, "mg": 20},
    "lab_result": {"date": DAY, "test": "alt", "value": 30, "unit": "U/L", "reference_high": 40},
    "pregnancy_test": {"date": DAY, "result": "negative", "method": "urine", "setting": "home"},
    "contraception": {"method": "iud_copper", "start": DAY},
    "medication": {"name": "ibuprofen 200 mg", "start": DAY},
    "mood_screen": {"date": DAY, "instrument": "phq9", "items": [0] * 9},
    "symptom": {"date": DAY, "text": "dry lips"},
    "counselling": {"date": DAY, "kind": "comprehension_confirmed"},
    "review": {"date": DAY, "kind": "symptom", "text": "dry lips", "outcome": "not_relevant"},
}
#: values no field of its type may hold: (field type, value)
DEFINITELY_INVALID: Final[dict[str, tuple[Any, ...]]] = {
    "date": ("9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2026-02-30"),
    "number": (math.nan, math.inf, -math.inf),
}


def _element_fields() -> dict[str, dict[str, str]]:
    """Kind -> {field: "date" | "number" | "other"}, from the course record's schema."""
    document = TypeAdapter(CourseRecord).json_schema()
    definitions = document["$defs"]

    def typed(properties: dict[str, Any]) -> dict[str, str]:
        found = {}
        for name, spec in properties.items():
            options = spec.get("anyOf", [spec])
            if any(o.get("format") == "date" for o in options):
                found[name] = "date"
            elif any(o.get("type") in ("number", "integer") for o in options):
                found[name] = "number"
            else:
                found[name] = "other"
        return found

    kinds = {}
    for kind in VALID_ENTRIES:
        if kind == "programme":
            kinds[kind] = {"programme": "other"}
            continue
        name = LIST_KINDS.get(kind) or LATEST_KINDS[kind]
        spec = document["properties"][name]
        options = [spec.get("items", spec), *spec.get("anyOf", [])]
        reference = next(o["$ref"] for o in options if "$ref" in o)
        kinds[kind] = typed(definitions[reference.rsplit("/", 1)[1]]["properties"])
    return kinds


ELEMENT_FIELDS: Final = _element_fields()


@st.composite
def event_with_one_odd_field(draw: st.DrawFn) -> tuple[str, dict[str, Any], str, bool]:
    """(kind, entry, the field changed, whether its new value is definitely invalid)."""
    kind = draw(st.sampled_from(sorted(VALID_ENTRIES)))
    entry = dict(VALID_ENTRIES[kind])
    name = draw(st.sampled_from(sorted(ELEMENT_FIELDS[kind])) | st.text(max_size=10))
    kind_of_field = ELEMENT_FIELDS[kind].get(name, "other")
    invalid = kind_of_field in DEFINITELY_INVALID and draw(st.booleans())
    if invalid:
        entry[name] = draw(st.sampled_from(DEFINITELY_INVALID[kind_of_field]))
    elif draw(st.integers(0, 4)) == 0:
        entry.pop(name, None)
    else:
        entry[name] = draw(odd_json())
    return kind, entry, name, invalid


@given(event=event_with_one_odd_field(), role=st.sampled_from(("prescriber", "patient")))
@settings(
    max_examples=80 * SCALE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_generated_event_entries_are_refused_naming_the_field(
    event: tuple[str, dict[str, Any], str, bool], role: str
) -> None:
    """Every kind of event, one field odd (NaN, Infinity, 1e300, a date in year 9999, a
    list, 900 KB of text ...), as the prescriber and as the patient: never a server error;
    a 422 names the field, and a value no field may hold (NaN in a number, a date
    outside 1900-2100) is always refused, naming its field."""
    kind, entry, name, invalid = event
    body = json_body({"kind": kind, "entry": entry})
    headers = {**AUTH[role], "Content-Type": "application/json"}
    with TestClient(APP) as client:
        response = client.post(
            f"/api/v1/patients/{PATIENT_ID}/events", content=body, headers=headers
        )
    add_to_figure("requests fuzzed (Hypothesis, API event entries)")
    hypothesis_event(f"status {response.status_code}")
    where = f"{role} {kind} {name}={str(entry.get(name))[:80]!r} -> {response.status_code}"
    assert response.status_code < 500, where
    if response.status_code == 422:
        error = response.json()["error"]
        assert error["field"].startswith(("entry", "body", "kind")), where
    if invalid and (role == "prescriber" or kind in PATIENT_KINDS):
        assert response.status_code == 422, where
        assert response.json()["error"]["field"].startswith(f"entry.{name}"), where
