"""Refused access leaves an audit entry, one per refusal, with the reason and without
passwords or tokens: another clinic's patient, a wrong birth date at the pharmacy, a
role that may not, no valid credentials; through the API and the pages, for reads and
writes. Refusals without credentials are recorded within a budget. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from isocourse.api.denial_audit import PER_ADDRESS, AnonymousBudget
from isocourse.service.audit import verify_chain, verify_content
from isocourse.store.tables import AuditEntryRow, EventRow
from tests.audit_support import engine, entries, last_entry_id
from tests.clinic_support import ALLOWED_DEMO, PASSWORD, Clinic, demo, example_record
from tests.web_support import csrf_of

ORDER = {"days_supply": 30, "mg_per_day": 40}


def _refusals(clinic: Clinic, after: int) -> list[AuditEntryRow]:
    return [e for e in entries(clinic, after=after) if e.action.startswith("access.denied")]


def _one_refusal(clinic: Clinic, after: int) -> AuditEntryRow:
    found = _refusals(clinic, after)
    assert len(found) == 1, [(e.action, e.detail) for e in found]
    return found[0]


def _prescribed(clinic: Clinic) -> tuple[str, str, str]:
    """A patient of clinic a with a prescription: (patient, prescription, birth date)."""
    record = demo(ALLOWED_DEMO)
    patient_id = clinic.enrol(record)
    issued = clinic.client.post(
        f"/api/v1/patients/{patient_id}/prescriptions", json=ORDER, headers=clinic.as_user("doc_a")
    )
    assert issued.status_code == 201, issued.text
    return patient_id, issued.json()["prescription_id"], record["patient"]["birth_date"]


def test_another_clinics_patient(clinic: Clinic) -> None:
    patient_id = clinic.enrol(example_record())
    before = last_entry_id(clinic)
    url = f"/api/v1/patients/{patient_id}/record"
    refused = clinic.client.get(url, headers=clinic.as_user("doc_b"))
    assert refused.status_code == 404
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email, entry.role, entry.clinic_id, entry.patient_id) == (
        "access.denied.not_found",
        "doc_b@b.test",
        "prescriber",
        "b",
        patient_id,
    )
    assert entry.detail.startswith("the patient is in another clinic; ")
    assert "GET /api/v1/patients/{patient_id}/record; from testclient" in entry.detail
    assert entry.request_id == refused.headers["X-Request-ID"]
    assert entry.event_digests == "[]"


def test_a_refused_write_leaves_its_refusal_and_nothing_else(clinic: Clinic) -> None:
    patient_id = clinic.enrol(example_record())
    before = last_entry_id(clinic)
    with engine(clinic).connect() as connection:
        events = connection.scalar(select(func.count()).select_from(EventRow))
    weight = {"kind": "weight", "entry": {"date": "2026-03-15", "kg": 60}}
    refused = clinic.client.post(
        f"/api/v1/patients/{patient_id}/events", json=weight, headers=clinic.as_user("doc_b")
    )
    assert refused.status_code == 404
    assert [e.action for e in entries(clinic, after=before)] == ["access.denied.not_found"]
    with engine(clinic).connect() as connection:
        assert connection.scalar(select(func.count()).select_from(EventRow)) == events
    with clinic.app.state.wiring.system.store.reading() as session:
        assert verify_chain(session).intact
        assert verify_content(session).intact


def test_a_patient_id_that_is_not_stored_is_quoted_short(clinic: Clinic) -> None:
    before = last_entry_id(clinic)
    asked = "x" * 500
    refused = clinic.client.get(f"/api/v1/patients/{asked}/record", headers=clinic.as_user("doc_a"))
    assert refused.status_code == 404
    entry = _one_refusal(clinic, before)
    assert entry.patient_id is None
    assert f"no patient {'x' * 64!r}"[:-1] + "...' is stored" in entry.detail
    assert asked not in entry.detail


@pytest.mark.parametrize("route", ["verification", "dispense", "page"])
def test_a_wrong_birth_date_at_the_pharmacy(clinic: Clinic, route: str) -> None:
    patient_id, prescription_id, birth_date = _prescribed(clinic)
    wrong = "1990-01-01" if birth_date != "1990-01-01" else "1991-01-01"
    before = last_entry_id(clinic)
    if route == "verification":
        answer = clinic.client.get(
            f"/api/v1/prescriptions/{prescription_id}/verification",
            params={"birth_date": wrong},
            headers=clinic.as_user("pharm_a"),
        )
        assert answer.status_code == 404
    elif route == "dispense":
        answer = clinic.client.post(
            f"/api/v1/prescriptions/{prescription_id}/dispenses",
            json={"birth_date": wrong},
            headers=clinic.as_user("pharm_a"),
        )
        assert answer.status_code == 404
    else:
        browser = _browser(clinic, "pharm_a@a.test")
        page = browser.get("/pharmacy")
        form = {"prescription_id": prescription_id, "birth_date": wrong}
        answer = browser.post("/pharmacy", data={**form, "csrf_token": csrf_of(page.text)})
        assert answer.status_code == 422  # the page shows the refusal in its form
        before = max(before, _sign_in_entries(clinic, before))
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email, entry.patient_id) == (
        "access.denied.not_found",
        "pharm_a@a.test",
        patient_id,
    )
    assert f"prescription {prescription_id}: the birth date given is not the patient's" in (
        entry.detail
    )
    assert wrong not in entry.detail and birth_date not in entry.detail


def _sign_in_entries(clinic: Clinic, after: int) -> int:
    """The last entry before the refusal (sign-ins may be audited too)."""
    refusals = _refusals(clinic, after)
    return refusals[0].id - 1 if refusals else after


def test_a_role_that_may_not(clinic: Clinic) -> None:
    before = last_entry_id(clinic)
    refused = clinic.client.post(
        "/api/v1/patients", json=example_record(), headers=clinic.as_user("pharm_a")
    )
    assert refused.status_code == 403
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email, entry.role, entry.patient_id) == (
        "access.denied.forbidden",
        "pharm_a@a.test",
        "pharmacist",
        None,
    )
    assert "a pharmacist may not do this (needs: prescriber)" in entry.detail
    assert "POST /api/v1/patients;" in entry.detail


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Bearer e30.c2lnbmF0dXJl"], ids=str
)
def test_no_valid_credentials(clinic: Clinic, authorization: str | None) -> None:
    patient_id = clinic.enrol(example_record())
    before = last_entry_id(clinic)
    headers = {"Authorization": authorization} if authorization else {}
    refused = clinic.client.get(f"/api/v1/patients/{patient_id}/record", headers=headers)
    assert refused.status_code == 401
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email, entry.role, entry.clinic_id, entry.patient_id) == (
        "access.denied.not_authenticated",
        "",
        "anonymous",
        "",
        None,
    )
    reason = "no bearer token" if authorization is None else "invalid token: "
    assert entry.detail.startswith(reason)
    if authorization:
        assert authorization.split()[1] not in entry.detail


def test_refusals_without_credentials_are_recorded_within_a_budget(clinic: Clinic) -> None:
    """A flood of requests without a token grows the trail by a bounded number of
    entries per minute, not one per request."""
    before = last_entry_id(clinic)
    for _ in range(3 * PER_ADDRESS):
        assert clinic.client.get("/api/v1/worklist").status_code == 401
    assert len(_refusals(clinic, before)) == PER_ADDRESS


def test_the_budget_counts_what_it_does_not_record_and_says_so_once() -> None:
    now = [0.0]
    budget = AnonymousBudget(per_address=2, in_all=3, window_seconds=60, clock=lambda: now[0])
    taken = [budget.take("a") for _ in range(4)] + [budget.take("b"), budget.take("c")]
    assert [recorded for recorded, _ in taken] == [True, True, False, False, True, False]
    assert all(unrecorded == 0 for _, unrecorded in taken)
    now[0] = 61.0
    assert budget.take("a") == (True, 3)  # the window ended: 3 refusals went unrecorded
    assert budget.take("a") == (True, 0)  # said once
    now[0] = 200.0
    assert budget.take("a") == (True, 0)  # a window with nothing unrecorded says nothing


def test_the_unrecorded_refusals_are_recorded_as_one_entry(clinic: Clinic) -> None:
    from isocourse.api.denial_audit import DenialAudit

    now = [0.0]
    middleware = _denial_audit(clinic)
    assert isinstance(middleware, DenialAudit)
    middleware.budget = AnonymousBudget(per_address=1, in_all=1, clock=lambda: now[0])
    before = last_entry_id(clinic)
    for _ in range(4):
        assert clinic.client.get("/api/v1/worklist").status_code == 401
    now[0] = 120.0
    assert clinic.client.get("/api/v1/worklist").status_code == 401
    actions = [entry.action for entry in _refusals(clinic, before)]
    assert actions == [
        "access.denied.not_authenticated",
        "access.denied.unrecorded",
        "access.denied.not_authenticated",
    ]
    summary = _refusals(clinic, before)[1]
    assert summary.detail.startswith("3 more refusals of requests without valid credentials")


def _denial_audit(clinic: Clinic) -> object:
    """The app's refusal-auditing middleware (built with the app's middleware stack)."""
    from isocourse.api.denial_audit import DenialAudit

    layer: object = clinic.app.middleware_stack
    while layer is not None and not isinstance(layer, DenialAudit):
        layer = getattr(layer, "app", None)
    return layer


def _browser(clinic: Clinic, email: str) -> TestClient:
    """The clinic's client signed in to the pages as ``email`` (the API ignores the
    cookie; one client, so one event loop, which PostgreSQL's loop pool belongs to)."""
    browser = clinic.client
    browser.cookies.clear()
    page = browser.get("/login")
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    signed = browser.post("/login", data=form, follow_redirects=True)
    assert signed.status_code == 200, signed.text
    return browser


