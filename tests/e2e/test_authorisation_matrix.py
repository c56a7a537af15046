"""The authorisation matrix: every route x every role x own/other clinic x own/other patient.

The routes come from the application's route table (``app.routes``, every method);
the expected answer for each cell comes from ``authorisation_policy.POLICY``. A route
without a rule, or without a way to call it here, fails the test. A cell is *allowed*
when the answer is a success (2xx, or a redirect that is not to the log-in page) and
*denied* otherwise; no cell may answer with a server error. API routes are called with
a bearer token only, pages with the session cookie only (and a valid CSRF token, so
that the check measured is the authorisation, not the form's CSRF protection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from starlette.routing import Mount

from isocourse.service.calendar_feed import feed_path
from isocourse.web.session import CSRF_COOKIE
from tests.clinic_support import ALLOWED_DEMO, PASSWORD, TODAY, Clinic, demo
from tests.e2e.authorisation_policy import API, CALLERS, POLICY, Rule
from tests.security_figures import record_figure

USER_OF = {
    "prescriber": "doc_a",
    "pharmacist": "pharm_a",
    "patient": "pat_a",
    "admin": "admin_a",
}
CLINIC_OF = {"own": "a", "sibling": "a", "foreign": "b"}
DAY = TODAY.isoformat()
SYMPTOM = {"kind": "symptom", "entry": {"date": DAY, "text": "dry lips"}}
PRESCRIPTION = {"days_supply": 30, "mg_per_day": 60}


@dataclass(frozen=True)
class Call:
    """One request: a JSON body, a form (sent with the CSRF token) or neither."""

    method: str
    url: str
    json: Any = None
    form: dict[str, str] | None = None


@dataclass
class Scene:
    """Patients ``own`` (the patient login's), ``sibling`` (clinic a) and ``foreign`` (b)."""

    clinic: Clinic
    patients: dict[str, str]
    birth_date: str
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)

    def doctor_of(self, relation: str) -> dict[str, str]:
        return self.clinic.as_user(f"doc_{CLINIC_OF[relation]}")

    def no_open_prescription(self, relation: str) -> None:
        """No supply in hand and no open prescription (one supply at a time: another
        would be refused), as setup, outside the call the matrix checks: the matrix's own
        dispenses are taken back as entered in error, then open prescriptions cancelled."""
        patient = f"{API}/patients/{self.patients[relation]}"
        headers = self.doctor_of(relation)
        events = self.clinic.client.get(f"{patient}/events", headers=headers).json()
        retracted = {e["corrects"] for e in events}
        for event in events:
            if event["kind"] == "dispense" and event["event_id"] not in retracted:
                correction = {"event_id": event["event_id"], "reason": "matrix setup"}
                self.clinic.client.post(f"{patient}/corrections", json=correction, headers=headers)
        record = self.clinic.client.get(f"{patient}/record", headers=headers).json()
        filled = {d.get("prescription_id") for d in record["dispenses"]}
        for prescription in record["prescriptions"]:
            if prescription["id"] not in filled and prescription["cancelled"] is None:
                url = f"{patient}/prescriptions/{prescription['id']}/cancel"
                self.clinic.client.post(url, json={"reason": "matrix setup"}, headers=headers)

    def fresh_prescription(self, relation: str) -> str:
        self.no_open_prescription(relation)
        url = f"{API}/patients/{self.patients[relation]}/prescriptions"
        answer = self.clinic.client.post(url, json=PRESCRIPTION, headers=self.doctor_of(relation))
        assert answer.status_code == 201, answer.text
        prescription_id: str = answer.json()["prescription_id"]
        return prescription_id

    def fresh_event(self, relation: str) -> str:
        url = f"{API}/patients/{self.patients[relation]}/events"
        answer = self.clinic.client.post(url, json=SYMPTOM, headers=self.doctor_of(relation))
        assert answer.status_code == 201, answer.text
        event_id: str = answer.json()["event_id"]
        return event_id

    def lab_test(self, relation: str) -> str:
        url = f"{API}/patients/{self.patients[relation]}/record"
        record = self.clinic.client.get(url, headers=self.doctor_of(relation)).json()
        test: str = record["labs"][0]["test"]
        return test


def _patient(relation: str, s: Scene) -> str:
    return s.patients[relation]


Builder = Callable[[Scene, str], Call]


def _get(path: str) -> Builder:
    return lambda s, r: Call("GET", path.format(p=_patient(r, s)) if r != "none" else path)


