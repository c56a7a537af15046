"""The authorisation matrix: every route x every role x own/other clinic x own/other patient.

The routes come from the application's route table (``app.routes``, every method);
the expected answer for each cell comes from ``authorisation_policy.POLICY``. A route
without a rule, or without a way to call it here, fails the test. A cell is *allowed*
when the answer is a success (2xx, or a redirect that is not to the log-in page) and
*denied* otherwise; no cell may answer with a server error. API routes are called with
a bearer token only, pages with the session cookie only (and a valid CSRF token, so
that the check measured is the authorisation, not the form's CSRF protection). A route
that ends the caller's session (log out, setting up a second factor) is called in a
session of its own, by a user of the same role and clinic made for it. Every answer, in
every cell, but a static file's, must carry ``Cache-Control: no-store``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from starlette.routing import Mount

from isocourse.auth.users import actor_of, add_user
from isocourse.service.calendar_feed import issue_feed
from isocourse.service.context import Call as UseCase
from isocourse.service.invitations import invite_patient
from isocourse.store.tables import UserRow
from isocourse.web import access_pages
from tests.clinic_support import ALLOWED_DEMO, NOW, PASSWORD, TODAY, Clinic, demo
from tests.e2e.authorisation_policy import API, CALLERS, POLICY, Rule
from tests.security_figures import record_figure
from tests.web_support import csrf_of

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
    #: in a new session of a new user of the caller's role (the call ends its session)
    own_session: bool = False


@dataclass
class Scene:
    """Patients ``own`` (the patient login's), ``sibling`` (clinic a) and ``foreign`` (b)."""

    clinic: Clinic
    patients: dict[str, str]
    birth_date: str
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    made: itertools.count[int] = field(default_factory=itertools.count)

    def use_case(self, user: str = "doc_a") -> UseCase:
        """A call of the service layer as ``user`` (setup outside the checked request)."""
        store = self.clinic.app.state.wiring.system.store
        email = f"{user}@{user.rsplit('_', 1)[1]}.test"
        with store.reading() as session:
            actor = actor_of(session.scalars(select(UserRow).where(UserRow.email == email)).one())
        return UseCase(actor, "matrix-setup", TODAY, NOW)

    def new_user(self, role: str) -> str:
        """A new user of ``role`` in clinic a (a patient: another login of ``own``); e-mail."""
        email = f"made{next(self.made)}-{role}@a.test"
        add_user(
            self.clinic.app.state.wiring.system.store,
            email=email,
            role=role,
            clinic_id="a",
            password=PASSWORD,
            now=NOW,
            patient_id=self.patients["own"] if role == "patient" else None,
        )
        return email

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
    secret = s.clinic.app.state.wiring.secret
    path = issue_feed(s.clinic.app.state.wiring.system, s.use_case(), secret, s.patients["own"])
    if r == "wrong token":  # the own patient's id with the sibling's secret
        sibling = issue_feed(
            s.clinic.app.state.wiring.system, s.use_case(), secret, s.patients["sibling"]
        )
        path = path.rsplit("/", 1)[0] + "/" + sibling.rsplit("/", 1)[1]
    return Call("GET", path)


def _invitation_email(s: Scene, r: str) -> str:
    """The patient's login's e-mail (an invitation to another is refused), or a new one."""
    return _login_email(s, s.patients[r]) or f"invited-{r}-{next(s.made)}@{CLINIC_OF[r]}.test"


def _login_email(s: Scene, patient_id: str) -> str | None:
    with s.clinic.app.state.wiring.system.store.reading() as session:
        found: str | None = session.scalar(
            select(UserRow.email).where(UserRow.patient_id == patient_id).order_by(UserRow.id)
        )
    return found


def _invitation_link(method: str) -> Builder:
    """A new invitation of the sibling patient (never the own one: accepting it would reset
    the matrix's patient login), or a made-up token."""

    def build(s: Scene, r: str) -> Call:
        token = "not-an-invitation-" + "x" * 30
        if r == "own token":
            system = s.clinic.app.state.wiring.system
            email = _invitation_email(s, "sibling")
            token = invite_patient(
                system, s.use_case(), s.patients["sibling"], email, hours=24
            ).token
        password = f"lantern orbit pebble {next(s.made)}"
        form = {"password": password, "password_again": password}
        return Call(method, f"/invitations/{token}", form=form if method == "POST" else None)

    return build


def _second_factor(s: Scene, r: str) -> Call:
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    return Call(
        "POST", "/account/second-factor", form={"secret": secret, "code": code}, own_session=True
    )


def _admin_change(s: Scene, r: str) -> Call:
    user_id = _user_id(s, s.new_user("pharmacist"))
    return Call("POST", f"/admin/users/{user_id}/disable", form={})


def _user_id(s: Scene, email: str) -> int:
    with s.clinic.app.state.wiring.system.store.reading() as session:
        found = session.scalar(select(UserRow.id).where(UserRow.email == email))
    assert found is not None
    return found


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
    ("POST", f"{API}/auth/logout"): lambda s, r: Call(
        "POST", f"{API}/auth/logout", own_session=True
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
    ("POST", "/logout"): lambda s, r: Call("POST", "/logout", form={}, own_session=True),
    ("GET", "/admin"): _get("/admin"),
    ("POST", "/admin/users/{user_id}/{change}"): _admin_change,
    ("POST", "/admin/second-factor"): _post("/admin/second-factor", form={"required": "no"}),
    ("GET", "/account/second-factor"): _get("/account/second-factor"),
    ("POST", "/account/second-factor"): _second_factor,
    ("GET", "/invitations/{token}"): _invitation_link("GET"),
    ("POST", "/invitations/{token}"): _invitation_link("POST"),
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
    ("GET", "/patients/{patient_id}/access"): _get("/patients/{p}/access"),
    ("POST", "/patients/{patient_id}/invitation"): lambda s, r: Call(
        "POST",
        f"/patients/{s.patients[r]}/invitation",
        form={"email": _invitation_email(s, r)},
    ),
    ("POST", "/patients/{patient_id}/calendar-link"): _post(
        "/patients/{p}/calendar-link", form={}
    ),
    ("POST", "/patients/{patient_id}/calendar-link/revoke"): _post(
        "/patients/{p}/calendar-link/revoke", form={}
    ),
    ("GET", "/pharmacy"): _get("/pharmacy"),
    ("POST", "/pharmacy"): _pharmacy_form("/pharmacy"),
    ("POST", "/pharmacy/dispense"): _pharmacy_form("/pharmacy/dispense"),
    ("GET", "/me"): _get("/me"),
    ("POST", "/me/check-in"): _post("/me/check-in", form={"taken": "yes"}),
    ("POST", "/me/symptoms"): _post("/me/symptoms", form={"text": "dry lips"}),
    ("POST", "/me/mood"): _post("/me/mood", form={f"item{i}": "0" for i in range(9)}),
    ("GET", "/me/guide"): _get("/me/guide"),
    ("POST", "/me/calendar-link"): _post("/me/calendar-link", form={}),
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
def scene(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Scene:
    patients = {
        "own": clinic.enrol(demo(ALLOWED_DEMO)),
        "sibling": clinic.enrol(demo(ALLOWED_DEMO)),
        "foreign": clinic.enrol(demo(ALLOWED_DEMO), user="doc_b"),
    }
    clinic.add("pat_a", "patient", "a", patient_id=patients["own"])
    # the invitation e-mails go nowhere (tests/e2e/test_accounts.py sends them over SMTP)
    monkeypatch.setattr(access_pages, "send_invitation", lambda *_: None)
    built = Scene(clinic, patients, demo(ALLOWED_DEMO)["patient"]["birth_date"])
    for caller in CALLERS:
        user = USER_OF.get(caller)
        email = None if user is None else f"{user}@{user.rsplit('_', 1)[1]}.test"
        built.cookies[caller], built.csrf[caller] = _page_session(clinic, email)
    return built


def _page_session(clinic: Clinic, email: str | None) -> tuple[dict[str, str], str]:
    """The cookies of a browser signed in as ``email`` (None: signed out) and the CSRF
    token its pages carry (bound to its session)."""
    browser = TestClient(clinic.app, follow_redirects=False)
    page = browser.get("/login")
    if email is not None:
        form = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        assert browser.post("/login", data=form).status_code == 303, page.text
        page = browser.get("/login")
    return dict(browser.cookies.items()), csrf_of(page.text)


def _bearer(clinic: Clinic, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    answer = clinic.client.post(f"{API}/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def send(scene: Scene, caller: str, call: Call, *, api: bool) -> Response:
    user = USER_OF.get(caller)
    cookies, csrf = ({}, "") if api else (scene.cookies[caller], scene.csrf[caller])
    headers = scene.clinic.as_user(user) if api and user else {}
    if call.own_session and user is not None:
        email = scene.new_user(caller)
        if api:
            headers = _bearer(scene.clinic, email)
        else:
            cookies, csrf = _page_session(scene.clinic, email)
    client = TestClient(scene.clinic.app, follow_redirects=False, cookies=cookies)
    form = call.form
    if form is not None and not api:
        form = {**form, "csrf_token": csrf}
    return client.request(call.method, call.url, json=call.json, data=form, headers=headers)


def stored_nowhere(response: Response) -> bool:
    """``Cache-Control: no-store``: any answer may carry a patient's data (the record,
    the PDF, the calendar, FHIR, a page), and none is kept by a browser or a proxy."""
    return response.headers.get("cache-control") == "no-store"


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
    uncached: list[str] = []  # answers a browser or proxy may keep
    cells = 0
    for method, path, api in route_table(scene.clinic.app):
        rule = POLICY[(method, path)]
        for relation in rule.relations:
            for caller in CALLERS:
                call = BUILDERS[(method, path)](scene, relation)
                response = send(scene, caller, call, api=api)
                cells += 1
                expected = rule.allows(caller, relation)
                if not path.startswith("/static") and not stored_nowhere(response):
                    uncached.append(f"{method} {path} {caller}/{relation}")
                if response.status_code >= 500 or granted(response, rule) != expected:
                    verdict = "allow" if expected else "deny"
                    wrong.append(
                        f"{method} {path} {caller}/{relation}: expected {verdict}, "
                        f"got {response.status_code} {response.text[:120]!r}"
                    )
    record_figure("authorisation matrix cells checked", cells)
    assert wrong == []
    assert uncached == []
    assert cells >= 400