@pytest.fixture
def patient_of_a(clinic: Clinic) -> Iterator[str]:
    yield clinic.enrol(example_record())


def test_pages_refuse_and_audit_another_clinics_patient(clinic: Clinic, patient_of_a: str) -> None:
    browser = _browser(clinic, "doc_b@b.test")
    before = last_entry_id(clinic)
    assert browser.get(f"/patients/{patient_of_a}").status_code == 404
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email, entry.patient_id) == (
        "access.denied.not_found",
        "doc_b@b.test",
        patient_of_a,
    )
    assert "GET /patients/{patient_id};" in entry.detail


def test_pages_refuse_and_audit_a_role_and_no_sign_in(clinic: Clinic, patient_of_a: str) -> None:
    browser = _browser(clinic, "pharm_a@a.test")
    before = last_entry_id(clinic)
    assert browser.get(f"/patients/{patient_of_a}").status_code == 403
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.user_email) == ("access.denied.forbidden", "pharm_a@a.test")
    assert "a pharmacist: this page is for prescriber users" in entry.detail
    before = last_entry_id(clinic)
    browser.cookies.clear()
    assert browser.get(f"/patients/{patient_of_a}", follow_redirects=False).status_code == 303
    entry = _one_refusal(clinic, before)
    assert (entry.action, entry.role) == ("access.denied.not_authenticated", "anonymous")
    assert entry.detail.startswith("not signed in; GET /patients/{patient_id};")


def test_no_refusal_entry_holds_a_password_or_token(clinic: Clinic, patient_of_a: str) -> None:
    tokens = [headers["Authorization"].split()[1] for headers in clinic.headers.values()]
    clinic.client.get(f"/api/v1/patients/{patient_of_a}/record", headers=clinic.as_user("doc_b"))
    clinic.client.post("/api/v1/patients", json={}, headers=clinic.as_user("pharm_b"))
    clinic.client.get("/api/v1/worklist", headers={"Authorization": f"Bearer {tokens[0]}x"})
    clinic.client.post("/api/v1/auth/token", data={"username": "doc_a@a.test", "password": "no"})
    _browser(clinic, "pharm_a@a.test").get("/worklist")
    stored = entries(clinic)
    assert len(_refusals(clinic, 0)) >= 4
    for entry in stored:
        text = " ".join(str(value) for value in vars(entry).values())
        assert PASSWORD not in text
        assert all(token not in text for token in tokens)