def _post(path: str, *, json: Any = None, form: dict[str, str] | None = None) -> Builder:
    def build(s: Scene, r: str) -> Call:
        url = path.format(p=_patient(r, s)) if r != "none" else path
        return Call("POST", url, json=json, form=form)

    return build


def _prescribe(path: str, *, json: Any = None, form: dict[str, str] | None = None) -> Builder:
    """A new prescription for a patient with none open (the setup cancels any)."""

    def build(s: Scene, r: str) -> Call:
        if r != "none":
            s.no_open_prescription(r)
        return _post(path, json=json, form=form)(s, r)

    return build


def _cancel(path: str, *, api: bool) -> Builder:
    def build(s: Scene, r: str) -> Call:
        url = path.format(p=s.patients[r], rx=s.fresh_prescription(r))
        if api:
            return Call("POST", url, json={"reason": "matrix"})
        return Call("POST", url, form={"reason": "matrix"})

    return build


def _dispense(s: Scene, r: str) -> Call:
    body = {"birth_date": s.birth_date}
    return Call("POST", f"{API}/prescriptions/{s.fresh_prescription(r)}/dispenses", json=body)


def _pharmacy_form(path: str) -> Builder:
    def build(s: Scene, r: str) -> Call:
        form = {"prescription_id": s.fresh_prescription(r), "birth_date": s.birth_date}
        return Call("POST", path, form=form)

    return build


def _feed(s: Scene, r: str) -> Call:
    secret = s.clinic.app.state.wiring.settings.secret_key.get_secret_value()
    path = feed_path(secret, s.patients["own"])
    if r == "wrong token":  # the own patient's id with the sibling's secret
        sibling_token = feed_path(secret, s.patients["sibling"]).rsplit("/", 1)[1]
        path = path.rsplit("/", 1)[0] + "/" + sibling_token
    return Call("GET", path)


def _bundle() -> dict[str, Any]:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2571-8"}]},
        "effectiveDateTime": DAY,
        "valueQuantity": {"value": 150, "unit": "mg/dL", "code": "mg/dL"},
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": observation}]}


P = f"{API}/patients/{{p}}"
LOGIN = {"email": "doc_a@a.test", "password": PASSWORD}
BUILDERS: dict[tuple[str, str], Builder] = {
    ("GET", "/openapi.json"): _get("/openapi.json"),
    ("GET", "/docs"): _get("/docs"),
    ("GET", "/docs/oauth2-redirect"): _get("/docs/oauth2-redirect"),
    ("GET", "/redoc"): _get("/redoc"),
    ("GET", "/static"): _get("/static/htmx.min.js"),
    ("GET", "/health"): _get("/health"),
    ("POST", f"{API}/auth/token"): _post(
        f"{API}/auth/token", form={"username": "doc_a@a.test", "password": PASSWORD}
    ),
    ("GET", f"{API}/schemas/{{name}}"): _get(f"{API}/schemas/course-record"),
    ("POST", f"{API}/patients"): _post(f"{API}/patients", json=demo(ALLOWED_DEMO)),
    ("GET", f"{API}/patients/{{patient_id}}/record"): _get(f"{P}/record"),
    ("GET", f"{API}/patients/{{patient_id}}/assessment"): _get(f"{P}/assessment"),
    ("GET", f"{API}/patients/{{patient_id}}/events"): _get(f"{P}/events"),
    ("POST", f"{API}/patients/{{patient_id}}/events"): _post(f"{P}/events", json=SYMPTOM),
    ("POST", f"{API}/patients/{{patient_id}}/corrections"): lambda s, r: Call(
        "POST",
        f"{API}/patients/{s.patients[r]}/corrections",
        json={"event_id": s.fresh_event(r), "reason": "matrix"},
    ),
    ("POST", f"{API}/patients/{{patient_id}}/prescriptions"): _prescribe(
        f"{P}/prescriptions", json=PRESCRIPTION
    ),
    ("POST", f"{API}/patients/{{patient_id}}/prescriptions/{{prescription_id}}/cancel"): _cancel(
        f"{API}/patients/{{p}}/prescriptions/{{rx}}/cancel", api=True
    ),
    ("GET", f"{API}/prescriptions/{{prescription_id}}/verification"): lambda s, r: Call(
        "GET",
        f"{API}/prescriptions/{s.fresh_prescription(r)}/verification?birth_date={s.birth_date}",
    ),
    ("POST", f"{API}/prescriptions/{{prescription_id}}/dispenses"): _dispense,
    ("GET", f"{API}/worklist"): _get(f"{API}/worklist"),
    ("POST", f"{API}/evaluate"): _post(f"{API}/evaluate", json=demo(ALLOWED_DEMO)),
    ("GET", f"{API}/patients/{{patient_id}}/report.pdf"): _get(f"{P}/report.pdf"),
    ("GET", f"{API}/patients/{{patient_id}}/calendar.ics"): _get(f"{P}/calendar.ics"),
    ("POST", f"{API}/patients/{{patient_id}}/fhir-import"): _post(
        f"{P}/fhir-import", json=_bundle()
    ),
    ("POST", f"{API}/patients/{{patient_id}}/reminder-preference"): _post(
        f"{P}/reminder-preference", json={"opt_out": False}
    ),
    ("GET", "/fhir/Patient/{patient_id}/$everything"): _get("/fhir/Patient/{p}/$everything"),
    ("GET", "/fhir/{resource_type}/{resource_id}"): _get("/fhir/Patient/{p}"),
    ("POST", f"{API}/patients/{{patient_id}}/ehr-links"): _post(
        f"{P}/ehr-links",
        json={"fhir_server": "https://ehr.example.test/fhir", "ehr_patient_id": "e1"},
    ),
    ("GET", "/cds-services"): _get("/cds-services"),
    ("GET", "/smart/launch"): _get("/smart/launch"),
    ("GET", "/smart/callback"): _get("/smart/callback"),
    ("POST", "/cds-services/{service_id}"): _post(
        "/cds-services/isocourse-order-sign",
        json={"hook": "order-sign", "hookInstance": "h", "context": {"patientId": "e1"}},
    ),
    ("POST", "/cds-services/{service_id}/feedback"): _post(
        "/cds-services/isocourse-order-sign/feedback", json={"feedback": []}
    ),
    ("GET", "/"): _get("/"),
    ("GET", "/login"): _get("/login"),
    ("POST", "/login"): _post("/login", form=LOGIN),
    ("POST", "/logout"): _post("/logout", form={}),
    ("GET", "/admin"): _get("/admin"),
    ("GET", "/worklist"): _get("/worklist"),
    ("GET", "/patients/{patient_id}"): _get("/patients/{p}"),
    ("POST", "/patients/{patient_id}/events/{kind}"): _post(
        "/patients/{p}/events/weight", form={"date": DAY, "value": "70", "unit": "kg"}
    ),
    ("POST", "/patients/{patient_id}/events/{event_id}/entered-in-error"): lambda s, r: Call(
        "POST", f"/patients/{s.patients[r]}/events/{s.fresh_event(r)}/entered-in-error", form={}
    ),
    ("POST", "/patients/{patient_id}/prescribe/check"): _post(
        "/patients/{p}/prescribe/check", form={"days_supply": "30", "mg_per_day": "60"}
    ),
    ("POST", "/patients/{patient_id}/prescribe"): _prescribe(
        "/patients/{p}/prescribe", form={"days_supply": "30", "mg_per_day": "60"}
    ),
    ("POST", "/patients/{patient_id}/prescriptions/{prescription_id}/cancel"): _cancel(
        "/patients/{p}/prescriptions/{rx}/cancel", api=False
    ),
    ("POST", "/patients/{patient_id}/reviews"): _post(
        "/patients/{p}/reviews",
        form={"kind": "symptom", "text": "a strange feeling", "outcome": "not_relevant"},
    ),
    ("GET", "/patients/{patient_id}/charts/cumulative.png"): _get(
        "/patients/{p}/charts/cumulative.png"
    ),
    ("GET", "/patients/{patient_id}/charts/lab-{test}.png"): lambda s, r: Call(
        "GET", f"/patients/{s.patients[r]}/charts/lab-{s.lab_test(r)}.png"
    ),
    ("GET", "/patients/{patient_id}/report.pdf"): _get("/patients/{p}/report.pdf"),
    ("GET", "/patients/{patient_id}/calendar.ics"): _get("/patients/{p}/calendar.ics"),
    ("GET", "/pharmacy"): _get("/pharmacy"),
    ("POST", "/pharmacy"): _pharmacy_form("/pharmacy"),
    ("POST", "/pharmacy/dispense"): _pharmacy_form("/pharmacy/dispense"),
    ("GET", "/me"): _get("/me"),
    ("POST", "/me/check-in"): _post("/me/check-in", form={"taken": "yes"}),
    ("POST", "/me/symptoms"): _post("/me/symptoms", form={"text": "dry lips"}),
    ("POST", "/me/mood"): _post("/me/mood", form={f"item{i}": "0" for i in range(9)}),
    ("GET", "/me/guide"): _get("/me/guide"),
    ("GET", "/planner"): _get("/planner"),
    ("POST", "/planner"): _post(
        "/planner", form={"weight": "70 kg", "product": "isotretinoin", "mg_per_kg": "0.5"}
    ),
    ("GET", "/feeds/calendar/{patient_id}/{token}.ics"): _feed,
}


def route_table(app: Any) -> Iterator[tuple[str, str, bool]]:
    """Every (method, path, is_api) the application serves; a mount counts as one GET."""
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if isinstance(context.original_route, Mount):
            yield "GET", path, False
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            yield method, path, path.startswith((API, "/fhir"))


@pytest.fixture
def scene(clinic: Clinic) -> Scene:
    patients = {
        "own": clinic.enrol(demo(ALLOWED_DEMO)),
        "sibling": clinic.enrol(demo(ALLOWED_DEMO)),
        "foreign": clinic.enrol(demo(ALLOWED_DEMO), user="doc_b"),
    }
    clinic.add("pat_a", "patient", "a", patient_id=patients["own"])
    built = Scene(clinic, patients, demo(ALLOWED_DEMO)["patient"]["birth_date"])
    for caller in CALLERS:
        built.cookies[caller] = _page_cookies(clinic, USER_OF.get(caller))
    return built


def _page_cookies(clinic: Clinic, user: str | None) -> dict[str, str]:
    browser = TestClient(clinic.app, follow_redirects=False)
    page = browser.get("/login")
    csrf = browser.cookies[CSRF_COOKIE]
    if user is not None:
        email = next(e for e in _emails(clinic) if e.startswith(f"{user}@"))
        form = {"email": email, "password": PASSWORD, "csrf_token": csrf}
        assert browser.post("/login", data=form).status_code == 303, page.text
    return dict(browser.cookies.items())


def _emails(clinic: Clinic) -> list[str]:
    return [f"{name}@{name.rsplit('_', 1)[1]}.test" for name in clinic.headers]


def send(scene: Scene, caller: str, call: Call, *, api: bool) -> Response:
    cookies = {} if api else scene.cookies[caller]
    client = TestClient(scene.clinic.app, follow_redirects=False, cookies=cookies)
    user = USER_OF.get(caller)
    headers = scene.clinic.as_user(user) if api and user else {}
    form = call.form
    if form is not None and not api:
        form = {**form, "csrf_token": cookies[CSRF_COOKIE]}
    return client.request(call.method, call.url, json=call.json, data=form, headers=headers)


def granted(response: Response, rule: Rule) -> bool:
    if rule.public:
        return response.status_code < 400
    to_login = response.headers.get("location", "").startswith("/login")
    return 200 <= response.status_code < 400 and not to_login


def test_every_route_has_an_authorisation_rule(clinic: Clinic) -> None:
    served = {(method, path) for method, path, _ in route_table(clinic.app)}
    assert sorted(served - POLICY.keys()) == [], "routes without a rule in authorisation_policy"
    assert sorted(served - BUILDERS.keys()) == [], "routes this test cannot call yet"
    assert sorted(POLICY.keys() - served) == [], "rules for routes that no longer exist"


def test_the_authorisation_matrix_holds_for_every_route_role_and_relation(scene: Scene) -> None:
    wrong: list[str] = []
    cells = 0
    for method, path, api in route_table(scene.clinic.app):
        rule = POLICY[(method, path)]
        for relation in rule.relations:
            for caller in CALLERS:
                call = BUILDERS[(method, path)](scene, relation)
                response = send(scene, caller, call, api=api)
                cells += 1
                expected = rule.allows(caller, relation)
                if response.status_code >= 500 or granted(response, rule) != expected:
                    verdict = "allow" if expected else "deny"
                    wrong.append(
                        f"{method} {path} {caller}/{relation}: expected {verdict}, "
                        f"got {response.status_code} {response.text[:120]!r}"
                    )
    record_figure("authorisation matrix cells checked", cells)
    assert wrong == []
    assert cells >= 400
